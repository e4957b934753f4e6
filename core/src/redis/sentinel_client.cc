// SPDX-License-Identifier: Apache-2.0
// RedisClient for a master behind Redis Sentinel, as the Sentinel client
// guidelines describe it: ask the sentinels in turn for the master's address
// (SENTINEL GET-MASTER-ADDR-BY-NAME), confirm it with ROLE, and use it until
// it fails: a connection error, or a READONLY reply (it was demoted to a
// replica). Then the next call asks the sentinels again.
//
// A master can also be replaced while it stays up and writable (SENTINEL
// FAILOVER: the sentinels demote the old one only seconds later). So, every
// kReconfirmEvery, the sentinels are asked again, and the master they now
// name is followed: inline (RedisUpkeep::kInline), by one caller before its
// command (the others go on meanwhile); in the background mode, by Upkeep(),
// and calls never ask the sentinels while they have a master. Upkeep() also
// finds the master when there is none (first use, or after one was left),
// so that calls seldom have to.
//
// Bounds: finding the master takes at most the timeout, whatever the
// sentinels do (each is asked with a share of what is left of it). After a
// discovery that found no master, calls fail at once (Unavailable) for
// kRetryAfterFailure, so that a failover in progress costs 503s, not waits,
// and the sentinels are not flooded. One caller asks the sentinels at a time;
// the others wait for its answer, within their own deadline.
//
// Never send twice: a call is sent to a second master only when the first
// was not reached (connect failed: nothing written) or answered READONLY
// (a replica refuses a write before running it).
//
// Locks: `mu_` guards the current master, the sentinel order and the pools;
// it is never held across network I/O. Pools live as long as the client.
#include "sentinel_client.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "node_pool.h"
#include "sentinel_replies.h"

namespace onep {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long calls fail at once after the sentinels named no usable master.
constexpr milliseconds kRetryAfterFailure{100};
// How often a known master is checked with the sentinels.
constexpr milliseconds kReconfirmEvery{1000};

class SentinelClient : public RedisClient {
 public:
  SentinelClient(const RedisTarget& target, RedisClientOptions options)
      : master_name_(target.master_name),
        described_(target.Redacted()),
        data_node_(target.nodes.at(0)),
        options_(std::move(options)) {
    for (RedisEndpoint sentinel : target.nodes) {
      // A sentinel has no databases and its own credentials.
      sentinel.user = target.sentinel_user;
      sentinel.password = target.sentinel_password;
      sentinel.db = 0;
      sentinels_.push_back(std::move(sentinel));
      order_.push_back(order_.size());
    }
  }

  Result<Reply> Command(std::string_view, const std::vector<std::string>& argv,
                        Deadline until = kNoDeadline) override {
    return OnMaster<Reply>([&](RedisConnection& conn) { return conn.Command(argv); }, nullptr,
                           until);
  }

  Result<std::vector<Reply>> Pipeline(
      std::string_view, const std::vector<std::vector<std::string>>& commands) override {
    return OnMaster<std::vector<Reply>>(
        [&](RedisConnection& conn) { return conn.Pipeline(commands); });
  }

  Result<Reply> Eval(std::string_view, const ScriptCall& call) override {
    std::string server = described_;
    auto reply = OnMaster<Reply>([&](RedisConnection& conn) { return conn.EvalRaw(call); }, &server,
                                 call.until);
    return ScriptReplyStatus(std::move(reply), server);
  }

  std::vector<Result<Reply>> EvalAll(const std::vector<SlotCall>& calls) override {
    std::vector<const ScriptCall*> raw;
    for (const SlotCall& c : calls) raw.push_back(c.call);
    std::string server = described_;
    auto replies = OnMaster<std::vector<Result<Reply>>>(
        [&](RedisConnection& conn) -> Result<std::vector<Result<Reply>>> {
          return conn.EvalAll(raw);
        },
        &server, EarliestUntil(calls));
    if (!replies.ok()) return std::vector<Result<Reply>>(calls.size(), replies.status());
    for (auto& reply : *replies) reply = ScriptReplyStatus(std::move(reply), server);
    return std::move(replies).value();
  }

  Status Ping() override {
    return OnMaster<Reply>([](RedisConnection& conn) -> Result<Reply> {
             if (Status alive = conn.Ping(); !alive.ok()) return alive;
             return Reply{};
           })
        .status();
  }

  Result<std::vector<Reply>> OnEveryMaster(const std::vector<std::string>& command) override {
    auto reply = Command("", command);
    if (!reply.ok()) return reply.status();
    return std::vector<Reply>{std::move(reply).value()};
  }

  void Upkeep() override;

  std::string Describe() const override { return described_; }
  std::chrono::milliseconds timeout() const override { return options_.timeout; }

  uint64_t commands_sent() const override {
    uint64_t sum = discovery_commands_.load(std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, pool] : pools_) sum += pool->commands_sent();
    return sum;
  }

 private:
  // Runs `op` (RedisConnection&) -> Result<T> on the master; once more on a
  // newly found master when the first could not be reached or said READONLY.
  // `*server` is set to the master that gave the final answer.
  template <typename T, typename Op>
  Result<T> OnMaster(Op op, std::string* server = nullptr, Deadline until = kNoDeadline);

  // The current master, asking the sentinels if there is none (or, inline,
  // if a check is due).
  Result<NodePool*> Master(Clock::time_point deadline);
  // Asks the sentinels (Discover) as the one caller doing so, and takes what
  // they say; `reconfirm`: the master we have is kept if they cannot say.
  // `lock` holds mu_ on entry; it is released for the network, and on return.
  Result<NodePool*> AskSentinels(std::unique_lock<std::mutex>& lock, Clock::time_point deadline,
                                 bool reconfirm);
  // Asks the sentinels in `order`, confirms with ROLE (unless they name
  // `current`, confirmed before): the master's pool.
  Result<NodePool*> Discover(const std::vector<std::size_t>& order, Clock::time_point deadline,
                             const NodePool* current, std::size_t* answered);
  // Asks one sentinel, within `budget`: the master's address, if it knows one.
  Result<std::optional<sentinel::MasterAddr>> AskSentinel(const RedisEndpoint& sentinel,
                                                          milliseconds budget);
  // ROLE on a connection of its own to `endpoint`, within `budget`.
  Status ConfirmMaster(const RedisEndpoint& endpoint, milliseconds budget);
  // Drops `pool` as the master (if it still is): the next call rediscovers.
  void Forget(NodePool* pool, const std::string& why);
  NodePool* Pool(const std::string& host, int port);  // requires mu_ held

  const std::string master_name_;
  const std::string described_;
  const RedisEndpoint data_node_;  // the master's credentials and db
  const RedisClientOptions options_;
  std::vector<RedisEndpoint> sentinels_;
  std::atomic<uint64_t> discovery_commands_{0};

  mutable std::mutex mu_;
  std::condition_variable discovered_;
  std::vector<std::size_t> order_;                          // guarded by mu_
  std::map<std::string, std::unique_ptr<NodePool>> pools_;  // guarded by mu_; never erased
  NodePool* master_ = nullptr;                              // guarded by mu_
  NodePool* last_master_ = nullptr;                         // guarded by mu_; for logging
  bool discovering_ = false;                                // guarded by mu_
  bool failing_ = false;                                    // guarded by mu_; last discovery failed
  Status last_failure_;                                     // guarded by mu_
  Clock::time_point retry_at_{};                            // guarded by mu_
  Clock::time_point reconfirm_at_{};                        // guarded by mu_
};

template <typename T, typename Op>
Result<T> SentinelClient::OnMaster(Op op, std::string* server, Deadline until) {
  // Finding the master takes at most one timeout (and ends by `until`); the
  // call on it ends by `until`, when given.
  const Clock::time_point deadline = Earlier(until, Clock::now() + options_.timeout);
  for (int attempt = 0;; ++attempt) {
    auto master = Master(deadline);
    if (!master.ok()) return master.status();
    NodePool* pool = *master;
    if (server != nullptr) *server = pool->redacted();
    bool sent = false;
    Result<T> result = pool->Run(
        [&](RedisConnection& conn) -> Result<T> {
          sent = true;
          return op(conn);
        },
        until);
    if (!result.ok()) {
      Forget(pool, result.status().message());
      if (!sent && attempt == 0) continue;  // nothing was written
      return result;
    }
    if (!sentinel::SaysNotMaster(*result)) return result;
    Forget(pool, "it answered READONLY (demoted to a replica)");
    if (attempt > 0) {
      return Status::Unavailable(
          pool->redacted() + " is no longer the master \"" + master_name_ + "\" of " + described_,
          RedisFailure::kRefusesWrites);
    }
  }
}

Result<NodePool*> SentinelClient::Master(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    // In the background mode the check is Upkeep()'s, never a call's.
    const bool reconfirm = options_.upkeep == RedisUpkeep::kInline && master_ != nullptr &&
                           !discovering_ && Clock::now() >= reconfirm_at_;
    if (master_ != nullptr && !reconfirm) return master_;
    if (discovering_) {
      // Another caller is asking the sentinels: its answer, within our bound.
      if (!discovered_.wait_until(lock, deadline, [&] { return !discovering_; })) {
        return Status::Unavailable("no master \"" + master_name_ + "\" known for " + described_ +
                                       " yet: still asking the sentinels",
                                   RedisFailure::kTimedOut);
      }
      continue;
    }
    if (!reconfirm && failing_ && Clock::now() < retry_at_) return last_failure_;
    return AskSentinels(lock, deadline, reconfirm);
  }
}

void SentinelClient::Upkeep() {
  std::unique_lock<std::mutex> lock(mu_);
  if (discovering_) return;  // a call is asking them now
  const Clock::time_point now = Clock::now();
  if (master_ != nullptr ? now < reconfirm_at_ : failing_ && now < retry_at_) return;
  // Logged; a call gets the outcome from the state it leaves.
  (void)AskSentinels(lock, now + options_.timeout, master_ != nullptr);
}

Result<NodePool*> SentinelClient::AskSentinels(std::unique_lock<std::mutex>& lock,
                                               Clock::time_point deadline, bool reconfirm) {
  discovering_ = true;
  const std::vector<std::size_t> order = order_;
  NodePool* previous = last_master_;
  NodePool* current = master_;
  lock.unlock();
  std::size_t answered = 0;
  auto found = Discover(order, deadline, current, &answered);
  lock.lock();
  discovering_ = false;
  reconfirm_at_ = Clock::now() + kReconfirmEvery;
  discovered_.notify_all();
  if (!found.ok() && reconfirm && master_ != nullptr) {
    // The sentinels cannot say now; the master we have still serves.
    NodePool* master = master_;
    lock.unlock();
    options_.log(RedisLog::kDebug,
                 "ONEP0307: " + found.status().message() + "; keeping " + master->redacted());
    return master;
  }
  if (found.ok() && *found == current) return current;
  if (!found.ok()) {
    const bool first_failure = !failing_;
    failing_ = true;
    last_failure_ = found.status();
    retry_at_ = Clock::now() + kRetryAfterFailure;
    lock.unlock();
    // Once per outage at warning; the retries that follow at debug.
    options_.log(first_failure ? RedisLog::kWarning : RedisLog::kDebug,
                 "ONEP0307: " + found.status().message());
    return found.status();
  }
  failing_ = false;
  master_ = *found;
  last_master_ = *found;
  order_ = sentinel::AskFirst(order_, answered);
  lock.unlock();
  const bool changed = previous != nullptr && previous != *found;
  options_.log(changed ? RedisLog::kInfo : RedisLog::kDebug,
               "ONEP0305: Redis Sentinel: master \"" + master_name_ + "\" is " +
                   (*found)->redacted() + " (said sentinel " + sentinels_[answered].host + ":" +
                   std::to_string(sentinels_[answered].port) + ", confirmed by ROLE)" +
                   (changed ? "; it was " + previous->redacted() : ""));
  return *found;
}

Result<NodePool*> SentinelClient::Discover(const std::vector<std::size_t>& order,
                                           Clock::time_point deadline, const NodePool* current,
                                           std::size_t* answered) {
  std::string errors;
  RedisFailure failure = RedisFailure::kNone;  // the kind of the first failure met
  auto note = [&](const std::string& error, RedisFailure kind) {
    errors += (errors.empty() ? "" : "; ") + error;
    if (failure == RedisFailure::kNone) failure = kind;
  };
  for (std::size_t n = 0; n < order.size(); ++n) {
    const RedisEndpoint& sentinel = sentinels_[order[n]];
    const std::string name = sentinel.host + ":" + std::to_string(sentinel.port);
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      note("out of time (" + std::to_string(options_.timeout.count()) + "ms) before sentinel " +
               name,
           RedisFailure::kTimedOut);
      break;
    }
    // A share of what is left, so that one silent sentinel cannot use it all.
    const milliseconds share =
        std::max(milliseconds(1), left / static_cast<long>(order.size() - n));
    auto addr = AskSentinel(sentinel, share);
    if (!addr.ok()) {
      note("sentinel " + name + ": " + addr.status().message(), addr.status().redis_failure());
      continue;
    }
    if (!addr->has_value()) {
      note("sentinel " + name + " monitors no master named \"" + master_name_ + "\"",
           RedisFailure::kCannotServeNow);
      continue;
    }
    RedisEndpoint master = data_node_;
    master.host = (*addr)->host;
    master.port = (*addr)->port;
    if (current != nullptr && current->endpoint().host == master.host &&
        current->endpoint().port == master.port) {
      *answered = order[n];
      std::lock_guard<std::mutex> lock(mu_);
      return Pool(master.host, master.port);  // confirmed by ROLE when found
    }
    left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      note("out of time before confirming " + master.Redacted(), RedisFailure::kTimedOut);
      break;
    }
    if (Status confirmed = ConfirmMaster(master, left); !confirmed.ok()) {
      note("sentinel " + name + " named " + master.Redacted() + ", but " + confirmed.message(),
           confirmed.redis_failure());
      continue;
    }
    *answered = order[n];
    std::lock_guard<std::mutex> lock(mu_);
    return Pool(master.host, master.port);
  }
  return Status::Unavailable(
      "no sentinel of " + described_ + " named a usable master \"" + master_name_ + "\": " + errors,
      failure == RedisFailure::kNone ? RedisFailure::kCannotConnect : failure);
}

Result<std::optional<sentinel::MasterAddr>> SentinelClient::AskSentinel(
    const RedisEndpoint& sentinel, milliseconds budget) {
  RedisOptions options{sentinel, budget};
  options.read_clock = false;
  options.tls = options_.tls;
  auto conn = RedisConnection::Connect(options);
  if (!conn.ok()) return conn.status();
  auto reply = (*conn)->Command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", master_name_});
  discovery_commands_.fetch_add((*conn)->commands_sent(), std::memory_order_relaxed);
  if (!reply.ok()) return reply.status();
  return sentinel::ParseMasterAddr(*reply);
}

Status SentinelClient::ConfirmMaster(const RedisEndpoint& endpoint, milliseconds budget) {
  RedisOptions options{endpoint, budget};
  options.read_clock = false;
  options.tls = options_.tls;
  auto conn = RedisConnection::Connect(options);
  if (!conn.ok()) return conn.status();
  auto role = (*conn)->Command({"ROLE"});
  discovery_commands_.fetch_add((*conn)->commands_sent(), std::memory_order_relaxed);
  if (!role.ok()) return role.status();
  if (role->is_error())
    return Status::Unavailable("ROLE was refused: " + role->str, RedisFailure::kCannotServeNow);
  if (!sentinel::IsMasterRole(*role)) {
    return Status::Unavailable(
        "it says it is a " + (role->elements.empty() ? std::string("?") : role->elements[0].str),
        RedisFailure::kRefusesWrites);
  }
  return Status::Ok();
}

void SentinelClient::Forget(NodePool* pool, const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (master_ != pool) return;  // already forgotten, or a newer master
    master_ = nullptr;
  }
  options_.log(RedisLog::kInfo, "ONEP0306: Redis Sentinel: leaving master \"" + master_name_ +
                                    "\" at " + pool->redacted() + ": " + why +
                                    "; the next call asks the sentinels");
}

NodePool* SentinelClient::Pool(const std::string& host, int port) {
  auto& pool = pools_[host + ":" + std::to_string(port)];
  if (!pool) pool = NodePoolAt(data_node_, host, port, options_);
  return pool.get();
}

}  // namespace

std::unique_ptr<RedisClient> NewSentinelClient(const RedisTarget& target,
                                               RedisClientOptions options) {
  return std::make_unique<SentinelClient>(target, std::move(options));
}

}  // namespace onep
