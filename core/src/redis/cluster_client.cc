// SPDX-License-Identifier: Apache-2.0
// RedisClient for a Redis Cluster: a slot map (16384 slots -> the master's
// NodePool), read from CLUSTER SHARDS (CLUSTER SLOTS before Redis 7), and the
// redirections Redis answers with when the map is stale.
//
// Never send twice: a command is resent only after MOVED or ASK, by which a
// node says it ran nothing. A connection that fails after the command was
// written is Unavailable. Only a connect failure (nothing written) leads to a
// refresh of the map and, inline, one attempt on the new owner.
//
// Refreshes: inline (RedisUpkeep::kInline), the call that met a MOVED or an
// unreachable node reads the map again, each node in turn with the whole
// timeout. In the background mode the call only marks it due (it has
// followed the MOVED itself; an unreachable owner is a 503) and Upkeep()
// reads it, so that no call waits on a map that hung nodes are slow to give;
// a call that has no map at all reads it within one timeout.
//
// Locks: `map_mu_` guards the slot map, `pools_mu_` the pools; neither is held
// across network I/O. Pools live as long as the client, so a NodePool* read
// under the map's lock stays valid after the lock is released.
#include "cluster_client.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace onep {
namespace cluster {
namespace {

// Redirections followed per call. A slot moves at most once per migration,
// and an ASK is followed by at most one MOVED, so a call needing more is
// caught in a loop (e.g. a migration half set up).
constexpr int kMaxRedirects = 5;

// How long Upkeep() waits before trying again after it could read no map.
constexpr std::chrono::milliseconds kRetryAfterFailure{500};

}  // namespace

void ClusterClient::Upkeep() {
  const bool never_read = MapVersion() == 0;
  std::string why;
  {
    std::lock_guard<std::mutex> lock(upkeep_mu_);
    if (!refresh_wanted_ && !never_read) return;
    if (Clock::now() < refresh_retry_at_) return;
    refresh_wanted_ = false;
    why = std::move(refresh_why_);
    refresh_why_.clear();
  }
  const Status refreshed = Refresh(MapVersion(), why);
  bool first_failure = false;
  {
    std::lock_guard<std::mutex> lock(upkeep_mu_);
    if (refreshed.ok()) {
      refresh_failing_ = false;
      return;
    }
    first_failure = !refresh_failing_;
    refresh_failing_ = true;
    refresh_retry_at_ = Clock::now() + kRetryAfterFailure;
    if (!refresh_wanted_ && !why.empty()) {
      refresh_wanted_ = true;
      refresh_why_ = why;
    }
  }
  // Once per outage at warning; the retries that follow at debug.
  options_.log(first_failure ? RedisLog::kWarning : RedisLog::kDebug,
               "ONEP0308: " + refreshed.message() +
                   "; calls keep the map they have, tried again in " +
                   std::to_string(kRetryAfterFailure.count()) + " ms");
}

Status ClusterClient::Refresh(uint64_t seen_version, const std::string& why,
                              std::optional<Clock::time_point> deadline) {
  if (MapVersion() != seen_version) return Status::Ok();
  std::vector<std::pair<std::string, int>> candidates;
  for (const RedisEndpoint& seed : seeds_) candidates.emplace_back(seed.host, seed.port);
  {
    std::shared_lock<std::shared_mutex> lock(map_mu_);
    for (NodePool* master : masters_) {
      candidates.emplace_back(master->endpoint().host, master->endpoint().port);
    }
  }
  {
    std::lock_guard<std::mutex> lock(pools_mu_);
    for (const auto& [name, pool] : pools_) {
      candidates.emplace_back(pool->endpoint().host, pool->endpoint().port);
    }
  }
  std::string errors;
  RedisFailure failure = RedisFailure::kNone;  // the kind of the first node's failure
  auto note = [&](const std::string& error, RedisFailure kind) {
    errors += (errors.empty() ? "" : "; ") + error;
    if (failure == RedisFailure::kNone) failure = kind;
  };
  std::vector<std::pair<std::string, int>> unique;
  for (const auto& candidate : candidates) {
    if (std::find(unique.begin(), unique.end(), candidate) == unique.end()) {
      unique.push_back(candidate);
    }
  }
  // A node's view can leave slots without a master for a moment: Redis 8's
  // CLUSTER SHARDS, just after a failover, can list the failed-over shard
  // with no slots (and both of its nodes as masters). Then the same node's
  // CLUSTER SLOTS, read from its slot table, is asked too, and a map that
  // still leaves slots unowned is taken only when no node has a whole one.
  std::vector<ShardInfo> best;
  NodePool* best_node = nullptr;
  for (std::size_t n = 0; n < unique.size(); ++n) {
    const auto& candidate = unique[n];
    NodePool* node = Pool(candidate.first, candidate.second);
    auto read = [&](RedisConnection& conn) -> Result<std::vector<ShardInfo>> {
      std::vector<ShardInfo> from_shards;
      auto reply = conn.Command({"CLUSTER", "SHARDS"});
      if (!reply.ok()) return reply.status();
      if (!reply->is_error()) {
        from_shards = ParseShards(*reply, candidate.first, seeds_.at(0).tls);
        if (SlotsCovered(from_shards) == kSlots) return from_shards;
      }
      reply = conn.Command({"CLUSTER", "SLOTS"});
      if (!reply.ok()) return reply.status();
      if (reply->is_error()) {
        if (!from_shards.empty()) return from_shards;
        return Status::Unavailable(node->redacted() + ": " + reply->str,
                                   RedisFailure::kCannotServeNow);
      }
      std::vector<ShardInfo> from_slots = ParseSlots(*reply, candidate.first);
      return SlotsCovered(from_slots) >= SlotsCovered(from_shards) ? from_slots : from_shards;
    };
    Result<std::vector<ShardInfo>> shards = std::vector<ShardInfo>{};
    if (!deadline) {
      shards = node->Run(read);
    } else {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) {
        note("out of time (" + std::to_string(options_.timeout.count()) + "ms) before " +
                 node->redacted(),
             RedisFailure::kTimedOut);
        break;
      }
      // A share of what is left, so that one hung node cannot use it all.
      const std::chrono::milliseconds share =
          std::max(std::chrono::milliseconds(1), left / static_cast<long>(unique.size() - n));
      shards = OnOwnConnection(node->endpoint(), share, read);
    }
    if (!shards.ok() || shards->empty()) {
      note(shards.ok() ? node->redacted() + " knows no slots" : shards.status().message(),
           shards.ok() ? RedisFailure::kCannotServeNow : shards.status().redis_failure());
      continue;
    }
    if (SlotsCovered(*shards) > SlotsCovered(best)) {
      best = std::move(shards).value();
      best_node = node;
    }
    if (SlotsCovered(best) == kSlots) break;
  }
  if (best_node == nullptr) {
    return Status::Unavailable("cannot read the slot map of " + described_ + ": " + errors,
                               failure);
  }
  std::vector<NodePool*> slots(kSlots, nullptr);
  std::vector<std::pair<int, NodePool*>> masters;  // first slot, pool
  for (const ShardInfo& shard : best) {
    NodePool* owner = Pool(shard.host, shard.port);
    int first = kSlots;
    for (auto [start, end] : shard.ranges) {
      for (int slot = std::max(start, 0); slot <= std::min(end, kSlots - 1); ++slot) {
        slots[slot] = owner;
      }
      first = std::min(first, start);
    }
    masters.emplace_back(first, owner);
  }
  std::sort(masters.begin(), masters.end());
  std::vector<NodePool*> ordered;
  for (const auto& [first, pool] : masters) {
    if (std::find(ordered.begin(), ordered.end(), pool) == ordered.end()) ordered.push_back(pool);
  }
  {
    std::unique_lock<std::shared_mutex> lock(map_mu_);
    slots_.swap(slots);
    masters_.swap(ordered);
    ++version_;
  }
  options_.log(why.empty() ? RedisLog::kDebug : RedisLog::kInfo,
               "ONEP0303: Redis Cluster slot map of " + described_ + " read from " +
                   best_node->redacted() + (why.empty() ? "" : " after " + why) + ": " +
                   std::to_string(masters.size()) + " masters");
  // `slots` and `ordered` (the old map) are freed here, outside the lock.
  return Status::Ok();
}

template <typename Op>
Result<Reply> ClusterClient::Routed(int slot, Op op, NodePool** last, Deadline until) {
  uint64_t version = 0;
  auto owner = OwnerOrRefresh(slot, &version, until);
  if (!owner.ok()) return owner.status();
  NodePool* node = *owner;
  bool asking = false;
  bool reconnected = false;
  std::string moved_from;
  for (int redirects = 0;; ++redirects) {
    bool sent = false;
    auto reply = node->Run(
        [&](RedisConnection& conn) {
          sent = true;
          return op(conn, asking);
        },
        until);
    if (last != nullptr) *last = node;
    if (!reply.ok()) {
      // Nothing was written: the node is down or gone. The map may know a
      // new owner (a failover); one attempt there.
      if (!sent && !asking && !reconnected) {
        reconnected = true;
        if (RefreshAfterUnreachable(node, version)) {
          NodePool* next = Owner(slot, &version);
          if (next != nullptr && next != node) {
            node = next;
            --redirects;  // not a redirection
            continue;
          }
        }
      }
      if (!moved_from.empty()) AfterMoved(moved_from);
      return reply.status();
    }
    const Redirect redirect = ParseRedirect(*reply);
    if (redirect.kind == Redirect::Kind::kNone) {
      if (!moved_from.empty()) AfterMoved(moved_from);
      return reply;
    }
    if (redirects + 1 > kMaxRedirects) {
      options_.log(RedisLog::kInfo, "ONEP0304: gave up on slot " + std::to_string(slot) + " of " +
                                        described_ + " after " + std::to_string(kMaxRedirects) +
                                        " redirections; last: " + reply->str);
      return Status::Unavailable("slot " + std::to_string(slot) + " of " + described_ +
                                     " is still being redirected after " +
                                     std::to_string(kMaxRedirects) + " hops: " + reply->str,
                                 RedisFailure::kCannotServeNow);
    }
    NodePool* target =
        Pool(redirect.host.empty() ? node->endpoint().host : redirect.host, redirect.port);
    if (redirect.kind == Redirect::Kind::kMoved) {
      SetSlot(redirect.slot, target);
      moved_from = node->redacted();
    }
    asking = redirect.kind == Redirect::Kind::kAsk;
    node = target;
  }
}

Result<std::vector<Reply>> ClusterClient::Pipeline(
    std::string_view slot_key, const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return std::vector<Reply>{};
  const int slot = HashSlot(slot_key);
  uint64_t version = 0;
  auto owner = OwnerOrRefresh(slot, &version);
  if (!owner.ok()) return owner.status();

  // A batch: the commands (by index) still to be sent to one node.
  struct Batch {
    NodePool* node;
    bool asking;
    std::vector<std::size_t> indexes;
  };
  std::vector<Reply> replies(commands.size());
  std::vector<Batch> batches;
  batches.push_back({*owner, false, {}});
  for (std::size_t i = 0; i < commands.size(); ++i) batches[0].indexes.push_back(i);
  bool reconnected = false;
  std::string moved_from;
  for (int round = 0; !batches.empty(); ++round) {
    if (round > kMaxRedirects) {
      options_.log(RedisLog::kInfo, "ONEP0304: gave up on a pipeline for slot " +
                                        std::to_string(slot) + " of " + described_ + " after " +
                                        std::to_string(kMaxRedirects) + " redirections");
      return Status::Unavailable("slot " + std::to_string(slot) + " of " + described_ +
                                     " is still being redirected after " +
                                     std::to_string(kMaxRedirects) + " hops",
                                 RedisFailure::kCannotServeNow);
    }
    std::vector<Batch> next;
    for (Batch& batch : batches) {
      std::vector<std::vector<std::string>> wire;
      for (std::size_t i : batch.indexes) {
        if (batch.asking) wire.push_back({"ASKING"});
        wire.push_back(commands[i]);
      }
      bool sent = false;
      auto got = batch.node->Run([&](RedisConnection& conn) {
        sent = true;
        return conn.Pipeline(wire);
      });
      if (!got.ok()) {
        if (!sent && !batch.asking && !reconnected) {
          reconnected = true;
          if (RefreshAfterUnreachable(batch.node, version)) {
            NodePool* fresh = Owner(slot, &version);
            if (fresh != nullptr && fresh != batch.node) {
              next.push_back({fresh, false, std::move(batch.indexes)});
              continue;
            }
          }
        }
        if (!moved_from.empty()) AfterMoved(moved_from);
        return got.status();
      }
      const std::size_t stride = batch.asking ? 2 : 1;
      for (std::size_t k = 0; k < batch.indexes.size(); ++k) {
        Reply& reply = (*got)[k * stride + stride - 1];
        const std::size_t index = batch.indexes[k];
        const Redirect redirect = ParseRedirect(reply);
        if (redirect.kind == Redirect::Kind::kNone) {
          replies[index] = std::move(reply);
          continue;
        }
        NodePool* target = Pool(redirect.host.empty() ? batch.node->endpoint().host : redirect.host,
                                redirect.port);
        const bool asking = redirect.kind == Redirect::Kind::kAsk;
        if (!asking) {
          SetSlot(redirect.slot, target);
          moved_from = batch.node->redacted();
        }
        auto same = std::find_if(next.begin(), next.end(), [&](const Batch& b) {
          return b.node == target && b.asking == asking;
        });
        if (same == next.end()) {
          next.push_back({target, asking, {index}});
        } else {
          same->indexes.push_back(index);
        }
      }
    }
    // Indexes keep their order within a batch: each resend is in the
    // caller's order, as the first send was.
    batches = std::move(next);
  }
  if (!moved_from.empty()) AfterMoved(moved_from);
  return replies;
}

template <typename Op>
Result<std::vector<Reply>> ClusterClient::ForEveryMaster(Op op) {
  std::map<NodePool*, Reply> done;  // masters that answered: never asked twice
  for (int attempt = 0;; ++attempt) {
    std::vector<NodePool*> masters;
    uint64_t version = 0;
    {
      std::shared_lock<std::shared_mutex> lock(map_mu_);
      masters = masters_;
      version = version_;
    }
    if (masters.empty()) {
      if (attempt > 0)
        return Status::Unavailable(described_ + " has no master", RedisFailure::kCannotServeNow);
      if (Status read = ReadMapOnCallersTime(version); !read.ok()) return read;
      continue;
    }
    bool retry = false;
    for (NodePool* master : masters) {
      if (done.count(master) != 0) continue;
      bool sent = false;
      auto reply = master->Run([&](RedisConnection& conn) {
        sent = true;
        return op(conn);
      });
      if (!reply.ok()) {
        // Unreachable before anything was written: maybe failed over. Once,
        // the masters of a fresh map that have not answered yet (inline).
        if (!sent && attempt == 0 && RefreshAfterUnreachable(master, version) &&
            MapVersion() != version) {
          retry = true;
          break;
        }
        return reply.status().WithContext(master->redacted());
      }
      done.emplace(master, std::move(reply).value());
    }
    if (retry) continue;
    std::vector<Reply> replies;
    for (NodePool* master : masters) replies.push_back(std::move(done[master]));
    return replies;
  }
}

Result<Reply> ClusterClient::Command(std::string_view slot_key,
                                     const std::vector<std::string>& argv, Deadline until) {
  return Routed(
      HashSlot(slot_key),
      [&](RedisConnection& conn, bool asking) -> Result<Reply> {
        if (!asking) return conn.Command(argv);
        return AskingCommand(conn, argv);
      },
      nullptr, until);
}

Result<Reply> ClusterClient::Eval(std::string_view slot_key, const ScriptCall& call) {
  NodePool* last = nullptr;
  auto reply = Routed(
      HashSlot(slot_key),
      [&](RedisConnection& conn, bool asking) { return conn.EvalRaw(call, asking); }, &last,
      call.until);
  return ScriptReplyStatus(std::move(reply), last != nullptr ? last->redacted() : described_);
}

Status ClusterClient::Ping() {
  return ForEveryMaster([](RedisConnection& conn) -> Result<Reply> {
           if (Status alive = conn.Ping(); !alive.ok()) return alive;
           return Reply{};
         })
      .status();
}

Result<std::vector<Reply>> ClusterClient::OnEveryMaster(const std::vector<std::string>& command) {
  return ForEveryMaster([&](RedisConnection& conn) { return conn.Command(command); });
}

}  // namespace cluster

std::unique_ptr<RedisClient> NewClusterClient(const RedisTarget& target,
                                              RedisClientOptions options) {
  return std::make_unique<cluster::ClusterClient>(target, std::move(options));
}

}  // namespace onep
