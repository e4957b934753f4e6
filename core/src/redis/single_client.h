// SPDX-License-Identifier: Apache-2.0
// The RedisClient of one server (single_client.cc); ConnectRedis picks it for redis:// and
// rediss://.
#ifndef ONEP_CORE_SRC_REDIS_SINGLE_CLIENT_H_
#define ONEP_CORE_SRC_REDIS_SINGLE_CLIENT_H_

#include <memory>

#include "onep/redis_client.h"

namespace onep {

std::unique_ptr<RedisClient> NewSingleClient(const RedisTarget& target, RedisClientOptions options);

}  // namespace onep

#endif  // ONEP_CORE_SRC_REDIS_SINGLE_CLIENT_H_
