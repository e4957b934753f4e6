// SPDX-License-Identifier: Apache-2.0
// Whether Redis can take writes now, judged without writing: from INFO on
// every master (memory, persistence, replication). What /health reports.
#ifndef ONEP_HEALTH_H_
#define ONEP_HEALTH_H_

#include <string>

#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep {

// OK when every master answers INFO and none would refuse a write: not a
// replica, not loading, not out of memory under `noeviction`, its last RDB
// save or AOF write not failed (MISCONF). Unavailable naming the server and
// the reason otherwise. One INFO per master, no write.
Status CheckWritable(RedisClient& redis);

// The same judgement on one INFO reply (the text of `INFO memory persistence
// replication`); exposed for tests.
Status JudgeInfo(const std::string& info, const std::string& server);

}  // namespace onep

#endif  // ONEP_HEALTH_H_
