// SPDX-License-Identifier: Apache-2.0
// RedisClient: the one narrow interface through which the stores, the module
// and onepctl talk to Redis, whatever the topology behind it.
//
// Every call names a `slot_key`: a key (or just "{tag}") whose Redis Cluster
// hash slot decides which server runs the command. On a single Redis the
// slot key is ignored; on a Cluster the client sends the command to the
// master that owns the slot, following MOVED and ASK redirections. Every key
// a call touches must hash to the slot key's slot (docs/redis-layout.md).
//
// Never send twice: a command is resent only after a reply that proves Redis
// did not run it (MOVED, ASK; READONLY from a demoted Sentinel master;
// NOSCRIPT for a script), or to another server after a connect failure. A connection error
// after a command was sent is reported as Unavailable, never retried.
//
// Implementations (core/src/redis/): SingleClient (one server), ClusterClient
// (Redis Cluster), SentinelClient (a master found through Redis Sentinel).
// Open one with ConnectRedis().
//
// Upkeep: a Cluster client re-reads its slot map after a MOVED or an
// unreachable node; a Sentinel client re-confirms its master with the
// sentinels every second. With RedisUpkeep::kInline (the default) the calls
// do it themselves when they find it due; with kBackground they only mark it
// due, and the owner runs Upkeep() from a thread of its own.
//
// Thread-safety: every method of every implementation is thread-safe; each
// keeps its own pool of connections, lent to one caller at a time, and holds
// no lock across network I/O.
#ifndef ONEP_REDIS_CLIENT_H_
#define ONEP_REDIS_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "onep/redis_connection.h"
#include "onep/redis_url.h"
#include "onep/status.h"

namespace onep {

// What a connection pool did, for an operator's counters (mod_onep's
// metrics): the number of open connections is opened - closed.
enum class RedisPoolEvent {
  kOpened,         // a new connection is up
  kClosed,         // a connection was closed: broken, dead when lent, surplus, or the pool went
  kConnectFailed,  // a connect was refused or timed out
};

// Where the client reports what an operator should know (a node that closed
// its connections, a slot map refresh). `level` is one of the constants below.
// Both callbacks may be called from any thread, never under a pool's lock;
// they must not block.
struct RedisLog {
  static constexpr int kWarning = 4;
  static constexpr int kInfo = 6;
  static constexpr int kDebug = 7;
  std::function<void(int level, const std::string& line)> write;  // may be empty
  std::function<void(RedisPoolEvent event, int n)> pool;          // may be empty
  void operator()(int level, const std::string& line) const {
    if (write) write(level, line);
  }
  void Pool(RedisPoolEvent event, int n = 1) const {
    if (pool && n > 0) pool(event, n);
  }
};

// Who does a client's upkeep (above).
enum class RedisUpkeep {
  // The calls, when they find it due: for a short-lived owner with no thread
  // of its own (onepctl). A call may then ask every node in turn, each with
  // the whole timeout.
  kInline,
  // The owner, calling Upkeep() every 100 ms or so (mod_onep: a mod_watchdog
  // callback in each child). A call uses the last good slot map or master and
  // never waits for more than one timeout on finding one: it follows a MOVED
  // itself and marks a refresh due; only when it has no map or no master at
  // all does it look for one, within one timeout.
  kBackground,
};

struct RedisClientOptions {
  std::chrono::milliseconds timeout{500};  // bounds every connect and every command
  std::size_t max_idle_per_node = 1;       // connections kept between calls, per server
  RedisLog log;
  // Loaded on every new connection (RedisOptions::preload): the scripts of
  // the request path, so that no request pays for loading one.
  std::vector<const Script*> preload = {};
  // For a TLS target (rediss*): the context every connection uses, the
  // sentinels' and every cluster node's included. Null: ConnectRedis makes
  // one that trusts the system's CAs and checks each node's host name.
  std::shared_ptr<const RedisTls> tls = {};
  RedisUpkeep upkeep = RedisUpkeep::kInline;
};

class RedisClient {
 public:
  virtual ~RedisClient() = default;

  // One command. An error reply comes back as an OK Result holding a Reply of
  // Type::kError (MOVED/ASK are followed, never returned); Unavailable when
  // no server could be reached or the connection failed.
  // With `until`, the whole call (connect, redirections, the reply) ends by
  // then: a request's deadline (onep/deadline.h).
  virtual Result<Reply> Command(std::string_view slot_key, const std::vector<std::string>& argv,
                                Deadline until = kNoDeadline) = 0;

  // Several commands in one round trip to the server of `slot_key`; replies
  // in order, as Command returns them.
  virtual Result<std::vector<Reply>> Pipeline(
      std::string_view slot_key, const std::vector<std::vector<std::string>>& commands) = 0;

  // EVALSHA (EVAL once after NOSCRIPT). Error replies by which Redis says it
  // cannot serve now (LOADING, BUSY, READONLY, MISCONF, OOM, TRYAGAIN,
  // CLUSTERDOWN, NOPERM, ...) become Unavailable; other error replies Internal.
  // The whole call ends by call.until, when set.
  virtual Result<Reply> Eval(std::string_view slot_key, const ScriptCall& call) = 0;

  // Several script calls, each to the server of its slot key; a result per
  // call, each what Eval would have given that call alone. On one server
  // (single, or Sentinel's master) they go in one round trip; on a Cluster,
  // one after another (this default). The whole of it ends by the earliest
  // `until` of the calls.
  struct SlotCall {
    std::string_view slot_key;
    const ScriptCall* call;
  };
  virtual std::vector<Result<Reply>> EvalAll(const std::vector<SlotCall>& calls);

  // Every master answers PING (one, on a single Redis). Unavailable naming
  // the first that does not.
  virtual Status Ping() = 0;

  // Runs `command` once on every master (e.g. INFO, SCAN on each node); the
  // replies in the order of the masters. One element on a single Redis.
  virtual Result<std::vector<Reply>> OnEveryMaster(const std::vector<std::string>& command) = 0;

  // Does the upkeep that is due, if any: reads a Cluster's slot map again
  // (asking each node in turn, each with the whole timeout), asks the
  // sentinels whether the master is still theirs; nothing on a single
  // Redis. So it can take several timeouts: never call it on a request's
  // time. Thread-safe; meant for one thread, every 100 ms or so. Failures
  // are logged (RedisLog), and the last good map or master is kept.
  virtual void Upkeep() {}

  // The URL with passwords redacted: safe to log and print.
  virtual std::string Describe() const = 0;
  virtual std::chrono::milliseconds timeout() const = 0;
  // Commands written to Redis so far by this client (for cost-model tests).
  virtual uint64_t commands_sent() const = 0;
};

// A client for the topology `target` names. Connects lazily: the first call
// opens the first connection (a Cluster client reads its slot map then,
// a Sentinel client asks the sentinels then). InvalidArgument for a
// topology this build cannot serve, and for a TLS target in a build without
// TLS (RedisTlsMissing).
Result<std::unique_ptr<RedisClient>> ConnectRedis(const RedisTarget& target,
                                                  RedisClientOptions options);

// Maps a script's reply as RedisClient::Eval documents it; used by the
// implementations once no redirection is left to follow.
Result<Reply> ScriptReplyStatus(Result<Reply> reply, const std::string& server);

// The earliest `until` of `calls` (kNoDeadline when none has one).
Deadline EarliestUntil(const std::vector<RedisClient::SlotCall>& calls);

// Cluster hash slot of `key` (CRC16-CCITT of the hash tag if the key has a
// non-empty {...}, else of the whole key, modulo 16384).
uint16_t HashSlot(std::string_view key);

}  // namespace onep

#endif  // ONEP_REDIS_CLIENT_H_
