// SPDX-License-Identifier: Apache-2.0
// mod_onep on a real Redis Cluster (the cluster run of this binary,
// ONEP_TEST_REDIS=cluster; skipped otherwise): every org on the master of its
// routing tag's slot, one round trip to that master per accepted webhook,
// scripts refused by Redis itself if they ever crossed slots, and no lost 202
// while a busy org's slot moves to another master or its master fails over
// (coordinated, and killed). What OnepRedisWait changes when a master dies is
// shown exactly, with the org's replica cut off from it.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../core/src/scripts/named_script.h"
#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/token.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/load.h"
#include "support/redis_cluster.h"
#include "support/redis_monitor.h"
#include "support/test_redis.h"

namespace onep::testing {
namespace {

using std::chrono::milliseconds;

#define ONEP_CLUSTER_ONLY()          \
  if (!::onep::testing::OnCluster()) \
  GTEST_SKIP() << "runs in the cluster run of this binary (ctest -R on_cluster)"

constexpr int kTimeoutMs = 1000;

ApacheOptions ClusterOptions(int children = 2) {
  ApacheOptions options;
  options.start_servers = children;
  options.server_limit = children;
  options.threads_per_child = 4;
  options.server_directives = {"OnepRedisTimeout " + std::to_string(kTimeoutMs) + "ms"};
  return options;
}

int SlotOfOrg(OnepStack& stack, const std::string& org) {
  return HashSlot(KeySpace::SlotKey(stack.Tag(org)));
}

void ExpectOnly202Or503(const std::vector<Outcome>& outcomes) {
  for (const auto& o : outcomes) {
    EXPECT_TRUE(o.status == 202 || o.status == 503)
        << o.message << " got " << o.status << " " << o.error;
  }
}

TEST(ModuleClusterTest, OrgsSpreadOverEveryMasterAndEachRecordsOnIt) {
  ONEP_CLUSTER_ONLY();
  OnepStack stack(ClusterOptions());
  ASSERT_TRUE(stack.Start());
  RedisCluster& cluster = stack.redis().cluster();
  std::map<int, std::vector<std::string>> orgs_by_master;
  // Tags are random: enough orgs land on every master (60 orgs all missing
  // one of 3 masters: (2/3)^60 < 1e-10).
  for (int i = 0; i < 60 && orgs_by_master.size() < 3; ++i) {
    const std::string org = "org-" + std::to_string(i);
    auto cred = stack.Create(org, "hits", "web");
    ASSERT_EQ(PostJson(stack.port(), stack.path("/hits"), cred.token, "{}").status, 202) << org;
    orgs_by_master[cluster.MasterOfSlot(SlotOfOrg(stack, org))].push_back(org);
  }
  ASSERT_EQ(orgs_by_master.size(), 3u);
  for (const auto& [master, orgs] : orgs_by_master) {
    auto conn = cluster.Connect(master);
    ASSERT_TRUE(conn);
    for (const std::string& org : orgs) {
      // The org's events live on the master of its slot, and only there.
      const std::string events = "onep:{" + stack.Tag(org) + "}:events";
      auto len = conn->Command({"XLEN", events});
      ASSERT_TRUE(len.ok());
      EXPECT_EQ(len->integer, 1) << org << " on " << master << ": " << len->str;
      EXPECT_EQ(stack.Events(org).size(), 1u) << org;
    }
  }
}

TEST(ModuleClusterTest, AnAcceptedWebhookIsOneRoundTripToTheOwningMasterOnly) {
  ONEP_CLUSTER_ONLY();
  OnepStack stack(ClusterOptions(1));  // one child: its connections are warm after one request
  ASSERT_TRUE(stack.Start());
  RedisCluster& cluster = stack.redis().cluster();
  auto cred = stack.Create("acme", "hits", "web");
  const int owner = cluster.MasterOfSlot(SlotOfOrg(stack, "acme"));
  // Warm up: the slot map, the layout check, the script cache.
  ASSERT_EQ(PostJson(stack.port(), stack.path("/hits"), cred.token, "{}").status, 202);

  constexpr int kRequests = 20;
  const long long evalsha_before = cluster.CommandCalls(owner, "evalsha");
  std::map<int, std::unique_ptr<RedisMonitor>> monitors;
  for (int port : cluster.Masters()) monitors[port] = std::make_unique<RedisMonitor>(port);
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(PostJson(stack.port(), stack.path("/hits"), cred.token, "{}").status, 202);
  }
  for (auto& [port, monitor] : monitors) {
    const auto commands = monitor->ClientCommands();
    if (port != owner) {
      EXPECT_TRUE(commands.empty()) << "node " << port << " (owner " << owner << ") got "
                                    << ::testing::PrintToString(commands);
      continue;
    }
    ASSERT_EQ(commands.size(), static_cast<std::size_t>(kRequests))
        << ::testing::PrintToString(commands);
    for (const auto& line : commands) {
      EXPECT_NE(line.find("\"EVALSHA\""), std::string::npos) << line;
    }
  }
  monitors.clear();  // before INFO, which they would see
  EXPECT_EQ(cluster.CommandCalls(owner, "evalsha") - evalsha_before, kRequests);
  for (int port : cluster.Masters()) monitors[port] = std::make_unique<RedisMonitor>(port);

  // A malformed token costs no command on any node.
  std::string bad = cred.token;
  bad.back() = bad.back() == 'A' ? 'B' : 'A';
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(PostJson(stack.port(), stack.path("/hits"), bad, "{}").status, 401);
  }
  for (auto& [port, monitor] : monitors) {
    EXPECT_TRUE(monitor->ClientCommands().empty()) << "node " << port;
  }
}

// The scripts carry "#!lua": Redis itself refuses one whose keys are in two
// slots, declared or not, so a layout mistake could never pass silently.
TEST(ModuleClusterTest, RedisRefusesAScriptThatCrossesSlots) {
  ONEP_CLUSTER_ONLY();
  TestRedis redis;
  auto client = redis.Client();
  // Two tags that the cluster serves from different slots.
  const std::string a = "{aaaaaaaa}:x", b = "{bbbbbbbb}:x";
  ASSERT_NE(HashSlot(a), HashSlot(b));
  const scripts::NamedScript declared({"first_key", "second_key"}, {}, false,
                                      "return call('EXISTS', first_key, second_key)");
  auto both = client->Eval(a, declared.Bind({{"first_key", a}, {"second_key", b}}, {}).value());
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("CROSSSLOT"), std::string::npos)
      << both.status().ToString();
  // An undeclared key of another slot, reached from inside the script.
  const scripts::NamedScript sneaky({"first_key"}, {"other"}, false,
                                    "return redis.call('GET', other)");
  auto hidden = client->Eval(a, sneaky.Bind({{"first_key", a}}, {{"other", b}}).value());
  ASSERT_FALSE(hidden.ok());
  EXPECT_NE(hidden.status().message().find("slot"), std::string::npos)
      << hidden.status().ToString();
}

// A busy org's slot moves to another master in the specification's steps
// (IMPORTING/MIGRATING, keys moved a few at a time, SETSLOT NODE) while
// clients post: every answer is 202 or 503, every 202 is an event, and the
// 503s retried with their Idempotency-Keys leave exactly one event each.
TEST(ModuleClusterTest, ReshardingABusyOrgUnderLoadLosesNo202) {
  ONEP_CLUSTER_ONLY();
  OnepStack stack(ClusterOptions());
  ASSERT_TRUE(stack.Start());
  RedisCluster& cluster = stack.redis().cluster();
  auto cred = stack.Create("acme", "hits", "web");
  const int slot = SlotOfOrg(stack, "acme");
  const int from = cluster.MasterOfSlot(slot);
  int to = 0;
  for (int master : cluster.Masters()) {
    if (master != from) to = master;
  }
  ASSERT_NE(to, 0);

  Load load(stack.port(), stack.path("/hits"), cred.token, "reshard", 4);
  load.Start();
  load.WaitForRequests(100);
  const auto moving = Clock::now();
  cluster.BeginMigration(slot, to);
  load.WaitForRequests(40);
  cluster.MoveKeys(slot, to, 3);
  load.WaitForRequests(40);
  cluster.MoveKeys(slot, to, 50);
  load.WaitForRequests(40);
  cluster.FinishMigration(slot, to);
  const auto moved = Clock::now();
  load.WaitForRequests(150);
  load.Stop();
  ASSERT_EQ(cluster.MasterOfSlot(slot), to);

  const auto outcomes = load.Outcomes();
  ExpectOnly202Or503(outcomes);
  ExpectExactlyOnceAfterRetries(stack, load, "reshard", "resharding a busy org's slot");
  std::printf(
      "[ cluster  ] resharding took %lld ms; new requests unserved for %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<milliseconds>(moved - moving).count()),
      RecoveryMs(outcomes, moving));
  ExpectNoChildCrash(stack.apache());
}

// CLUSTER FAILOVER on the replica of the org's master, under load.
TEST(ModuleClusterTest, ACoordinatedFailoverUnderLoadLosesNo202) {
  ONEP_CLUSTER_ONLY();
  OnepStack stack(ClusterOptions());
  ASSERT_TRUE(stack.Start());
  RedisCluster& cluster = stack.redis().cluster();
  auto cred = stack.Create("acme", "hits", "web");
  const int slot = SlotOfOrg(stack, "acme");
  const int master = cluster.MasterOfSlot(slot);
  const int replica = cluster.ReplicaOf(master);
  ASSERT_NE(replica, 0);

  Load load(stack.port(), stack.path("/hits"), cred.token, "failover", 4);
  load.Start();
  load.WaitForRequests(100);
  const auto failing = Clock::now();
  cluster.Failover(replica);
  load.WaitForRequests(200);
  load.Stop();
  ASSERT_EQ(cluster.MasterOfSlot(slot), replica);

  const auto outcomes = load.Outcomes();
  ExpectOnly202Or503(outcomes);
  ExpectExactlyOnceAfterRetries(stack, load, "failover", "coordinated failover");
  std::printf("[ cluster  ] coordinated failover: new requests unserved for %lld ms\n",
              RecoveryMs(outcomes, failing));
  ExpectNoChildCrash(stack.apache());
}

// Reading the slot map is each child's background work (a mod_watchdog
// callback), never a webhook's. Each child reads it before its first
// request. Then a slot moves while three seeds hang (the replicas, SIGSTOPped,
// listed first in OnepRedis): a refresh would ask them first, each for a
// whole OnepRedisTimeout. The webhooks of the moved org and of another are
// each answered within one timeout (plus as much again for a loaded
// machine); the map is read again in the background.
TEST(ModuleClusterTest, SlotMapRefreshesRunInTheBackgroundNotOnAWebhooksTime) {
  ONEP_CLUSTER_ONLY();
  RedisCluster own;
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const std::vector<int> replicas = own.Replicas();
  const std::vector<int> masters = own.Masters();
  ASSERT_EQ(replicas.size(), 3u);
  std::string url = "redis-cluster://";
  for (const auto* ports : {&replicas, &masters}) {
    for (int port : *ports) {
      url += (url.back() == '/' ? "" : ",") + std::string("127.0.0.1:") + std::to_string(port);
    }
  }
  ApacheOptions options = ClusterOptions();
  options.server_directives.push_back("OnepRedis " + url);  // after the stack's: it wins
  OnepStack stack(options, own);
  ASSERT_TRUE(stack.Start());
  EXPECT_TRUE(stack.apache().WaitUntilEveryChildLogged("ONEP0303: Redis Cluster slot map of",
                                                       std::chrono::seconds(10)))
      << "a child has not read the slot map before its first request\n"
      << stack.apache().ErrorLog();

  auto acme = stack.Create("acme", "hits", "web");
  const int moved_slot = SlotOfOrg(stack, "acme");
  const int acme_master = own.MasterOfSlot(moved_slot);
  std::string other;
  IssuedCredential other_cred;
  for (int i = 0; i < 60 && other.empty(); ++i) {  // (1/3)^60: never all on acme's master
    const std::string org = "other-" + std::to_string(i);
    auto cred = stack.Create(org, "hits", "web");
    if (own.MasterOfSlot(SlotOfOrg(stack, org)) != acme_master) {
      other = org;
      other_cred = cred;
    }
  }
  ASSERT_FALSE(other.empty());
  auto post = [&](const IssuedCredential& cred, const std::string& message) {
    return PostJson(stack.port(), stack.path("/hits"), cred.token, Load::Body(message));
  };
  for (int i = 0; i < 4; ++i) {  // each child's connections and layout check
    ASSERT_EQ(post(acme, "warm").status, 202);
    ASSERT_EQ(post(other_cred, "warm").status, 202);
  }
  int to = 0;
  for (int master : masters) {
    if (master != acme_master) to = master;
  }
  own.MigrateSlot(moved_slot, to);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());

  const milliseconds bound(2 * kTimeoutMs);
  long long slowest = 0;
  for (int port : replicas) own.Freeze(port);
  for (int i = 0; i < 8 && !::testing::Test::HasFatalFailure(); ++i) {
    for (const auto* cred : {&acme, &other_cred}) {
      const auto start = Clock::now();
      const auto response = post(*cred, "hung-" + std::to_string(i));
      const long long took = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
      slowest = std::max(slowest, took);
      EXPECT_EQ(response.status, 202) << response.body;
      EXPECT_LT(took, bound.count()) << (cred == &acme ? "acme (moved)" : other) << ", request "
                                     << i << ": it waited for more than one node";
    }
  }
  for (int port : replicas) own.Thaw(port);
  std::printf(
      "[ cluster  ] slot moved, 3 seeds hung: slowest of 16 webhooks %lld ms (timeout %d ms)\n",
      slowest, kTimeoutMs);
  // The refresh after the MOVED, in the background of the child that met it.
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (stack.apache().ErrorLog().find("after MOVED") == std::string::npos &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_NE(stack.apache().ErrorLog().find("after MOVED"), std::string::npos);
  EXPECT_EQ(post(acme, "after").status, 202);
  stack.apache().Stop();  // the children exit with their watchdog thread
  if (::testing::Test::HasFailure()) std::printf("%s\n", own.Logs().c_str());
  ExpectNoChildCrash(stack.apache());
}

// SIGKILL of the org's master under load, on a cluster of the test's own.
// With OnepRedisWait 1 a 202 means a replica has the event too, so none is
// lost when the master dies; service comes back once the replica took over
// and has a replica of its own again (the killed node, restarted). Without
// it, a 202 means "on the master": what the kill took is counted and shown
// (how many depends on timing; KillTheOrgsMasterAfterItsReplicaWasCutOff
// asserts the loss exactly).
void KillTheOrgsMasterUnderLoad(bool wait_for_a_replica) {
  RedisCluster own;
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  ApacheOptions options = ClusterOptions();
  if (wait_for_a_replica) options.server_directives.push_back("OnepRedisWait 1 300ms");
  OnepStack stack(options, own);
  ASSERT_TRUE(stack.Start());
  auto cred = stack.Create("acme", "hits", "web");
  const int slot = SlotOfOrg(stack, "acme");
  const int master = own.MasterOfSlot(slot);
  const int replica = own.ReplicaOf(master);
  ASSERT_NE(replica, 0);
  // The credential itself must have reached the replica before the kill:
  // else the new master rightly knows no such token (401). Wait for it.
  {
    auto on_replica = own.Connect(replica);
    ASSERT_TRUE(on_replica);
    ASSERT_TRUE(on_replica->Command({"READONLY"}).ok());
    const std::string token_key = "onep:{" + stack.Tag("acme") + "}:tok:" + TokenHash(cred.token);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (on_replica->Command({"EXISTS", token_key})->integer != 1) {
      ASSERT_LT(Clock::now(), deadline) << "the replica never got the credential";
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  // Bounded by time, not count: 503s come fast while no master is known.
  Load load(stack.port(), stack.path("/hits"), cred.token, "kill", 4, 100000);
  load.Start();
  load.WaitForRequests(100);
  const auto killed = Clock::now();
  own.KillMaster(master);
  const auto promoted = Clock::now();
  if (wait_for_a_replica) own.Restart(master);
  const auto replicated = Clock::now();
  load.WaitForRequests(200);
  load.Stop();
  ASSERT_EQ(own.MasterOfSlot(slot), replica);

  const auto outcomes = load.Outcomes();
  ExpectOnly202Or503(outcomes);
  stack.Disconnect();  // the admin client reconnects to the new master
  auto ms = [&](Clock::time_point t) {
    return static_cast<long long>(std::chrono::duration_cast<milliseconds>(t - killed).count());
  };
  if (wait_for_a_replica) {
    ExpectExactlyOnceAfterRetries(stack, load, "kill", "killed master with OnepRedisWait 1");
    std::printf(
        "[ cluster  ] killed master, OnepRedisWait 1: replica promoted after %lld ms, "
        "replicated again after %lld ms; new requests unserved for %lld ms\n",
        ms(promoted), ms(replicated), RecoveryMs(outcomes, killed));
  } else {
    const auto [accepted, lost] = CountLost202s(stack, "acme", "kill", outcomes);
    std::printf(
        "[ cluster  ] killed master, OnepRedisWait 0: %zu requests, %d got 202, %d of those "
        "lost with the master; replica promoted after %lld ms; new requests unserved for "
        "%lld ms\n",
        outcomes.size(), accepted, lost, ms(promoted), RecoveryMs(outcomes, killed));
  }
  if (::testing::Test::HasFailure()) std::printf("%s\n", own.Logs().c_str());
  ExpectNoChildCrash(stack.apache());
}

TEST(ModuleClusterTest, AKilledMasterUnderLoadLosesNo202WithOnepRedisWait) {
  ONEP_CLUSTER_ONLY();
  KillTheOrgsMasterUnderLoad(true);
}

TEST(ModuleClusterTest, AKilledMasterUnderLoadWithoutOnepRedisWaitGives202Or503) {
  ONEP_CLUSTER_ONLY();
  KillTheOrgsMasterUnderLoad(false);
}

// What OnepRedisWait 1 changes when the org's master dies before its replica
// got an event, made exact (no load, no timing): the replica is cut off from
// the master (support/load.h) after a first event it acknowledged; a second
// event is posted; the master is killed and the replica promoted. Without
// OnepRedisWait, the second event's 202 is lost with the master. With it, the
// second request gets 503 (no replica acknowledged it), and the client's
// retry with the same Idempotency-Key is recorded once on the new master
// (once the killed node, restarted, is its replica).
void KillTheOrgsMasterAfterItsReplicaWasCutOff(bool wait_for_a_replica) {
  RedisCluster own;
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  ApacheOptions options = ClusterOptions();
  if (wait_for_a_replica) options.server_directives.push_back("OnepRedisWait 1 300ms");
  OnepStack stack(options, own);
  ASSERT_TRUE(stack.Start());
  auto cred = stack.Create("acme", "hits", "web");
  const int slot = SlotOfOrg(stack, "acme");
  const int master = own.MasterOfSlot(slot);
  const int replica = own.ReplicaOf(master);
  ASSERT_NE(replica, 0);
  auto post = [&](const std::string& message) {
    return PostJson(stack.port(), stack.path("/hits"), cred.token, Load::Body(message),
                    {{"Idempotency-Key", message}});
  };

  // The first event, before the cut: with OnepRedisWait its 202 needs the
  // replica's acknowledgement within 300 ms, which a loaded machine can miss
  // (a 503); the client's retry with the same Idempotency-Key is then
  // answered 202 once the replica acknowledged, with the event recorded once.
  HttpResponse before = post("cut-before");
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       before.status == 503 && std::chrono::steady_clock::now() < until;) {
    before = post("cut-before");
  }
  ASSERT_EQ(before.status, 202) << before.body;
  {
    // The replica has the credential and the first event: a write of this
    // connection in the org's slot, then WAIT for it (a WAIT with no write
    // before it returns at once, and a duplicate's 202 waits for nothing).
    auto on_master = own.Connect(master);
    ASSERT_TRUE(on_master);
    ASSERT_TRUE(
        on_master->Command({"SET", "onep-test:{" + stack.Tag("acme") + "}:replicated", "1"}).ok());
    auto acked = on_master->Command({"WAIT", "1", "10000"});
    ASSERT_TRUE(acked.ok());
    ASSERT_EQ(acked->integer, 1);
    auto on_replica = own.Connect(replica);
    ASSERT_TRUE(on_replica);
    CutReplicationOff(*on_replica);
    ASSERT_FALSE(::testing::Test::HasFailure());
  }

  const auto after = post("cut-after");
  ASSERT_EQ(after.status, wait_for_a_replica ? 503 : 202) << after.body;
  own.KillMaster(master);
  ASSERT_EQ(own.MasterOfSlot(slot), replica);
  stack.Disconnect();  // the admin client reconnects to the new master
  const std::string before_id = before.JsonString("id");
  const std::map<std::string, std::string> survivors = {{before_id, "cut-before"}};
  if (!wait_for_a_replica) {
    EXPECT_EQ(LoadEvents(stack, "acme", "cut"), survivors)
        << "the 202 for cut-after (event " << after.JsonString("id")
        << ") was on the killed master only: it must be lost";
  } else {
    // The 503's write, if the script ran, died with the master.
    EXPECT_EQ(LoadEvents(stack, "acme", "cut"), survivors);
    // The new master needs a replica of its own again to acknowledge a
    // write: the killed node, restarted (it comes back empty and syncs).
    own.Restart(master);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    // The client's retry: the module finds the new master within a few
    // attempts (each bounded by OnepRedisTimeout).
    HttpResponse retry;
    for (int attempt = 0; attempt < 20 && retry.status != 202; ++attempt) {
      retry = post("cut-after");
      ASSERT_TRUE(retry.status == 202 || retry.status == 503) << retry.status << " " << retry.body;
    }
    ASSERT_EQ(retry.status, 202) << retry.body;
    const std::map<std::string, std::string> recorded = {{before_id, "cut-before"},
                                                         {retry.JsonString("id"), "cut-after"}};
    EXPECT_EQ(LoadEvents(stack, "acme", "cut"), recorded);
  }
  if (::testing::Test::HasFailure()) std::printf("%s\n", own.Logs().c_str());
  ExpectNoChildCrash(stack.apache());
}

TEST(ModuleClusterTest, WithoutOnepRedisWaitAKilledMasterLosesThe202ItsReplicaHadNotGot) {
  ONEP_CLUSTER_ONLY();
  KillTheOrgsMasterAfterItsReplicaWasCutOff(false);
}

TEST(ModuleClusterTest, WithOnepRedisWaitWhatTheReplicaHadNotGotGets503AndItsRetryIsRecorded) {
  ONEP_CLUSTER_ONLY();
  KillTheOrgsMasterAfterItsReplicaWasCutOff(true);
}

}  // namespace
}  // namespace onep::testing
