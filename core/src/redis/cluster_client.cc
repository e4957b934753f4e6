// RedisClient for a Redis Cluster (to be written).
#include "clients.h"

namespace onep {

std::unique_ptr<RedisClient> NewClusterClient(const RedisTarget&, RedisClientOptions) {
  return nullptr;
}

}  // namespace onep
