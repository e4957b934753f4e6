#include "connection_pool.h"

#include <unistd.h>

#include "http_log.h"

APLOG_USE_MODULE(onep);

namespace onep::module {

ConnectionPool::ConnectionPool(RedisOptions options, std::size_t max_idle, server_rec* log_server)
    : options_(std::move(options)),
      max_idle_(max_idle > 0 ? max_idle : 1),
      log_server_(log_server),
      redacted_endpoint_(options_.endpoint.Redacted()) {}

ConnectionPool::~ConnectionPool() = default;

Result<std::unique_ptr<RedisConnection>> ConnectionPool::Acquire() {
  std::vector<std::unique_ptr<RedisConnection>> closed;
  std::unique_ptr<RedisConnection> conn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty() && !conn) {
      conn = std::move(idle_.back());
      idle_.pop_back();
      // A peek at the socket, no network round trip: cheap under the lock.
      if (conn->PeerClosed()) closed.push_back(std::move(conn));
    }
  }
  if (!closed.empty()) {
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, log_server_,
                 "ONEP0302: Redis at %s had closed %zu pooled connection(s) (restarted?); "
                 "opening a new one",
                 redacted_endpoint_.c_str(), closed.size());
  }
  // `closed` is freed here, outside the lock.
  if (conn) return conn;
  return Open();
}

Result<std::unique_ptr<RedisConnection>> ConnectionPool::Open() {
  auto conn = RedisConnection::Connect(options_);
  if (conn.ok()) {
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, log_server_,
                 "ONEP0301: opened a Redis connection to %s (pid %ld)", redacted_endpoint_.c_str(),
                 static_cast<long>(getpid()));
  }
  return conn;
}

void ConnectionPool::Release(std::unique_ptr<RedisConnection> conn) {
  if (!conn || conn->broken()) return;  // a broken connection is closed here, never reused
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(conn));
      return;
    }
  }
  // More connections than threads: `conn` closes here, outside the lock.
}

Status ConnectionPool::Ping() {
  return Run([](RedisConnection& conn) -> Result<bool> {
           Status alive = conn.Ping();
           if (!alive.ok()) return alive;
           return true;
         })
      .status();
}

}  // namespace onep::module
