// RedisClient for a Redis Cluster: a slot map (16384 slots -> the master's
// NodePool), read from CLUSTER SHARDS (CLUSTER SLOTS before Redis 7), and the
// redirections Redis answers with when the map is stale.
//
// Never send twice: a command is resent only after MOVED or ASK, by which a
// node says it ran nothing. A connection that fails after the command was
// written is Unavailable. Only a connect failure (nothing written) leads to a
// refresh of the map and one attempt on the new owner.
//
// Locks: `map_mu_` guards the slot map, `pools_mu_` the pools; neither is held
// across network I/O. Pools live as long as the client, so a NodePool* read
// under the map's lock stays valid after the lock is released.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "clients.h"
#include "node_pool.h"

namespace onep {
namespace {

constexpr int kSlots = 16384;
// Redirections followed per call. A slot moves at most once per migration,
// and an ASK is followed by at most one MOVED, so a call needing more is
// caught in a loop (e.g. a migration half set up).
constexpr int kMaxRedirects = 5;

struct Redirect {
  enum class Kind { kNone, kMoved, kAsk };
  Kind kind = Kind::kNone;
  int slot = -1;
  std::string host;  // may be empty: the replying node's own host
  int port = 0;
};

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381"; kNone for any
// other reply. The host may be empty when the node does not know its own
// address (cluster-announce unset and no client seen yet).
Redirect ParseRedirect(const Reply& reply) {
  Redirect out;
  if (!reply.is_error()) return out;
  std::string_view rest;
  if (reply.str.compare(0, 6, "MOVED ") == 0) {
    out.kind = Redirect::Kind::kMoved;
    rest = std::string_view(reply.str).substr(6);
  } else if (reply.str.compare(0, 4, "ASK ") == 0) {
    out.kind = Redirect::Kind::kAsk;
    rest = std::string_view(reply.str).substr(4);
  } else {
    return out;
  }
  const std::size_t space = rest.find(' ');
  const std::size_t colon = rest.rfind(':');
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space) {
    return Redirect{};
  }
  out.slot = std::atoi(std::string(rest.substr(0, space)).c_str());
  out.host = std::string(rest.substr(space + 1, colon - space - 1));
  out.port = std::atoi(std::string(rest.substr(colon + 1)).c_str());
  if (out.slot < 0 || out.slot >= kSlots || out.port <= 0) return Redirect{};
  return out;
}

bool UsableHost(const std::string& host) { return !host.empty() && host != "?"; }

// One master and the slot ranges it serves, as a node reported them.
struct ShardInfo {
  std::string host;
  int port = 0;
  std::vector<std::pair<int, int>> ranges;  // inclusive
};

// A RESP2 map (flat array of name, value, ...) looked up by name.
const Reply* Field(const Reply& map, std::string_view name) {
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].str == name) return &map.elements[i + 1];
  }
  return nullptr;
}

// CLUSTER SHARDS (Redis 7): per shard "slots" [start, end, ...] and "nodes",
// each a map with ip/endpoint/port/role/health. A failed-over master may still
// be listed with health "failed"; the online master wins.
std::vector<ShardInfo> ParseShards(const Reply& reply, const std::string& asked_host) {
  std::vector<ShardInfo> out;
  for (const Reply& shard : reply.elements) {
    const Reply* slots = Field(shard, "slots");
    const Reply* nodes = Field(shard, "nodes");
    if (slots == nullptr || nodes == nullptr || slots->elements.empty()) continue;
    const Reply* master = nullptr;
    for (const Reply& node : nodes->elements) {
      const Reply* role = Field(node, "role");
      if (role == nullptr || role->str != "master") continue;
      const Reply* health = Field(node, "health");
      const bool online = health == nullptr || health->str == "online";
      if (master == nullptr || online) master = &node;
      if (online) break;
    }
    if (master == nullptr) continue;
    ShardInfo info;
    for (const char* name : {"endpoint", "ip"}) {
      const Reply* host = Field(*master, name);
      if (host != nullptr && UsableHost(host->str)) {
        info.host = host->str;
        break;
      }
    }
    if (info.host.empty()) info.host = asked_host;
    const Reply* port = Field(*master, "port");
    if (port == nullptr) port = Field(*master, "tls-port");
    if (port == nullptr || port->type != Reply::Type::kInteger) continue;
    info.port = static_cast<int>(port->integer);
    for (std::size_t i = 0; i + 1 < slots->elements.size(); i += 2) {
      info.ranges.emplace_back(static_cast<int>(slots->elements[i].integer),
                               static_cast<int>(slots->elements[i + 1].integer));
    }
    out.push_back(std::move(info));
  }
  return out;
}

// CLUSTER SLOTS (Redis 3-6): [start, end, [host, port, id, ...], replicas...].
std::vector<ShardInfo> ParseSlots(const Reply& reply, const std::string& asked_host) {
  std::vector<ShardInfo> out;
  for (const Reply& range : reply.elements) {
    if (range.elements.size() < 3 || range.elements[2].elements.size() < 2) continue;
    const Reply& master = range.elements[2];
    ShardInfo info;
    info.host = UsableHost(master.elements[0].str) ? master.elements[0].str : asked_host;
    info.port = static_cast<int>(master.elements[1].integer);
    info.ranges.emplace_back(static_cast<int>(range.elements[0].integer),
                             static_cast<int>(range.elements[1].integer));
    out.push_back(std::move(info));
  }
  return out;
}

class ClusterClient : public RedisClient {
 public:
  ClusterClient(const RedisTarget& target, RedisClientOptions options)
      : seeds_(target.nodes),
        described_(target.Redacted()),
        options_(std::move(options)),
        slots_(kSlots, nullptr) {}

  Result<Reply> Command(std::string_view slot_key, const std::vector<std::string>& argv) override {
    return Routed(HashSlot(slot_key), [&](RedisConnection& conn, bool asking) -> Result<Reply> {
      if (!asking) return conn.Command(argv);
      return AskingCommand(conn, argv);
    });
  }

  Result<std::vector<Reply>> Pipeline(
      std::string_view slot_key, const std::vector<std::vector<std::string>>& commands) override;

  Result<Reply> Eval(std::string_view slot_key, const ScriptCall& call) override {
    NodePool* last = nullptr;
    auto reply = Routed(
        HashSlot(slot_key),
        [&](RedisConnection& conn, bool asking) { return conn.EvalRaw(call, asking); }, &last);
    return ScriptReplyStatus(std::move(reply), last != nullptr ? last->redacted() : described_);
  }

  Status Ping() override {
    return ForEveryMaster([](RedisConnection& conn) -> Result<Reply> {
             if (Status alive = conn.Ping(); !alive.ok()) return alive;
             return Reply{};
           })
        .status();
  }

  Result<std::vector<Reply>> OnEveryMaster(const std::vector<std::string>& command) override {
    return ForEveryMaster([&](RedisConnection& conn) { return conn.Command(command); });
  }

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
    if (!pool) {
      RedisEndpoint endpoint = seeds_.at(0);
      endpoint.is_unix = false;
      endpoint.host = host;
      endpoint.port = port;
      pool = std::make_unique<NodePool>(RedisOptions{endpoint, options_.timeout},
                                        options_.max_idle_per_node, options_.log);
    }
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
      return Status::Unavailable("no master serves slot " + std::to_string(slot) + " of " +
                                 described_);
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
  Result<Reply> Routed(int slot, Op op, NodePool** last = nullptr);

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

Status ClusterClient::Refresh(uint64_t seen_version, const std::string& why) {
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
  std::vector<std::pair<std::string, int>> asked;
  for (const auto& candidate : candidates) {
    if (std::find(asked.begin(), asked.end(), candidate) != asked.end()) continue;
    asked.push_back(candidate);
    NodePool* node = Pool(candidate.first, candidate.second);
    auto shards = node->Run([&](RedisConnection& conn) -> Result<std::vector<ShardInfo>> {
      auto reply = conn.Command({"CLUSTER", "SHARDS"});
      if (reply.ok() && !reply->is_error()) return ParseShards(*reply, candidate.first);
      if (!reply.ok()) return reply.status();
      reply = conn.Command({"CLUSTER", "SLOTS"});
      if (!reply.ok()) return reply.status();
      if (reply->is_error()) return Status::Unavailable(node->redacted() + ": " + reply->str);
      return ParseSlots(*reply, candidate.first);
    });
    if (!shards.ok() || shards->empty()) {
      errors += (errors.empty() ? "" : "; ") +
                (shards.ok() ? node->redacted() + " knows no slots" : shards.status().message());
      continue;
    }
    std::vector<NodePool*> slots(kSlots, nullptr);
    std::vector<std::pair<int, NodePool*>> masters;  // first slot, pool
    for (const ShardInfo& shard : *shards) {
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
      if (std::find(ordered.begin(), ordered.end(), pool) == ordered.end()) {
        ordered.push_back(pool);
      }
    }
    {
      std::unique_lock<std::shared_mutex> lock(map_mu_);
      slots_.swap(slots);
      masters_.swap(ordered);
      ++version_;
    }
    options_.log(why.empty() ? RedisLog::kDebug : RedisLog::kInfo,
                 "ONEP0303: Redis Cluster slot map of " + described_ + " read from " +
                     node->redacted() + (why.empty() ? "" : " after " + why) + ": " +
                     std::to_string(masters.size()) + " masters");
    // `slots` and `ordered` (the old map) are freed here, outside the lock.
    return Status::Ok();
  }
  return Status::Unavailable("cannot read the slot map of " + described_ + ": " + errors);
}

template <typename Op>
Result<Reply> ClusterClient::Routed(int slot, Op op, NodePool** last) {
  uint64_t version = 0;
  auto owner = OwnerOrRefresh(slot, &version);
  if (!owner.ok()) return owner.status();
  NodePool* node = *owner;
  bool asking = false;
  bool reconnected = false;
  std::string moved_from;
  for (int redirects = 0;; ++redirects) {
    bool sent = false;
    auto reply = node->Run([&](RedisConnection& conn) {
      sent = true;
      return op(conn, asking);
    });
    if (last != nullptr) *last = node;
    if (!reply.ok()) {
      // Nothing was written: the node is down or gone. The map may know a
      // new owner (a failover); one attempt there.
      if (!sent && !asking && !reconnected) {
        reconnected = true;
        if (Refresh(version, node->redacted() + " unreachable").ok()) {
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
                                 std::to_string(kMaxRedirects) + " hops: " + reply->str);
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
                                 std::to_string(kMaxRedirects) + " hops");
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
          if (Refresh(version, batch.node->redacted() + " unreachable").ok()) {
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
      if (attempt > 0) return Status::Unavailable(described_ + " has no master");
      if (Status refreshed = Refresh(version, ""); !refreshed.ok()) return refreshed;
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
        // the masters of a fresh map that have not answered yet.
        if (!sent && attempt == 0 && Refresh(version, master->redacted() + " unreachable").ok() &&
            MapVersion() != version) {
          retry = true;
          break;
        }
        return Status::Unavailable(master->redacted() + ": " + reply.status().message());
      }
      done.emplace(master, std::move(reply).value());
    }
    if (retry) continue;
    std::vector<Reply> replies;
    for (NodePool* master : masters) replies.push_back(std::move(done[master]));
    return replies;
  }
}

}  // namespace

std::unique_ptr<RedisClient> NewClusterClient(const RedisTarget& target,
                                              RedisClientOptions options) {
  return std::make_unique<ClusterClient>(target, std::move(options));
}

}  // namespace onep
