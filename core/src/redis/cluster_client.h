// SPDX-License-Identifier: Apache-2.0
// The RedisClient of a Redis Cluster (cluster_client.cc says how it routes).
#ifndef ONEP_CORE_SRC_REDIS_CLUSTER_CLIENT_H_
#define ONEP_CORE_SRC_REDIS_CLUSTER_CLIENT_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
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

  std::string Describe() const override { return described_; }
  std::chrono::milliseconds timeout() const override { return options_.timeout; }

  uint64_t commands_sent() const override {
    std::lock_guard<std::mutex> lock(pools_mu_);
    uint64_t sum = 0;
    for (const auto& [name, pool] : pools_) sum += pool->commands_sent();
    return sum;
  }

 private:
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

  // The owner of `slot`, reading the map first if there is none yet.
  Result<NodePool*> OwnerOrRefresh(int slot, uint64_t* version) {
    NodePool* owner = Owner(slot, version);
    if (owner != nullptr) return owner;
    if (Status refreshed = Refresh(*version, ""); !refreshed.ok()) return refreshed;
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
  Status Refresh(uint64_t seen_version, const std::string& why);

  // Runs `op` (RedisConnection&, bool asking) -> Result<Reply> on the owner
  // of `slot`, following MOVED and ASK. `*last` is set to the node that gave
  // the final answer.
  template <typename Op>
  Result<Reply> Routed(int slot, Op op, NodePool** last = nullptr, Deadline until = kNoDeadline);

  // Called after a MOVED: the map is stale beyond that one slot, maybe.
  void AfterMoved(const std::string& from) {
    if (refresh_after_moved_.exchange(false)) {
      Status refreshed = Refresh(MapVersion(), "MOVED from " + from);
      (void)refreshed;  // the slot itself is already fixed; the next MOVED retries
    }
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
  uint64_t version_ = 0;            // guarded by map_mu_; +1 per refresh
  std::atomic<bool> refresh_after_moved_{false};
};

}  // namespace onep::cluster

namespace onep {

// The ClusterClient behind a RedisClient; ConnectRedis picks it for a Cluster.
std::unique_ptr<RedisClient> NewClusterClient(const RedisTarget& target,
                                              RedisClientOptions options);

}  // namespace onep

#endif  // ONEP_CORE_SRC_REDIS_CLUSTER_CLIENT_H_
