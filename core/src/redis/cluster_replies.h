// SPDX-License-Identifier: Apache-2.0
// What a Redis Cluster node answers that the cluster client reads: a
// redirection (MOVED, ASK) and the slot map (CLUSTER SHARDS, CLUSTER SLOTS).
// Pure functions of a reply.
#ifndef ONEP_CORE_SRC_REDIS_CLUSTER_REPLIES_H_
#define ONEP_CORE_SRC_REDIS_CLUSTER_REPLIES_H_

#include <string>
#include <utility>
#include <vector>

#include "onep/redis_connection.h"

namespace onep::cluster {

inline constexpr int kSlots = 16384;

struct Redirect {
  enum class Kind { kNone, kMoved, kAsk };
  Kind kind = Kind::kNone;
  int slot = -1;
  std::string host;  // may be empty: the replying node's own host
  int port = 0;
};

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381"; kNone for any
// other reply. The host may be empty when the node does not know its own
// address (cluster-announce unset and no client seen yet).
Redirect ParseRedirect(const Reply& reply);

// One master and the slot ranges it serves, as a node reported them.
struct ShardInfo {
  std::string host;
  int port = 0;
  std::vector<std::pair<int, int>> ranges;  // inclusive
};

// CLUSTER SHARDS (Redis 7): per shard "slots" [start, end, ...] and "nodes",
// each a map with ip/endpoint/port/tls-port/role/health. A failed-over master
// may still be listed with health "failed"; the online master wins. A node
// that does not know its own address is `asked_host`. With `tls`, a node's
// tls-port (its only port when it has no plain one).
std::vector<ShardInfo> ParseShards(const Reply& reply, const std::string& asked_host,
                                   bool tls = false);

// CLUSTER SLOTS (Redis 3-6): [start, end, [host, port, id, ...], replicas...].
std::vector<ShardInfo> ParseSlots(const Reply& reply, const std::string& asked_host);

// How many of the 16384 slots `shards` give a master (ranges clamped to
// 0-16383; ranges are not expected to overlap).
int SlotsCovered(const std::vector<ShardInfo>& shards);

}  // namespace onep::cluster

#endif  // ONEP_CORE_SRC_REDIS_CLUSTER_REPLIES_H_
