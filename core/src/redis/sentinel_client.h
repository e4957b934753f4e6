// SPDX-License-Identifier: Apache-2.0
// The RedisClient of a master found through Sentinel (sentinel_client.cc says how it follows a
// failover).
#ifndef ONEP_CORE_SRC_REDIS_SENTINEL_CLIENT_H_
#define ONEP_CORE_SRC_REDIS_SENTINEL_CLIENT_H_

#include <memory>

#include "onep/redis_client.h"

namespace onep {

std::unique_ptr<RedisClient> NewSentinelClient(const RedisTarget& target,
                                               RedisClientOptions options);

}  // namespace onep

#endif  // ONEP_CORE_SRC_REDIS_SENTINEL_CLIENT_H_
