// SPDX-License-Identifier: Apache-2.0
// The Sentinel client on a real primary, two replicas and three sentinels:
// it finds the primary, follows a SENTINEL FAILOVER and a killed primary,
// never waits past its bounds, and says clearly why when it cannot find one.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "onep/redis_client.h"
#include "support/process.h"
#include "support/redis_sentinel.h"

namespace onep::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Log lines a client wrote, for the tests that check them.
struct LogLines {
  std::mutex mu;
  std::vector<std::string> lines;
  RedisLog Log() {
    RedisLog log;
    log.write = [this](int, const std::string& line) {
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(line);
    };
    return log;
  }
  bool Has(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& line : lines) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
};

std::string Get(RedisSentinelGroup& group, int port, const std::string& key) {
  auto conn = group.Connect(port);
  if (!conn) return "";
  auto reply = conn->Command({"GET", key});
  return reply.ok() ? reply->str : reply.status().ToString();
}

// Calls SET until one succeeds, at most `tries` times; every call within the
// bound (see BoundOfOneCall). Returns the number of calls that failed.
int SetUntilOk(RedisClient& client, const std::string& key, const std::string& value, int tries,
               milliseconds bound) {
  for (int i = 0; i < tries; ++i) {
    const auto start = Clock::now();
    auto reply = client.Command(key, {"SET", key, value});
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    EXPECT_LT(took.count(), bound.count()) << "one call took " << took.count() << " ms";
    if (reply.ok() && !reply->is_error()) return i;
    if (reply.ok()) {
      ADD_FAILURE() << "error reply: " << reply->str;
    } else {
      EXPECT_EQ(reply.status().code(), Code::kUnavailable) << reply.status().ToString();
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  ADD_FAILURE() << "no SET succeeded in " << tries << " tries";
  return tries;
}

// One call finds the master within the timeout and runs within the timeout:
// 2 x timeout. The extra 2 s only absorbs scheduling delays on a loaded
// 2-core machine; a client that waited for the failover would take far more.
milliseconds BoundOfOneCall(milliseconds timeout) { return 2 * timeout + milliseconds(2000); }

class SentinelClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { group_ = new RedisSentinelGroup(); }
  static void TearDownTestSuite() {
    delete group_;
    group_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(group_, nullptr);
    group_->WaitHealthy();
  }
  void TearDown() override {
    if (HasFailure()) std::printf("%s\n", group_->Logs().c_str());
  }
  static RedisSentinelGroup* group_;
};

RedisSentinelGroup* SentinelClientTest::group_ = nullptr;

TEST_F(SentinelClientTest, FindsThePrimaryAndWritesThere) {
  LogLines log;
  auto client = group_->Client(milliseconds(500), log.Log());
  ASSERT_TRUE(client);
  auto set = client->Command("k", {"SET", "sentinel-test:first", "1"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->str, "OK");
  EXPECT_EQ(Get(*group_, group_->Primary(), "sentinel-test:first"), "1");
  EXPECT_TRUE(client->Ping().ok());
  auto every = client->OnEveryMaster({"ROLE"});
  ASSERT_TRUE(every.ok()) << every.status().ToString();
  ASSERT_EQ(every->size(), 1u);
  EXPECT_EQ((*every)[0].elements.at(0).str, "master");
  EXPECT_TRUE(log.Has("ONEP0305")) << log.All();
  EXPECT_EQ(client->Describe().rfind("redis-sentinel://127.0.0.1:", 0), 0u) << client->Describe();
}

TEST_F(SentinelClientTest, FollowsASentinelFailover) {
  LogLines log;
  const milliseconds timeout(500);
  auto client = group_->Client(timeout, log.Log());
  ASSERT_TRUE(client);
  ASSERT_EQ(SetUntilOk(*client, "k", "before", 1, BoundOfOneCall(timeout)), 0);
  const int old_primary = group_->Primary();
  const int new_primary = group_->Failover();
  ASSERT_NE(new_primary, 0);
  ASSERT_NE(new_primary, old_primary);
  // The old primary is a replica now: the pooled connection gets READONLY
  // or was closed by Sentinel; either way the client asks again.
  const int failed = SetUntilOk(*client, "k", "after", 50, BoundOfOneCall(timeout));
  EXPECT_EQ(Get(*group_, new_primary, "k"), "after");
  // Followed either by the check every second (the old primary still
  // writable) or after leaving it (ONEP0306): either way, a new master named.
  EXPECT_TRUE(log.Has("ONEP0305: Redis Sentinel: master \"onep-primary\" is redis://127.0.0.1:" +
                      std::to_string(new_primary)))
      << log.All();
  EXPECT_TRUE(log.Has("; it was redis://127.0.0.1:" + std::to_string(old_primary))) << log.All();
  std::printf("[ sentinel ] client after SENTINEL FAILOVER: %d failed call(s) before a write\n",
              failed);
}

TEST_F(SentinelClientTest, FollowsAKilledPrimaryWithinItsBounds) {
  LogLines log;
  const milliseconds timeout(500);
  auto client = group_->Client(timeout, log.Log());
  ASSERT_TRUE(client);
  ASSERT_EQ(SetUntilOk(*client, "k", "before", 1, BoundOfOneCall(timeout)), 0);
  const int old_primary = group_->Primary();
  const auto killed = Clock::now();
  const int new_primary = group_->KillPrimary();
  ASSERT_NE(new_primary, 0);
  const auto promoted = Clock::now();
  const int failed = SetUntilOk(*client, "k", "after", 200, BoundOfOneCall(timeout));
  const auto served = Clock::now();
  EXPECT_EQ(Get(*group_, new_primary, "k"), "after");
  std::printf(
      "[ sentinel ] client after SIGKILL of the primary: promoted after %lld ms, first write "
      "%lld ms after the promotion was seen, %d failed call(s)\n",
      static_cast<long long>(std::chrono::duration_cast<milliseconds>(promoted - killed).count()),
      static_cast<long long>(std::chrono::duration_cast<milliseconds>(served - promoted).count()),
      failed);
  group_->Restart(old_primary);
}

// In the background mode the check with the sentinels every second is the
// owner's Upkeep(): a call that has a master never asks them, however long
// since the last check. Over more than two checks' time, every call here
// writes its one command and nothing else; then Upkeep() asks the sentinels.
TEST_F(SentinelClientTest, InTheBackgroundACallNeverAsksTheSentinels) {
  LogLines log;
  auto target = ParseRedisTarget(group_->url());
  ASSERT_TRUE(target.ok());
  RedisClientOptions options;
  options.timeout = milliseconds(1000);
  options.log = log.Log();
  options.upkeep = RedisUpkeep::kBackground;
  auto client = ConnectRedis(*target, options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  // The first call has no master: it asks the sentinels itself.
  auto first = (*client)->Command("k", {"SET", "sentinel-test:background", "0"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const auto found = Clock::now();
  int calls = 0;
  // The client checks every second: 2.5 s spans two checks it would have made.
  while (Clock::now() < found + milliseconds(2500)) {
    const uint64_t before = (*client)->commands_sent();
    auto set = (*client)->Command("k", {"SET", "sentinel-test:background", std::to_string(calls)});
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    ASSERT_EQ((*client)->commands_sent() - before, 1u)
        << "call " << calls << ", "
        << std::chrono::duration_cast<milliseconds>(Clock::now() - found).count()
        << " ms after the master was found, asked the sentinels";
    ++calls;
    std::this_thread::sleep_for(milliseconds(20));  // pacing only
  }
  std::printf("[ sentinel ] %d calls over 2.5 s, none asked the sentinels\n", calls);
  // The owner's turn: the check is due, and Upkeep() makes it.
  const uint64_t before = (*client)->commands_sent();
  (*client)->Upkeep();
  EXPECT_GE((*client)->commands_sent() - before, 1u) << "Upkeep() did not ask the sentinels";
  EXPECT_EQ(Get(*group_, group_->Primary(), "sentinel-test:background"), std::to_string(calls - 1));
}

TEST(SentinelClientAloneTest, NoReachableSentinelIsUnavailableAtOnceSayingWhy) {
  const int closed_a = FreePort(), closed_b = FreePort();
  auto target = ParseRedisTarget("redis-sentinel://127.0.0.1:" + std::to_string(closed_a) +
                                 ",127.0.0.1:" + std::to_string(closed_b) + "/onep-primary");
  ASSERT_TRUE(target.ok());
  RedisClientOptions options;
  options.timeout = milliseconds(500);
  auto client = ConnectRedis(*target, options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  for (int i = 0; i < 3; ++i) {
    const auto start = Clock::now();
    auto reply = (*client)->Command("k", {"GET", "k"});
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.status().code(), Code::kUnavailable);
    EXPECT_NE(reply.status().message().find("127.0.0.1:" + std::to_string(closed_b)),
              std::string::npos)
        << reply.status().message();
    EXPECT_LT(took.count(), BoundOfOneCall(options.timeout).count());
  }
  EXPECT_FALSE((*client)->Ping().ok());
}

TEST_F(SentinelClientTest, AnUnknownMasterNameIsUnavailableNamingIt) {
  auto target = ParseRedisTarget(group_->url());
  ASSERT_TRUE(target.ok());
  target->master_name = "no-such-primary";
  auto client = ConnectRedis(*target, RedisClientOptions{});
  ASSERT_TRUE(client.ok());
  auto reply = (*client)->Command("k", {"GET", "k"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kUnavailable);
  EXPECT_NE(reply.status().message().find("monitors no master named \"no-such-primary\""),
            std::string::npos)
      << reply.status().message();
}

// The URL's password is the data nodes'; the sentinels' own is
// sentinel_password=. Each refused clearly when wrong or missing.
TEST(SentinelClientAloneTest, SentinelsAndDataNodesHaveTheirOwnPasswords) {
  RedisSentinelGroup::Options options;
  options.replicas = 1;
  options.data_password = "data-secret";
  options.sentinel_password = "sentinel-secret";
  RedisSentinelGroup group(options);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  auto client = group.Client(milliseconds(1000));
  ASSERT_TRUE(client);
  auto set = client->Command("k", {"SET", "k", "v"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->str, "OK");

  const std::string url = group.url();
  auto without = url.substr(0, url.find('?'));
  auto wrong_data = url;
  wrong_data.replace(wrong_data.find("data-secret"), 11, "wrong-data!");
  for (const auto& [bad, expected] : std::vector<std::pair<std::string, std::string>>{
           {without, "NOAUTH"}, {wrong_data, "WRONGPASS"}}) {
    auto target = ParseRedisTarget(bad);
    ASSERT_TRUE(target.ok()) << bad;
    auto refused = ConnectRedis(*target, RedisClientOptions{});
    ASSERT_TRUE(refused.ok());
    auto reply = (*refused)->Command("k", {"GET", "k"});
    ASSERT_FALSE(reply.ok()) << bad;
    EXPECT_NE(reply.status().message().find(expected), std::string::npos)
        << reply.status().message();
    EXPECT_EQ(reply.status().message().find("secret"), std::string::npos)
        << "a password in " << reply.status().message();
  }
  if (::testing::Test::HasFailure()) std::printf("%s\n", group.Logs().c_str());
}

}  // namespace
}  // namespace onep::testing
