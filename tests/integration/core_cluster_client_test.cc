// SPDX-License-Identifier: Apache-2.0
// The Redis Cluster client against a real 3-master, 3-replica cluster.
//
// One cluster serves the whole suite; tests move slots and fail masters over,
// so none assumes where a slot lives: each asks the cluster first. What a
// node ran is read from its INFO commandstats, before and after.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "onep/redis_client.h"
#include "support/process.h"
#include "support/redis_cluster.h"

namespace onep {
namespace {

using std::chrono::milliseconds;
using testing::RedisCluster;

// Log lines a client wrote, kept for the test to look at.
class LogLines {
 public:
  RedisLog Sink() {
    RedisLog log;
    log.write = [this](int level, const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.push_back(std::to_string(level) + " " + line);
    };
    return log;
  }
  // A line at `level` with both `id` and `detail` in it.
  bool Has(int level, const std::string& id, const std::string& detail) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string prefix = std::to_string(level) + " " + id;
    for (const auto& line : lines_) {
      if (line.rfind(prefix, 0) == 0 && line.find(detail) != std::string::npos) return true;
    }
    return false;
  }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

class ClusterClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new RedisCluster();
    ready_ = !HasFatalFailure();
    if (ready_) {
      std::printf("cluster of 6 nodes up in %.2f s\n", cluster_->startup_seconds());
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(ready_) << "the cluster did not start";
    cluster_->WaitHealthy();
  }

  // A hash tag "{name-N}" whose slot `port` serves now.
  static std::string TagOn(int port, const std::string& name) {
    auto slots = cluster_->Connect(port)->Command({"CLUSTER", "SLOTS"});
    EXPECT_TRUE(slots.ok());
    for (int i = 0; slots.ok() && i < 100000; ++i) {
      const std::string tag = "{" + name + "-" + std::to_string(i) + "}";
      const int slot = HashSlot(tag);
      for (const Reply& range : slots->elements) {
        if (range.elements[0].integer <= slot && slot <= range.elements[1].integer &&
            range.elements[2].elements[1].integer == port) {
          return tag;
        }
      }
    }
    ADD_FAILURE() << "no tag found for " << port;
    return "";
  }

  // A master other than `port`.
  static int OtherMaster(int port) {
    for (int master : cluster_->Masters()) {
      if (master != port) return master;
    }
    return 0;
  }

  // commandstats of `command` on every live node.
  static std::map<int, RedisCluster::CommandStats> Stats(const std::string& command) {
    std::map<int, RedisCluster::CommandStats> out;
    for (int port : cluster_->Ports()) out[port] = cluster_->CommandStat(port, command);
    return out;
  }

  static long long CallsDelta(const std::map<int, RedisCluster::CommandStats>& before,
                              const std::map<int, RedisCluster::CommandStats>& after, int port) {
    return after.at(port).calls - before.at(port).calls;
  }
  static long long RejectedDelta(const std::map<int, RedisCluster::CommandStats>& before,
                                 const std::map<int, RedisCluster::CommandStats>& after, int port) {
    return after.at(port).rejected_calls - before.at(port).rejected_calls;
  }

  static RedisCluster* cluster_;
  static bool ready_;
};

RedisCluster* ClusterClientTest::cluster_ = nullptr;
bool ClusterClientTest::ready_ = false;

std::string Str(const Result<Reply>& reply) {
  if (!reply.ok()) return "<" + reply.status().ToString() + ">";
  return reply->str;
}

TEST_F(ClusterClientTest, CommandsLandOnTheMasterOfTheirSlot) {
  auto client = cluster_->Client();
  const std::vector<int> masters = cluster_->Masters();
  ASSERT_EQ(masters.size(), 3u);
  for (int master : masters) {
    const std::string key = TagOn(master, "land") + ":k";
    const auto before = Stats("set");
    auto set = client->Command(key, {"SET", key, std::to_string(master)});
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    EXPECT_EQ(set->str, "OK");
    const auto after = Stats("set");
    for (int port : cluster_->Ports()) {
      // A replica runs the SET too when replicated: masters only.
      if (std::find(masters.begin(), masters.end(), port) != masters.end()) {
        EXPECT_EQ(CallsDelta(before, after, port), port == master ? 1 : 0) << port;
      }
      EXPECT_EQ(RejectedDelta(before, after, port), 0) << port;
    }
    auto stored = cluster_->Connect(master)->Command({"GET", key});
    EXPECT_EQ(Str(stored), std::to_string(master));
  }
}

TEST_F(ClusterClientTest, EvalRunsOnTheOwnerAndReloadsOnlyWhereTheScriptWasLost) {
  auto client = cluster_->Client();
  const Script script("return redis.call('SET', KEYS[1], ARGV[1])");
  const std::vector<int> masters = cluster_->Masters();
  std::map<int, std::string> keys;
  for (int master : masters) {
    keys[master] = TagOn(master, "eval") + ":k";
    auto loaded = client->Eval(keys[master], ScriptCall{&script, {keys[master]}, {"first"}});
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  }
  const int lost = masters[1];
  auto flushed = cluster_->Connect(lost)->Command({"SCRIPT", "FLUSH"});
  ASSERT_EQ(Str(flushed), "OK");

  const auto evalsha_before = Stats("evalsha");
  const auto eval_before = Stats("eval");
  auto reply = client->Eval(keys[lost], ScriptCall{&script, {keys[lost]}, {"second"}});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->str, "OK");
  const auto evalsha_after = Stats("evalsha");
  const auto eval_after = Stats("eval");
  for (int port : cluster_->Ports()) {
    // The NOSCRIPT reply is a call that failed: calls counts it.
    EXPECT_EQ(CallsDelta(evalsha_before, evalsha_after, port), port == lost ? 1 : 0) << port;
    EXPECT_EQ(CallsDelta(eval_before, eval_after, port), port == lost ? 1 : 0) << port;
  }
  EXPECT_EQ(Str(cluster_->Connect(lost)->Command({"GET", keys[lost]})), "second");

  // Loaded again there: EVALSHA alone from now on.
  const auto again_before = Stats("eval");
  ASSERT_TRUE(client->Eval(keys[lost], ScriptCall{&script, {keys[lost]}, {"third"}}).ok());
  EXPECT_EQ(CallsDelta(again_before, Stats("eval"), lost), 0);

  // A script error stays an error (Internal), not a redirect or Unavailable.
  const Script failing("return redis.error_reply('ERR nope')");
  auto failed = client->Eval(keys[lost], ScriptCall{&failing, {keys[lost]}, {}});
  EXPECT_EQ(failed.status().code(), Code::kInternal) << failed.status().ToString();
}

TEST_F(ClusterClientTest, MovedAfterAMigrationIsFollowedWithOneResend) {
  LogLines log;
  auto client = cluster_->Client(std::chrono::seconds(2), log.Sink());
  const int from = cluster_->Masters()[0];
  const int to = OtherMaster(from);
  const std::string key = TagOn(from, "moved") + ":k";
  ASSERT_EQ(Str(client->Command(key, {"SET", key, "v"})), "OK");

  cluster_->MigrateSlot(HashSlot(key), to);
  ASSERT_FALSE(HasFatalFailure());
  const auto before = Stats("get");
  const auto shards_before = Stats("cluster|shards");
  auto got = client->Command(key, {"GET", key});
  const auto after = Stats("get");
  const auto shards_after = Stats("cluster|shards");
  EXPECT_EQ(Str(got), "v");
  // Refused once by the old owner (MOVED), run once by the new one.
  EXPECT_EQ(RejectedDelta(before, after, from), 1);
  EXPECT_EQ(CallsDelta(before, after, from), 0);
  EXPECT_EQ(CallsDelta(before, after, to), 1);
  EXPECT_EQ(RejectedDelta(before, after, to), 0);
  // And the whole map was read again, once.
  long long map_reads = 0;
  for (int port : cluster_->Ports()) map_reads += CallsDelta(shards_before, shards_after, port);
  EXPECT_EQ(map_reads, 1);
  EXPECT_TRUE(log.Has(RedisLog::kInfo, "ONEP0303", "after MOVED")) << log.All();

  // The map learnt it: straight to the new owner now.
  auto again = client->Command(key, {"GET", key});
  const auto last = Stats("get");
  EXPECT_EQ(Str(again), "v");
  EXPECT_EQ(RejectedDelta(after, last, from), 0);
  EXPECT_EQ(CallsDelta(after, last, to), 1);
}

TEST_F(ClusterClientTest, AskDuringAMigrationIsFollowedWithAsking) {
  auto client = cluster_->Client();
  const int from = cluster_->Masters()[1];
  const int to = OtherMaster(from);
  const std::string tag = TagOn(from, "ask");
  const std::string moved = tag + ":moved";
  const std::string fresh = tag + ":fresh";
  const Script script("return redis.call('SET', KEYS[1], ARGV[1])");
  ASSERT_EQ(Str(client->Command(tag, {"SET", moved, "v"})), "OK");

  cluster_->BeginMigration(HashSlot(tag), to);
  cluster_->MoveKeys(HashSlot(tag), to);
  ASSERT_FALSE(HasFatalFailure());
  for (int round = 0; round < 2; ++round) {
    const auto get_before = Stats("get");
    const auto asking_before = Stats("asking");
    EXPECT_EQ(Str(client->Command(tag, {"GET", moved})), "v");
    const auto get_after = Stats("get");
    const auto asking_after = Stats("asking");
    // ASK does not change the map: every round asks the old owner first.
    EXPECT_EQ(RejectedDelta(get_before, get_after, from), 1) << round;
    EXPECT_EQ(CallsDelta(get_before, get_after, to), 1) << round;
    EXPECT_EQ(RejectedDelta(get_before, get_after, to), 0) << round;
    EXPECT_EQ(CallsDelta(asking_before, asking_after, to), 1) << round;
  }
  // A key that does not exist yet is created on the importing node; so is a
  // script's (EVALSHA, NOSCRIPT there, EVAL: each behind ASKING).
  EXPECT_EQ(Str(client->Command(tag, {"SET", fresh, "f"})), "OK");
  auto evaluated = client->Eval(tag, ScriptCall{&script, {tag + ":script"}, {"s"}});
  EXPECT_TRUE(evaluated.ok()) << evaluated.status().ToString();
  auto target = cluster_->Connect(to);
  ASSERT_EQ(Str(target->Pipeline({{"ASKING"}, {"GET", fresh}}).value()[1]), "f");
  ASSERT_EQ(Str(target->Pipeline({{"ASKING"}, {"GET", tag + ":script"}}).value()[1]), "s");

  cluster_->FinishMigration(HashSlot(tag), to);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Str(client->Command(tag, {"GET", fresh})), "f");
  EXPECT_EQ(Str(client->Command(tag, {"GET", moved})), "v");
}

TEST_F(ClusterClientTest, PipelineWithMixedRedirectionsKeepsTheOrder) {
  auto client = cluster_->Client();
  const int from = cluster_->Masters()[2];
  const int to = OtherMaster(from);
  const std::string tag = TagOn(from, "pipe");
  std::vector<std::vector<std::string>> gets;
  std::vector<std::string> values;
  for (int i = 0; i < 6; ++i) {
    const std::string key = tag + ":" + std::to_string(i);
    ASSERT_EQ(Str(client->Command(tag, {"SET", key, "v" + std::to_string(i)})), "OK");
    gets.push_back({"GET", key});
    values.push_back("v" + std::to_string(i));
  }
  cluster_->BeginMigration(HashSlot(tag), to);
  cluster_->MoveKeys(HashSlot(tag), to, 3);  // half the keys move, half stay
  ASSERT_FALSE(HasFatalFailure());

  std::vector<std::vector<std::string>> commands = gets;
  commands.push_back({"SET", tag + ":new", "n"});  // absent on the source: ASK
  commands.push_back({"GET", tag + ":new"});
  const auto asking_before = Stats("asking");
  const auto get_before = Stats("get");
  auto replies = client->Pipeline(tag, commands);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), commands.size());
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ((*replies)[i].str, values[i]) << i;
  EXPECT_EQ((*replies)[6].str, "OK");
  EXPECT_EQ((*replies)[7].str, "n");
  // 3 moved keys, the SET and the GET of the new key went to the target,
  // each behind its own ASKING; the 3 others were served by the source.
  EXPECT_EQ(CallsDelta(asking_before, Stats("asking"), to), 5);
  const auto get_after = Stats("get");
  EXPECT_EQ(CallsDelta(get_before, get_after, from), 3);
  EXPECT_EQ(RejectedDelta(get_before, get_after, from), 4);
  EXPECT_EQ(CallsDelta(get_before, get_after, to), 4);

  cluster_->FinishMigration(HashSlot(tag), to);
  ASSERT_FALSE(HasFatalFailure());
  // Now every command is MOVED: all resent, in order.
  const auto moved_before = Stats("get");
  auto after = client->Pipeline(tag, gets);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->size(), gets.size());
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ((*after)[i].str, values[i]) << i;
  const auto moved_after = Stats("get");
  EXPECT_EQ(RejectedDelta(moved_before, moved_after, from), 6);
  EXPECT_EQ(CallsDelta(moved_before, moved_after, to), 6);
}

TEST_F(ClusterClientTest, AClosedFirstSeedIsSkipped) {
  std::string url = cluster_->url();
  url.replace(0, std::string("redis-cluster://").size(),
              "redis-cluster://127.0.0.1:" + std::to_string(testing::FreePort()) + ",");
  auto target = ParseRedisTarget(url);
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  auto client = ConnectRedis(*target, RedisClientOptions{});
  ASSERT_TRUE(client.ok());
  const std::string key = "{seed}:k";
  EXPECT_EQ(Str((*client)->Command(key, {"SET", key, "s"})), "OK");
  EXPECT_EQ(Str((*client)->Command(key, {"GET", key})), "s");
  EXPECT_TRUE((*client)->Ping().ok());
}

// A client of a Cluster whose two seeds are closed ports, with a 300 ms
// timeout.
std::unique_ptr<RedisClient> UnreachableCluster() {
  const std::string url = "redis-cluster://127.0.0.1:" + std::to_string(testing::FreePort()) +
                          ",127.0.0.1:" + std::to_string(testing::FreePort());
  auto target = ParseRedisTarget(url);
  EXPECT_TRUE(target.ok());
  RedisClientOptions options;
  options.timeout = milliseconds(300);
  auto client = ConnectRedis(*target, options);
  EXPECT_TRUE(client.ok());
  return client.ok() ? std::move(client).value() : nullptr;
}

TEST_F(ClusterClientTest, NoReachableSeedIsUnavailableWithinTheTimeout) {
  auto client = UnreachableCluster();
  ASSERT_NE(client, nullptr);
  const auto start = std::chrono::steady_clock::now();
  auto reply = client->Command("{k}", {"GET", "{k}"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(reply.status().code(), Code::kUnavailable) << reply.status().ToString();
  EXPECT_LT(took, milliseconds(2 * 300 + 200));
  EXPECT_EQ(client->Ping().code(), Code::kUnavailable);
  EXPECT_EQ(client->Pipeline("{k}", {{"GET", "{k}"}}).status().code(), Code::kUnavailable);
  const Script script("return 1");
  EXPECT_EQ(client->Eval("{k}", ScriptCall{&script, {"{k}"}, {}}).status().code(),
            Code::kUnavailable);
  EXPECT_EQ(client->OnEveryMaster({"DBSIZE"}).status().code(), Code::kUnavailable);
}

// The kind of a failure is a value from the Redis layer, whatever the
// message says: here "cannot read the slot map of ...", with each node's
// "cannot connect" inside it.
TEST_F(ClusterClientTest, NoReachableSeedIsACannotConnectFailure) {
  auto client = UnreachableCluster();
  ASSERT_NE(client, nullptr);
  const Status command = client->Command("{k}", {"GET", "{k}"}).status();
  EXPECT_EQ(command.code(), Code::kUnavailable);
  EXPECT_EQ(command.message().rfind("cannot read the slot map of ", 0), 0u) << command.message();
  EXPECT_EQ(command.redis_failure(), RedisFailure::kCannotConnect) << command.ToString();
  EXPECT_EQ(client->Ping().redis_failure(), RedisFailure::kCannotConnect);
  EXPECT_EQ(client->OnEveryMaster({"DBSIZE"}).status().redis_failure(),
            RedisFailure::kCannotConnect);
}

TEST_F(ClusterClientTest, ARedirectionLoopIsCutAtTheBound) {
  LogLines log;
  auto client = cluster_->Client(std::chrono::seconds(2), log.Sink());
  const int from = cluster_->Masters()[0];
  const int to = OtherMaster(from);
  const std::string key = TagOn(from, "loop") + ":absent";
  const std::string slot = std::to_string(HashSlot(key));
  ASSERT_EQ(Str(client->Command(key, {"GET", key})), "");  // map loaded, key absent
  // MIGRATING on the source without IMPORTING on the target, as a migration
  // tool that died half way leaves it: the source says ASK, the target says
  // MOVED back, for ever.
  auto half = cluster_->Connect(from)->Command(
      {"CLUSTER", "SETSLOT", slot, "MIGRATING", cluster_->NodeId(to)});
  ASSERT_EQ(Str(half), "OK");

  const auto before = Stats("get");
  auto reply = client->Command(key, {"GET", key});
  const auto after = Stats("get");
  EXPECT_EQ(reply.status().code(), Code::kUnavailable) << Str(reply);
  EXPECT_TRUE(log.Has(RedisLog::kInfo, "ONEP0304", "redirections")) << log.All();
  const long long sent = RejectedDelta(before, after, from) + RejectedDelta(before, after, to);
  EXPECT_GE(sent, 2);
  EXPECT_LE(sent, 6);  // the first send and at most 5 redirections
  EXPECT_EQ(CallsDelta(before, after, from) + CallsDelta(before, after, to), 0);

  const Script script("return redis.call('GET', KEYS[1])");
  EXPECT_EQ(client->Eval(key, ScriptCall{&script, {key}, {}}).status().code(), Code::kUnavailable);
  EXPECT_EQ(client->Pipeline(key, {{"GET", key}}).status().code(), Code::kUnavailable);

  cluster_->AbortMigration(HashSlot(key));
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Str(client->Command(key, {"GET", key})), "");
}

TEST_F(ClusterClientTest, PingAndOnEveryMasterSeeTheThreeMasters) {
  auto client = cluster_->Client();
  EXPECT_TRUE(client->Ping().ok());
  auto ids = client->OnEveryMaster({"CLUSTER", "MYID"});
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  const std::vector<int> masters = cluster_->Masters();
  ASSERT_EQ(ids->size(), 3u);
  for (std::size_t i = 0; i < masters.size(); ++i) {
    EXPECT_EQ((*ids)[i].str, cluster_->NodeId(masters[i])) << i;
  }
  auto roles = client->OnEveryMaster({"ROLE"});
  ASSERT_TRUE(roles.ok());
  for (const Reply& role : *roles) EXPECT_EQ(role.elements.at(0).str, "master");
}

TEST_F(ClusterClientTest, AWriteThatTimedOutIsNotResent) {
  auto client = cluster_->Client(milliseconds(200));
  const std::vector<int> masters = cluster_->Masters();
  const int master = masters[1];
  const std::string key = TagOn(master, "timeout") + ":k";
  ASSERT_TRUE(client->Ping().ok());
  const auto before = Stats("incr");
  auto paused = cluster_->Connect(master)->Command({"CLIENT", "PAUSE", "600", "ALL"});
  ASSERT_EQ(Str(paused), "OK");
  const uint64_t sent_before = client->commands_sent();
  auto reply = client->Command(key, {"INCR", key});
  EXPECT_EQ(reply.status().code(), Code::kUnavailable) << Str(reply);
  EXPECT_EQ(reply.status().redis_failure(), RedisFailure::kTimedOut) << Str(reply);
  EXPECT_EQ(client->commands_sent() - sent_before, 1u);  // written once, not again
  // A look at the paused node waits for the pause to end. Redis drops a
  // paused command whose client hung up, so the INCR ran at most once, there.
  const auto after = Stats("incr");
  for (int port : masters) {  // replicas run it too, replicated
    EXPECT_LE(CallsDelta(before, after, port), port == master ? 1 : 0) << port;
  }
  EXPECT_EQ(Str(cluster_->Connect(master)->Command({"GET", key})),
            CallsDelta(before, after, master) == 1 ? "1" : "");
}

TEST_F(ClusterClientTest, CommandsSentCountsEveryCommandWritten) {
  auto client = cluster_->Client();
  ASSERT_TRUE(client->Ping().ok());  // a connection to every master, the map read
  const int from = cluster_->Masters()[0];
  const int to = OtherMaster(from);
  const std::string tag = TagOn(from, "count");
  ASSERT_EQ(Str(client->Command(tag, {"SET", tag + ":a", "1"})), "OK");
  cluster_->BeginMigration(HashSlot(tag), to);
  cluster_->MoveKeys(HashSlot(tag), to);
  ASSERT_FALSE(HasFatalFailure());

  // Masters only: replicas run what is replicated to them.
  const std::vector<int> masters = cluster_->Masters();
  auto server_total = [&] {
    long long total = 0;
    for (int port : masters) total += cluster_->AllCallsButLooks(port);
    return total;
  };
  const long long server_before = server_total();
  const uint64_t client_before = client->commands_sent();
  ASSERT_TRUE(client->Command(tag, {"SET", tag + ":b", "2"}).ok());  // ASK: 3 written
  ASSERT_TRUE(client->Pipeline(tag, {{"GET", tag + ":x"}, {"GET", tag + ":y"}}).ok());  // 2 + 4
  EXPECT_TRUE(client->Ping().ok());                                                     // 3
  const uint64_t client_sent = client->commands_sent() - client_before;
  const long long server_saw = server_total() - server_before;
  EXPECT_EQ(client_sent, 12u);
  EXPECT_EQ(static_cast<long long>(client_sent), server_saw);

  cluster_->FinishMigration(HashSlot(tag), to);
}

TEST_F(ClusterClientTest, ConcurrentCallsDuringAMigrationRunEachCommandOnce) {
  auto client = cluster_->Client();
  const int from = cluster_->Masters()[0];
  const int to = OtherMaster(from);
  const std::string tag = TagOn(from, "concurrent");
  constexpr int kThreads = 4;
  constexpr int kKeys = 20;
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_EQ(Str(client->Command(tag, {"SET", tag + ":" + std::to_string(k), "0"})), "OK");
  }
  std::atomic<bool> stop{false};
  std::vector<std::vector<long long>> done(kThreads, std::vector<long long>(kKeys, 0));
  std::atomic<int> unavailable{0};
  std::atomic<long long> ops{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string key = tag + ":" + std::to_string((i + t) % kKeys);
        auto reply = client->Command(tag, {"INCR", key});
        if (!reply.ok()) {
          unavailable.fetch_add(1);
        } else if (reply->type == Reply::Type::kInteger) {
          ++done[t][(i + t) % kKeys];
          ops.fetch_add(1);
        }
      }
    });
  }
  // Keys move one by one while the threads write.
  while (ops.load() < 100) std::this_thread::sleep_for(milliseconds(1));
  const long long ops_before_migration = ops.load();
  cluster_->BeginMigration(HashSlot(tag), to);
  for (int k = 0; k < kKeys && !HasFatalFailure(); ++k) cluster_->MoveKeys(HashSlot(tag), to, 1);
  cluster_->FinishMigration(HashSlot(tag), to);
  stop.store(true);
  for (auto& thread : threads) thread.join();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(unavailable.load(), 0);
  EXPECT_GT(ops.load(), ops_before_migration);  // the migration ran under load
  for (int k = 0; k < kKeys; ++k) {
    long long expected = 0;
    for (int t = 0; t < kThreads; ++t) expected += done[t][k];
    const std::string key = tag + ":" + std::to_string(k);
    EXPECT_EQ(Str(cluster_->Connect(to)->Command({"GET", key})), std::to_string(expected)) << key;
  }
}

TEST_F(ClusterClientTest, AFailedOverSlotIsServedAfterARefresh) {
  LogLines log;
  auto client = cluster_->Client(std::chrono::seconds(2), log.Sink());
  const int master = cluster_->Masters()[1];
  const int replica = cluster_->ReplicaOf(master);
  ASSERT_NE(replica, 0);
  const std::string key = TagOn(master, "failover") + ":k";
  ASSERT_EQ(Str(client->Command(key, {"SET", key, "before"})), "OK");

  cluster_->Failover(replica);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(cluster_->MasterOfSlot(HashSlot(key)), replica);
  EXPECT_EQ(Str(client->Command(key, {"GET", key})), "before");  // MOVED by the old master
  EXPECT_EQ(Str(client->Command(key, {"SET", key, "after"})), "OK");
  EXPECT_EQ(Str(cluster_->Connect(replica)->Command({"GET", key})), "after");
  EXPECT_TRUE(log.Has(RedisLog::kInfo, "ONEP0303", "after MOVED")) << log.All();
  EXPECT_TRUE(client->Ping().ok());
}

// Nodes that hang: SIGSTOP of the test's own processes (the replicas, which
// serve no slot, so the cluster stays up), always resumed, by the guard's end
// or the test's.
class Frozen {
 public:
  Frozen(RedisCluster& cluster, std::vector<int> ports)
      : cluster_(cluster), ports_(std::move(ports)) {
    for (int port : ports_) cluster_.Freeze(port);
  }
  ~Frozen() { Thaw(); }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;
  void Thaw() {
    for (int port : ports_) cluster_.Thaw(port);
    ports_.clear();
  }

 private:
  RedisCluster& cluster_;
  std::vector<int> ports_;
};

// A client that leaves its upkeep to its owner (as mod_onep does), on a URL
// whose first seeds are `first` (then the masters).
std::unique_ptr<RedisClient> BackgroundClient(const std::vector<int>& first,
                                              const std::vector<int>& masters, milliseconds timeout,
                                              RedisLog log) {
  std::string url = "redis-cluster://";
  for (const auto* ports : {&first, &masters}) {
    for (int port : *ports) {
      url += (url.back() == '/' ? "" : ",") + std::string("127.0.0.1:") + std::to_string(port);
    }
  }
  auto target = ParseRedisTarget(url);
  EXPECT_TRUE(target.ok()) << url;
  if (!target.ok()) return nullptr;
  RedisClientOptions options;
  options.timeout = timeout;
  options.log = std::move(log);
  options.upkeep = RedisUpkeep::kBackground;
  auto client = ConnectRedis(*target, std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

// How long a call may take when it waits on one node at most: one timeout,
// plus a whole timeout more for a loaded 2-core machine. Reading the map
// from the three hung seeds first, each for the whole timeout, takes 3.
milliseconds OneNodeBound(milliseconds timeout) { return timeout + timeout; }

// Times one call, and checks it against OneNodeBound.
template <typename Call>
auto Timed(const char* what, milliseconds timeout, Call call) {
  const auto start = std::chrono::steady_clock::now();
  auto result = call();
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("[ upkeep   ] %s: %lld ms\n", what, static_cast<long long>(took.count()));
  EXPECT_LT(took.count(), OneNodeBound(timeout).count())
      << what << " waited for more than one node (ms)";
  return result;
}

// The slot map is read again after a MOVED while three seeds hang: in the
// background mode that is the owner's Upkeep(), never the call's. The call
// that meets the MOVED follows it and answers, and calls for other slots go
// on, each within one node's timeout; Upkeep() then reads the map (from the
// first seed that answers).
TEST_F(ClusterClientTest, AMovedSlotWhileSeedsHangDelaysNoCallBeyondOneTimeout) {
  LogLines log;
  const milliseconds timeout(1000);
  const std::vector<int> masters = cluster_->Masters();
  const std::vector<int> replicas = cluster_->Replicas();
  ASSERT_EQ(replicas.size(), 3u);
  auto client = BackgroundClient(replicas, masters, timeout, log.Sink());
  ASSERT_TRUE(client);
  const int from = masters[0];
  const int to = masters[1];
  const std::string moved = TagOn(from, "hang-moved") + ":k";
  const std::string other = TagOn(masters[2], "hang-other") + ":k";
  const std::string staying = TagOn(from, "hang-staying") + ":k";
  ASSERT_NE(HashSlot(moved), HashSlot(staying));
  for (const std::string& key : {moved, other, staying}) {
    ASSERT_EQ(Str(client->Command(key, {"SET", key, "v"})), "OK");  // the map read
  }
  cluster_->MigrateSlot(HashSlot(moved), to);
  ASSERT_FALSE(HasFatalFailure());

  {
    Frozen hung(*cluster_, replicas);
    ASSERT_FALSE(HasFatalFailure());
    auto get = [&](const std::string& key) { return client->Command(key, {"GET", key}); };
    EXPECT_EQ(Str(Timed("GET of the moved slot (MOVED)", timeout, [&] { return get(moved); })),
              "v");
    EXPECT_EQ(Str(Timed("GET of another master's slot", timeout, [&] { return get(other); })), "v");
    EXPECT_EQ(Str(Timed("GET of a slot that stayed", timeout, [&] { return get(staying); })), "v");
    EXPECT_EQ(Str(Timed("GET of the moved slot again", timeout, [&] { return get(moved); })), "v");
    const Script script("return redis.call('GET', KEYS[1])");
    EXPECT_EQ(Str(Timed("EVAL on another master", timeout,
                        [&] {
                          return client->Eval(other, ScriptCall{&script, {other}, {}});
                        })),
              "v");
  }
  EXPECT_FALSE(log.Has(RedisLog::kInfo, "ONEP0303", "after MOVED")) << log.All();

  // The owner's turn: the map is read again, once.
  const auto shards_before = Stats("cluster|shards");
  client->Upkeep();
  const auto shards_after = Stats("cluster|shards");
  long long map_reads = 0;
  for (int port : cluster_->Ports()) map_reads += CallsDelta(shards_before, shards_after, port);
  EXPECT_EQ(map_reads, 1);
  EXPECT_TRUE(log.Has(RedisLog::kInfo, "ONEP0303", "after MOVED")) << log.All();
  client->Upkeep();  // nothing left to do
  EXPECT_EQ(Str(client->Command(moved, {"GET", moved})), "v");
  long long map_reads_later = 0;
  const auto shards_later = Stats("cluster|shards");
  for (int port : cluster_->Ports())
    map_reads_later += CallsDelta(shards_after, shards_later, port);
  EXPECT_EQ(map_reads_later, 0);
}

// A client that has no map at all reads it on its first call, within one
// timeout however many seeds hang (each is asked with a share of it), never
// one after another each with the whole timeout.
TEST_F(ClusterClientTest, AFirstCallWhileSeedsHangReadsTheMapWithinOneTimeout) {
  LogLines log;
  const milliseconds timeout(2000);
  const std::vector<int> masters = cluster_->Masters();
  const std::vector<int> replicas = cluster_->Replicas();
  ASSERT_EQ(replicas.size(), 3u);
  auto client = BackgroundClient(replicas, masters, timeout, log.Sink());
  ASSERT_TRUE(client);
  const std::string key = TagOn(masters[1], "hang-first") + ":k";
  Frozen hung(*cluster_, replicas);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Str(Timed("first SET, no map yet", timeout,
                      [&] {
                        return client->Command(key, {"SET", key, "first"});
                      })),
            "OK");
  EXPECT_TRUE(client->Ping().ok());
  hung.Thaw();
  EXPECT_EQ(Str(cluster_->Connect(masters[1])->Command({"GET", key})), "first");
}

// Last: the cluster is left with a master that has no replica.
TEST_F(ClusterClientTest, ZzAKilledMasterIsReplacedAfterARefresh) {
  LogLines log;
  auto client = cluster_->Client(std::chrono::seconds(2), log.Sink());
  const int master = cluster_->Masters()[2];
  const int replica = cluster_->ReplicaOf(master);
  ASSERT_NE(replica, 0);
  const std::string key = TagOn(master, "kill") + ":k";
  ASSERT_EQ(Str(client->Command(key, {"SET", key, "kept"})), "OK");
  // Replicated before the kill, so that the promoted replica has it.
  auto waited = client->Command(key, {"WAIT", "1", "2000"});
  ASSERT_TRUE(waited.ok());
  ASSERT_EQ(waited->integer, 1);
  // A client that leaves its upkeep to its owner, its map read and a
  // connection to the master pooled.
  LogLines background_log;
  auto background =
      BackgroundClient({}, cluster_->Masters(), std::chrono::seconds(2), background_log.Sink());
  ASSERT_TRUE(background);
  ASSERT_EQ(Str(background->Command(key, {"GET", key})), "kept");

  cluster_->KillMaster(master);
  ASSERT_FALSE(HasFatalFailure());
  // The pooled connection is closed, a new one is refused (nothing sent):
  // the map is read again and the command goes to the new master.
  EXPECT_EQ(Str(client->Command(key, {"GET", key})), "kept");
  EXPECT_TRUE(log.Has(RedisLog::kInfo, "ONEP0303", "unreachable")) << log.All();
  EXPECT_TRUE(client->Ping().ok());
  auto masters = client->OnEveryMaster({"CLUSTER", "MYID"});
  ASSERT_TRUE(masters.ok()) << masters.status().ToString();
  EXPECT_EQ(masters->size(), 3u);

  // In the background mode the call fails at once (nothing was sent) and
  // leaves the map to the owner's Upkeep(); then the new master serves.
  auto refused = background->Command(key, {"GET", key});
  EXPECT_EQ(refused.status().redis_failure(), RedisFailure::kCannotConnect) << Str(refused);
  EXPECT_FALSE(background_log.Has(RedisLog::kInfo, "ONEP0303", "unreachable"))
      << background_log.All();
  background->Upkeep();
  EXPECT_TRUE(background_log.Has(RedisLog::kInfo, "ONEP0303", "unreachable"))
      << background_log.All();
  EXPECT_EQ(Str(background->Command(key, {"GET", key})), "kept");
  EXPECT_TRUE(background->Ping().ok());
}

}  // namespace
}  // namespace onep
