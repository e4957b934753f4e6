// SPDX-License-Identifier: Apache-2.0
// The pure parts of the Sentinel client (sentinel_replies.cc), apart so that
// unit tests can check them without a server.
#ifndef ONEP_CORE_SRC_REDIS_SENTINEL_REPLIES_H_
#define ONEP_CORE_SRC_REDIS_SENTINEL_REPLIES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "onep/redis_connection.h"
#include "onep/status.h"

namespace onep::sentinel {

struct MasterAddr {
  std::string host;
  int port = 0;
};

// The reply to SENTINEL GET-MASTER-ADDR-BY-NAME: [host, port] is the address;
// nil (or an empty array) means this sentinel monitors no master of that name
// (std::nullopt); an error reply or anything else is Unavailable, quoting it.
Result<std::optional<MasterAddr>> ParseMasterAddr(const Reply& reply);

// Whether a reply to ROLE says "master" (["master", offset, replicas]).
bool IsMasterRole(const Reply& role);

// Whether a reply proves that its server is no longer the master: READONLY,
// by which a replica refuses a write (or a script that may write) before
// running it, so nothing was written and the command may go to the new
// master. For a pipeline: any of its replies.
bool SaysNotMaster(const Reply& reply);
bool SaysNotMaster(const std::vector<Reply>& replies);
// For script calls sent together: only when every one was refused READONLY
// (none ran), so that all of them can go to the new master.
bool SaysNotMaster(const std::vector<Result<Reply>>& replies);

// The order in which to ask the sentinels next time: `order` with
// `answered` moved to the front, the others keeping their order (the
// sentinel that answered last is likely to answer again).
std::vector<std::size_t> AskFirst(std::vector<std::size_t> order, std::size_t answered);

}  // namespace onep::sentinel

#endif  // ONEP_CORE_SRC_REDIS_SENTINEL_REPLIES_H_
