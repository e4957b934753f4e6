// SPDX-License-Identifier: Apache-2.0
// onepctl doctor against real Redis servers configured right and wrong.
#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace onep::testing {
namespace {

RunResult Doctor(const RedisServer& redis, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {ONEPCTL_PATH, "--redis", redis.url(), "doctor"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return ::onep::testing::Run(argv, {});
}

TEST(CliDoctorTest, AWellKeptRedisPassesEveryCheck) {
  ONEP_SINGLE_REDIS_ONLY("it configures its own servers");
  RedisServer redis({"appendonly yes", "maxmemory-policy noeviction"});
  RunResult r = Doctor(redis);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* check :
       {"reachable", "version", "maxmemory-policy", "persistence", "key layout", "acl", "clock"}) {
    EXPECT_NE(r.out.find(std::string("ok    ") + check + ":"), std::string::npos)
        << check << " in\n"
        << r.out;
  }
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  JsonPtr json = ParseJson(Doctor(redis, {"--json"}).out);
  ASSERT_TRUE(json_is_array(json.get()));
  EXPECT_EQ(json_array_size(json.get()), 7u);
}

// Both ways a Redis silently loses tokens: evicting keys, and forgetting
// everything on a restart.
TEST(CliDoctorTest, AnEvictingRedisWithoutPersistenceFailsNamingBoth) {
  ONEP_SINGLE_REDIS_ONLY("it configures its own servers");
  RedisServer redis({"appendonly no", "save \"\"", "maxmemory-policy allkeys-lru"});
  RunResult r = Doctor(redis);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  maxmemory-policy: allkeys-lru"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("noeviction"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL  persistence:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("appendonly yes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok    reachable:"), std::string::npos) << r.out;
}

TEST(CliDoctorTest, AnUnreachableRedisFailsTheFirstCheck) {
  const int closed = FreePort();
  RunResult r = ::onep::testing::Run(
      {ONEPCTL_PATH, "--redis", "redis://127.0.0.1:" + std::to_string(closed) + "/0", "doctor"},
      {});
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r);
}

}  // namespace
}  // namespace onep::testing
