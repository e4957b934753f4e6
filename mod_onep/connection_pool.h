// A small pool of Redis connections for one Apache child process.
//
// Connections are opened lazily (RedisConnection::Connect, bounded by the
// configured timeout), lent to one request thread at a time and given back
// after the request unless they broke. The mutex guards the idle list only: it
// is never held across a connect or a command.
//
// No command is ever sent twice (docs/design.md): before an idle connection
// is lent, RedisConnection::PeerClosed() checks without a round trip that the
// server has not closed it (e.g. Redis restarted); dead ones are dropped and
// replaced. Once a command is sent, whatever happens is reported as is: a
// resend could record an event twice.
//
// Thread-safety: every public method is thread-safe.
#ifndef ONEP_MOD_ONEP_CONNECTION_POOL_H_
#define ONEP_MOD_ONEP_CONNECTION_POOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "httpd.h"
#include "onep/redis.h"
#include "onep/status.h"

namespace onep::module {

class ConnectionPool {
 public:
  // `max_idle` bounds the connections kept between requests (the child's
  // thread count is the natural value). `log_server` receives the pool's log
  // lines; it must outlive the pool.
  ConnectionPool(RedisOptions options, std::size_t max_idle, server_rec* log_server);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Runs `op`, a callable RedisConnection& -> Result<T>, once, on a pooled
  // connection. Unavailable when no connection can be had.
  template <typename Op>
  auto Run(Op&& op) -> decltype(op(std::declval<RedisConnection&>()));

  // The pool's liveness check: one PING. Unavailable when Redis does not
  // answer PONG within the timeout.
  Status Ping();

  // The endpoint with its password redacted: safe to log.
  const std::string& redacted_endpoint() const { return redacted_endpoint_; }

 private:
  // An idle connection that is still open, else a new one.
  Result<std::unique_ptr<RedisConnection>> Acquire();
  Result<std::unique_ptr<RedisConnection>> Open();
  void Release(std::unique_ptr<RedisConnection> conn);

  const RedisOptions options_;
  const std::size_t max_idle_;
  server_rec* const log_server_;
  const std::string redacted_endpoint_;

  std::mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded by mu_; most recent last
};

template <typename Op>
auto ConnectionPool::Run(Op&& op) -> decltype(op(std::declval<RedisConnection&>())) {
  auto conn = Acquire();
  if (!conn.ok()) return conn.status();
  auto result = op(**conn);
  Release(std::move(conn).value());
  return result;
}

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_CONNECTION_POOL_H_
