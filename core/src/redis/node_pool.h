// SPDX-License-Identifier: Apache-2.0
// NodePool: the connections to one Redis server, for every RedisClient.
//
// Connections are opened lazily (RedisConnection::Connect, bounded by the
// timeout), lent to one caller at a time and given back unless they broke.
// The mutex guards the idle list only: it is never held across a connect or
// a command.
//
// Never send twice: before an idle connection is lent, PeerClosed() checks
// without a round trip that the server has not closed it (e.g. it restarted);
// dead ones are dropped and replaced. Once a command is sent, whatever
// happens is reported as is.
//
// Thread-safety: every public method is thread-safe.
#ifndef ONEP_CORE_SRC_REDIS_NODE_POOL_H_
#define ONEP_CORE_SRC_REDIS_NODE_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "onep/redis_client.h"
#include "onep/redis_connection.h"
#include "onep/status.h"

namespace onep {

class NodePool;

// A pool for the node at host:port, with the user, password and db of
// `like` (a seed node, or the master's settings behind Sentinel), and the
// client's timeout, idle bound and log.
std::unique_ptr<NodePool> NodePoolAt(const RedisEndpoint& like, const std::string& host, int port,
                                     const RedisClientOptions& options);

class NodePool {
 public:
  NodePool(RedisOptions options, std::size_t max_idle, RedisLog log);
  ~NodePool();  // closes the idle connections
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  // Runs `op`, a callable RedisConnection& -> Result<T>, once, on a pooled
  // connection. Unavailable when no connection can be had. With `until`, the
  // connect (if one is needed) and every read of `op` end by then
  // (RedisConnection::Bind).
  template <typename Op>
  auto Run(Op&& op, Deadline until = kNoDeadline) -> decltype(op(std::declval<RedisConnection&>()));

  const RedisEndpoint& endpoint() const { return options_.endpoint; }
  const std::string& redacted() const { return redacted_; }
  // Commands sent by connections of this pool, closed ones included.
  uint64_t commands_sent() const { return commands_sent_.load(std::memory_order_relaxed); }

 private:
  Result<std::unique_ptr<RedisConnection>> Acquire(Deadline until);
  void Release(std::unique_ptr<RedisConnection> conn, uint64_t sent_before);

  const RedisOptions options_;
  const std::size_t max_idle_;
  const RedisLog log_;
  const std::string redacted_;
  std::atomic<uint64_t> commands_sent_{0};

  std::mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded by mu_; most recent last
};

template <typename Op>
auto NodePool::Run(Op&& op, Deadline until) -> decltype(op(std::declval<RedisConnection&>())) {
  auto conn = Acquire(until);
  if (!conn.ok()) return conn.status();
  const uint64_t before = (*conn)->commands_sent();
  if (until != kNoDeadline) (*conn)->Bind(until);
  auto result = op(**conn);
  if (until != kNoDeadline) (*conn)->Unbind();
  Release(std::move(conn).value(), before);
  return result;
}

}  // namespace onep

#endif  // ONEP_CORE_SRC_REDIS_NODE_POOL_H_
