// SPDX-License-Identifier: Apache-2.0
#include "node_pool.h"

#include <unistd.h>

namespace onep {

std::unique_ptr<NodePool> NodePoolAt(const RedisEndpoint& like, const std::string& host, int port,
                                     const RedisClientOptions& options) {
  RedisEndpoint endpoint = like;
  endpoint.is_unix = false;
  endpoint.host = host;
  endpoint.port = port;
  RedisOptions connection{endpoint, options.timeout};
  connection.preload = options.preload;
  connection.tls = options.tls;
  return std::make_unique<NodePool>(std::move(connection), options.max_idle_per_node, options.log);
}

NodePool::NodePool(RedisOptions options, std::size_t max_idle, RedisLog log)
    : options_(std::move(options)),
      max_idle_(max_idle > 0 ? max_idle : 1),
      log_(std::move(log)),
      redacted_(options_.endpoint.Redacted()) {}

// No other thread uses a pool that is being destroyed: no lock needed.
NodePool::~NodePool() { log_.Pool(RedisPoolEvent::kClosed, static_cast<int>(idle_.size())); }

Result<std::unique_ptr<RedisConnection>> NodePool::Acquire(Deadline until) {
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
    log_.Pool(RedisPoolEvent::kClosed, static_cast<int>(closed.size()));
    log_(RedisLog::kInfo, "ONEP0302: Redis at " + redacted_ + " had closed " +
                              std::to_string(closed.size()) +
                              " pooled connection(s) (restarted?); opening a new one");
  }
  // `closed` is freed here, outside the lock.
  if (conn) return conn;
  auto opened = RedisConnection::Connect(options_, until);
  if (opened.ok()) {
    commands_sent_.fetch_add((*opened)->commands_sent(), std::memory_order_relaxed);
    log_.Pool(RedisPoolEvent::kOpened);
    log_(RedisLog::kDebug, "ONEP0301: opened a Redis connection to " + redacted_ + " (pid " +
                               std::to_string(static_cast<long>(getpid())) + ")");
  } else {
    log_.Pool(RedisPoolEvent::kConnectFailed);
  }
  return opened;
}

void NodePool::Release(std::unique_ptr<RedisConnection> conn, uint64_t sent_before) {
  if (!conn) return;
  commands_sent_.fetch_add(conn->commands_sent() - sent_before, std::memory_order_relaxed);
  if (!conn->broken()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(conn));
      return;
    }
  }
  // Broken (never reused), or more connections than callers: `conn` closes
  // here, outside the lock.
  log_.Pool(RedisPoolEvent::kClosed);
}

}  // namespace onep
