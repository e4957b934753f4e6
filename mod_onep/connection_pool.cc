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

Result<ConnectionPool::Lease> ConnectionPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      Lease lease;
      lease.conn = std::move(idle_.back());
      idle_.pop_back();
      lease.reused = true;
      return lease;
    }
  }
  auto conn = Open();
  if (!conn.ok()) return conn.status();
  Lease lease;
  lease.conn = std::move(conn).value();
  return lease;
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

void ConnectionPool::DropIdle() {
  std::vector<std::unique_ptr<RedisConnection>> stale;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stale.swap(idle_);
  }
  // `stale` closes here, outside the lock.
}

bool ConnectionPool::ShouldRetry(const Lease& lease, const Status& status) {
  if (status.code() != Code::kUnavailable || !lease.reused) return false;
  if (!lease.conn->broken() || !lease.conn->closed_by_peer()) return false;
  ap_log_error(APLOG_MARK, APLOG_INFO, 0, log_server_,
               "ONEP0302: Redis at %s closed a pooled connection (restarted?); retrying once on a "
               "new connection",
               redacted_endpoint_.c_str());
  return true;
}

Status ConnectionPool::Ping() {
  auto reply = Run([](RedisConnection& conn) { return conn.Command({"PING"}); });
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kStatus || reply->str != "PONG") {
    return Status::Unavailable("Redis at " + redacted_endpoint_ + " answered PING with \"" +
                               reply->str + "\"");
  }
  return Status::Ok();
}

}  // namespace onep::module
