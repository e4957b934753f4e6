// SPDX-License-Identifier: Apache-2.0
// The RedisClient of a Redis Cluster (cluster_client.cc says how it routes).
#ifndef ONEP_CORE_SRC_REDIS_CLUSTER_CLIENT_H_
#define ONEP_CORE_SRC_REDIS_CLUSTER_CLIENT_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "cluster_replies.h"
#include "node_pool.h"
#include "onep/redis_client.h"

namespace onep::cluster {

class ClusterClient : public RedisClient {
 public:
  ClusterClient(const RedisTarget& target, RedisClientOptions options)
      : seeds_(target.nodes),
        described_(target.Redacted()),
        options_(std::move(options)),
        slots_(kSlots, nullptr) {}

  Result<Reply> Command(std::string_view slot_key, const std::vector<std::string>& argv,
                        Deadline until = kNoDeadline) override;

  Result<std::vector<Reply>> Pipeline(
      std::string_view slot_key, const std::vector<std::vector<std::string>>& commands) override;

  Result<Reply> Eval(std::string_view slot_key, const ScriptCall& call) override;

  Status Ping() override;

  Result<std::vector<Reply>> OnEveryMaster(const std::vector<std::string>& command) override;

  // Reads the map when a call marked it due (kBackground), or when there is
  // none yet: each node in turn, with the whole timeout each.
  void Upkeep() override;

  std::string Describe() const override { return described_; }
  std::chrono::milliseconds timeout() const override { return options_.timeout; }

  uint64_t commands_sent() const override {
    std::lock_guard<std::mutex> lock(pools_mu_);
    uint64_t sum = map_commands_.load(std::memory_order_relaxed);
    for (const auto& [name, pool] : pools_) sum += pool->commands_sent();
    return sum;
  }

 private:
  using Clock = std::chrono::steady_clock;

  bool background() const { return options_.upkeep == RedisUpkeep::kBackground; }

  // ASKING and the command in one write; ASKING's +OK is dropped.
  static Result<Reply> AskingCommand(RedisConnection& conn, const std::vector<std::string>& argv) {
    auto replies = conn.Pipeline({{"ASKING"}, argv});
    if (!replies.ok()) return replies.status();
    return std::move(replies->back());
  }

  // The pool of host:port, created on first use with the seed's credentials.
  NodePool* Pool(const std::string& host, int port) {
    const std::string name = host + ":" + std::to_string(port);
    std::lock_guard<std::mutex> lock(pools_mu_);
    auto& pool = pools_[name];
    if (!pool) pool = NodePoolAt(seeds_.at(0), host, port, options_);
    return pool.get();
  }

  // The master of `slot` and the map's version; nullptr when the map has none.
  NodePool* Owner(int slot, uint64_t* version) const {
    std::shared_lock<std::shared_mutex> lock(map_mu_);
    *version = version_;
    return slots_[slot];
  }

  uint64_t MapVersion() const {
    std::shared_lock<std::shared_mutex> lock(map_mu_);
    return version_;
  }

  // The owner of `slot`, reading the map first if there is none yet (or,
  // inline, none for that slot), by `until` in the background mode.
  Result<NodePool*> OwnerOrRefresh(int slot, uint64_t* version, Deadline until = kNoDeadline) {
    NodePool* owner = Owner(slot, version);
    if (owner != nullptr) return owner;
    if (background() && *version != 0) {
      // A map without that slot (a shard without a master for a moment):
      // the last good map stands until the owner's upkeep reads another.
      WantRefresh("no master for slot " + std::to_string(slot));
    } else if (Status read = ReadMapOnCallersTime(*version, until); !read.ok()) {
      return read;
    }
    owner = Owner(slot, version);
    if (owner == nullptr) {
      return Status::Unavailable(
          "no master serves slot " + std::to_string(slot) + " of " + described_,
          RedisFailure::kCannotServeNow);
    }
    return owner;
  }

  // Reads the slot map from the seeds in turn, then from the nodes known so
  // far. Skipped when the map changed since `seen_version`: another caller
  // refreshed it meanwhile. `why` non-empty: logged at info (why it changed).
  // Without a deadline each node is asked on a pooled connection with the
  // whole timeout; with one, on a connection of its own with a share of
  // what is left until then, so that hung nodes cannot hold the caller past it.
  Status Refresh(uint64_t seen_version, const std::string& why,
                 std::optional<Clock::time_point> deadline = std::nullopt);

  // A call that has no map reads it: inline, as Refresh does; in the
  // background mode, within one timeout (and by the caller's `until`).
  Status ReadMapOnCallersTime(uint64_t seen_version, Deadline until = kNoDeadline) {
    if (!background()) return Refresh(seen_version, "");
    return Refresh(seen_version, "", Earlier(until, Clock::now() + options_.timeout));
  }

  // Nothing was written to `node`: it is down or gone, and the map may know
  // its successor (a failover). Inline, reads the map again now: true when
  // it did, and the caller tries the slot's owner in it once. In the
  // background mode, marks a refresh due for the owner's upkeep: false.
  bool RefreshAfterUnreachable(NodePool* node, uint64_t seen_version) {
    const std::string why = node->redacted() + " unreachable";
    if (background()) {
      WantRefresh(why);
      return false;
    }
    return Refresh(seen_version, why).ok();
  }

  // `read`, a callable RedisConnection& -> Result<T>, on a connection of its
  // own to `endpoint` (no pool, no TIME, no scripts), bounded by `budget`.
  template <typename Read>
  auto OnOwnConnection(const RedisEndpoint& endpoint, std::chrono::milliseconds budget, Read read)
      -> decltype(read(std::declval<RedisConnection&>())) {
    RedisOptions connection{endpoint, budget};
    connection.read_clock = false;
    connection.tls = options_.tls;
    auto conn = RedisConnection::Connect(connection);
    if (!conn.ok()) return conn.status();
    auto result = read(**conn);
    map_commands_.fetch_add((*conn)->commands_sent(), std::memory_order_relaxed);
    return result;
  }

  // Marks a refresh due, for Upkeep(); the first reason is kept for its log.
  void WantRefresh(std::string why) {
    std::lock_guard<std::mutex> lock(upkeep_mu_);
    if (refresh_wanted_) return;
    refresh_wanted_ = true;
    refresh_why_ = std::move(why);
  }

  // Runs `op` (RedisConnection&, bool asking) -> Result<Reply> on the owner
  // of `slot`, following MOVED and ASK. `*last` is set to the node that gave
  // the final answer.
  template <typename Op>
  Result<Reply> Routed(int slot, Op op, NodePool** last = nullptr, Deadline until = kNoDeadline);

  // Called after a MOVED: the map is stale beyond that one slot, maybe. The
  // slot itself is already fixed (SetSlot); a failed refresh is tried again
  // after the next MOVED.
  void AfterMoved(const std::string& from) {
    if (!refresh_after_moved_.exchange(false)) return;
    if (background()) return WantRefresh("MOVED from " + from);
    Status refreshed = Refresh(MapVersion(), "MOVED from " + from);
    (void)refreshed;
  }

  void SetSlot(int slot, NodePool* owner) {
    std::unique_lock<std::shared_mutex> lock(map_mu_);
    slots_[slot] = owner;
    refresh_after_moved_.store(true);
  }

  // Runs `op` (RedisConnection&) -> Result<Reply> on every master, in the
  // order of their first slot; refreshes the map once when one cannot be
  // reached (a failover) or there is no map yet.
  template <typename Op>
  Result<std::vector<Reply>> ForEveryMaster(Op op);

  const std::vector<RedisEndpoint> seeds_;
  const std::string described_;
  const RedisClientOptions options_;

  mutable std::mutex pools_mu_;
  std::map<std::string, std::unique_ptr<NodePool>> pools_;  // guarded by pools_mu_; never erased

  mutable std::shared_mutex map_mu_;
  std::vector<NodePool*> slots_;    // guarded by map_mu_; nullptr: unknown
  std::vector<NodePool*> masters_;  // guarded by map_mu_; by first slot
  uint64_t version_ = 0;            // guarded by map_mu_; +1 per refresh; 0: never read
  std::atomic<bool> refresh_after_moved_{false};
  std::atomic<uint64_t> map_commands_{0};  // sent on Refresh's own connections

  // What Upkeep() is to do; never held with another lock, nor across I/O.
  std::mutex upkeep_mu_;
  bool refresh_wanted_ = false;           // guarded by upkeep_mu_
  std::string refresh_why_;               // guarded by upkeep_mu_
  bool refresh_failing_ = false;          // guarded by upkeep_mu_; the last upkeep read no map
  Clock::time_point refresh_retry_at_{};  // guarded by upkeep_mu_
};

}  // namespace onep::cluster

namespace onep {

// The ClusterClient behind a RedisClient; ConnectRedis picks it for a Cluster.
std::unique_ptr<RedisClient> NewClusterClient(const RedisTarget& target,
                                              RedisClientOptions options);

}  // namespace onep

#endif  // ONEP_CORE_SRC_REDIS_CLUSTER_CLIENT_H_
