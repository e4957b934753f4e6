// SPDX-License-Identifier: Apache-2.0
// mod_onep when Redis goes away, comes back, is slow, needs a password or
// listens on a unix socket. Fail closed, fast, and recover without restarting
// Apache.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/apache_server.h"
#include "support/http_client.h"

namespace onep::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kBody = R"({"app":"web"})";
constexpr int kTimeoutMs = 300;

ApacheOptions WithTimeout() {
  ApacheOptions options;
  options.server_directives = {"OnepRedisTimeout " + std::to_string(kTimeoutMs) + "ms"};
  return options;
}

void ExpectUnavailable(const HttpResponse& r) {
  EXPECT_EQ(r.status, 503) << r.body << r.error;
  EXPECT_EQ(r.ErrorCode(), "store_unavailable") << r.body;
  EXPECT_EQ(r.Header("Retry-After"), "1");
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
}

TEST(ModuleRedisTest, RedisDownGives503FastAndRecoversWithoutRestartingApache) {
  ONEP_SINGLE_REDIS_ONLY("it is about one server's failures, password or socket");
  OnepStack stack(WithTimeout());
  ASSERT_TRUE(stack.Start());
  auto cred = stack.Create("acme", "hits");
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(PostJson(stack.port(), "/onep/hits", cred.token, kBody).status, 202);
  }

  stack.Disconnect();
  stack.redis().server().Stop();
  for (int i = 0; i < 6; ++i) {
    auto start = Clock::now();
    auto health = Get(stack.port(), "/onep/health");
    auto hit = PostJson(stack.port(), "/onep/hits", cred.token, kBody);
    auto elapsed = Clock::now() - start;
    ExpectUnavailable(health);
    ExpectUnavailable(hit);
    // Two requests, each bounded by the timeout, plus a generous margin.
    EXPECT_LT(elapsed, std::chrono::milliseconds(2 * kTimeoutMs + 1500));
  }
  // A malformed token is still refused as such: it never needs Redis.
  EXPECT_EQ(PostJson(stack.port(), "/onep/hits", "onep_bad", kBody).ErrorCode(), "invalid_token");

  stack.redis().server().Start();  // empty again: this test server keeps no data
  EXPECT_EQ(Get(stack.port(), "/onep/health").status, 200);
  auto fresh = stack.Create("acme", "hits");
  for (int i = 0; i < 10; ++i) {
    auto r = PostJson(stack.port(), "/onep/hits", fresh.token, kBody);
    EXPECT_EQ(r.status, 202) << r.body;
  }
  EXPECT_EQ(stack.Events("acme").size(), 10u);
}

TEST(ModuleRedisTest, PooledConnectionsSurviveARedisRestart) {
  ONEP_SINGLE_REDIS_ONLY("it is about one server's failures, password or socket");
  OnepStack stack(WithTimeout());
  ASSERT_TRUE(stack.Start());
  auto cred = stack.Create("acme", "hits");
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(PostJson(stack.port(), "/onep/hits", cred.token, kBody).status, 202);
  }
  // Restart with no request in between: every pooled connection is now
  // closed by the server. The pool must notice before sending (no request is
  // answered 503, none is sent twice) and open fresh connections.
  stack.Disconnect();
  stack.redis().server().Stop();
  stack.redis().server().Start();
  auto again = stack.Create("acme", "hits");
  for (int i = 0; i < 10; ++i) {
    auto r = PostJson(stack.port(), "/onep/hits", again.token, kBody);
    EXPECT_EQ(r.status, 202) << r.body;
  }
  EXPECT_EQ(stack.Events("acme").size(), 10u);
  EXPECT_NE(stack.apache().ErrorLog().find("ONEP0302"), std::string::npos);
}

TEST(ModuleRedisTest, SlowRedisGives503WithinTheTimeoutAndIsNotRetried) {
  ONEP_SINGLE_REDIS_ONLY("it is about one server's failures, password or socket");
  OnepStack stack(WithTimeout(), {"enable-debug-command yes"});
  ASSERT_TRUE(stack.Start());
  auto cred = stack.Create("acme", "hits");
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(PostJson(stack.port(), "/onep/hits", cred.token, kBody).status, 202);
  }
  const long long evalsha_before = stack.redis().CommandCalls("evalsha");

  std::thread sleeper([&] {
    auto conn = stack.redis().server().Connect();
    ASSERT_TRUE(conn);
    // Whether the reply or the client's timeout comes first says nothing here.
    (void)conn->Command({"DEBUG", "SLEEP", "3"});
  });
  // Wait (bounded) until Redis is asleep: a PING then times out.
  const auto asleep_by = Clock::now() + std::chrono::seconds(3);
  for (;;) {
    auto probe =
        RedisConnection::Connect(stack.redis().server().Options(std::chrono::milliseconds(100)));
    // Connecting measures the clock offset (a TIME round trip): it fails too.
    if (!probe.ok() || !(*probe)->Command({"PING"}).ok()) break;
    if (Clock::now() > asleep_by) {
      ADD_FAILURE() << "DEBUG SLEEP did not start";  // no ASSERT: `sleeper` must be joined
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto start = Clock::now();
  auto r = PostJson(stack.port(), "/onep/hits", cred.token, kBody);
  auto elapsed = Clock::now() - start;
  sleeper.join();
  ExpectUnavailable(r);
  EXPECT_LT(elapsed, std::chrono::milliseconds(kTimeoutMs + 1500));
  EXPECT_GE(elapsed, std::chrono::milliseconds(kTimeoutMs - 50));

  // The module sent its one EVALSHA and did not send it again after the
  // timeout (Redis ran it when it woke up: see docs/operations.md).
  EXPECT_EQ(stack.redis().CommandCalls("evalsha") - evalsha_before, 1);
  EXPECT_EQ(PostJson(stack.port(), "/onep/hits", cred.token, kBody).status, 202);
}

TEST(ModuleRedisTest, PasswordIsUsedAndNeverLogged) {
  ONEP_SINGLE_REDIS_ONLY("it is about one server's failures, password or socket");
  const std::string password = "s3cret-Pa55";
  OnepStack stack;
  auto cred = stack.Create("acme", "hits");
  // Set at run time: the test Redis must start without one.
  auto set = stack.conn().Command({"CONFIG", "SET", "requirepass", password});
  ASSERT_TRUE(set.ok() && !set->is_error());
  ApacheOptions options;
  options.server_directives = {"OnepRedis redis://:" + password + "@127.0.0.1:" +
                               std::to_string(stack.redis().server().port()) + "/0"};
  ApacheServer apache(options);
  ASSERT_TRUE(apache.Start());
  EXPECT_EQ(Get(apache.port(), "/onep/health").status, 200);
  EXPECT_EQ(PostJson(apache.port(), "/onep/hits", cred.token, kBody).status, 202);

  stack.Disconnect();
  stack.redis().server().Stop();
  ExpectUnavailable(Get(apache.port(), "/onep/health"));
  ExpectUnavailable(PostJson(apache.port(), "/onep/hits", cred.token, kBody));
  const std::string log = apache.ErrorLog();
  EXPECT_NE(log.find("ONEP0104"), std::string::npos) << log;
  EXPECT_NE(log.find("ONEP0102"), std::string::npos) << log;
  EXPECT_NE(log.find("***"), std::string::npos) << log;
  EXPECT_EQ(log.find(password), std::string::npos) << log;
}

TEST(ModuleRedisTest, UnixSocketUrlWorks) {
  ONEP_SINGLE_REDIS_ONLY("it is about one server's failures, password or socket");
  std::string dir = MakeTempDir("sock");
  chmod(dir.c_str(), 0755);  // Apache's children may run as www-data
  const std::string socket = dir + "/redis.sock";
  OnepStack stack({}, {"unixsocket " + socket, "unixsocketperm 777"});
  ApacheOptions options;
  options.server_directives = {"OnepRedis unix://" + socket + "?db=0"};
  ApacheServer apache(options);
  ASSERT_TRUE(apache.Start());
  auto cred = stack.Create("acme", "hits");
  EXPECT_EQ(Get(apache.port(), "/onep/health").status, 200);
  EXPECT_EQ(PostJson(apache.port(), "/onep/hits", cred.token, kBody).status, 202);
  EXPECT_EQ(stack.Events("acme").size(), 1u);
  apache.Stop();
  RemoveTree(dir);
}

}  // namespace
}  // namespace onep::testing
