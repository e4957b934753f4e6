// SPDX-License-Identifier: Apache-2.0
// The RedisClient implementations, one file each; ConnectRedis picks one.
#ifndef ONEP_CORE_SRC_REDIS_CLIENTS_H_
#define ONEP_CORE_SRC_REDIS_CLIENTS_H_

#include <memory>

#include "onep/redis_client.h"

namespace onep {

// One server (redis:// or unix://): single_client.cc.
std::unique_ptr<RedisClient> NewSingleClient(const RedisTarget& target, RedisClientOptions options);

// A Redis Cluster from its seed nodes: cluster_client.cc.
std::unique_ptr<RedisClient> NewClusterClient(const RedisTarget& target,
                                              RedisClientOptions options);

// A master behind Redis Sentinel, from its sentinels: sentinel_client.cc.
std::unique_ptr<RedisClient> NewSentinelClient(const RedisTarget& target,
                                               RedisClientOptions options);

}  // namespace onep

#endif  // ONEP_CORE_SRC_REDIS_CLIENTS_H_
