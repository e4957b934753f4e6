// SPDX-License-Identifier: Apache-2.0
// The contract's guarantees that span processes: token rotation and deletion
// take effect on the very next request in every Apache child and thread, and
// concurrent requests are each recorded exactly once.
#include <gtest/gtest.h>
#include <jansson.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "onep/json.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/process.h"

namespace onep::testing {
namespace {

constexpr const char* kBody = R"({"app":"web"})";

class ModuleGuaranteesTest : public ::testing::Test {
 protected:
  static ApacheOptions Options() {
    ApacheOptions options;
    options.start_servers = 3;
    options.server_limit = 3;
    options.threads_per_child = 4;
    return options;
  }

  void SetUp() override { ASSERT_TRUE(stack_.Start()); }

  HttpResponse Hit(const std::string& token) {
    return PostJson(stack_.port(), stack_.path("/hits"), token, kBody);
  }

  // Sends accepted requests until at least two children have served one, so
  // that every such child holds a pooled connection (and whatever state it
  // might wrongly cache). Returns the number of children seen.
  std::size_t WarmUpChildren(const std::string& token) {
    for (int i = 0; i < 300; ++i) {
      auto r = Hit(token);
      EXPECT_EQ(r.status, 202) << r.body;
      if (i >= 20 && stack_.apache().PidsInLog("ONEP0101").size() >= 2) break;
    }
    return stack_.apache().PidsInLog("ONEP0101").size();
  }

  // `count` requests from `threads` threads at once; the statuses seen.
  std::multiset<int> Burst(const std::string& token, int threads, int per_thread) {
    std::vector<std::vector<int>> statuses(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) statuses[t].push_back(Hit(token).status);
      });
    }
    for (auto& w : workers) w.join();
    std::multiset<int> all;
    for (const auto& s : statuses) all.insert(s.begin(), s.end());
    return all;
  }

  OnepStack stack_{Options()};
};

TEST_F(ModuleGuaranteesTest, RotationStopsTheOldTokenInEveryChildAtOnce) {
  auto cred = stack_.Create("acme", "hits");
  EXPECT_GE(WarmUpChildren(cred.token), 2u) << stack_.apache().ErrorLog();

  auto rotated = stack_.service().Rotate(cred.credential.id, 0);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();

  auto old_statuses = Burst(cred.token, 6, 10);
  EXPECT_EQ(old_statuses.count(401), old_statuses.size());
  auto r = Hit(cred.token);
  EXPECT_EQ(r.ErrorCode(), "invalid_token");

  auto new_statuses = Burst(rotated->token, 6, 5);
  EXPECT_EQ(new_statuses.count(202), new_statuses.size());
}

TEST_F(ModuleGuaranteesTest, RenameRotatesToo) {
  auto cred = stack_.Create("acme", "hits");
  WarmUpChildren(cred.token);
  auto renamed = stack_.service().Rename(cred.credential.id, "new name", 0);
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  auto old_statuses = Burst(cred.token, 4, 10);
  EXPECT_EQ(old_statuses.count(401), old_statuses.size());
  EXPECT_EQ(Hit(renamed->token).status, 202);
}

TEST_F(ModuleGuaranteesTest, GracePeriodKeepsTheOldTokenForAWhile) {
  auto cred = stack_.Create("acme", "hits");
  WarmUpChildren(cred.token);
  auto rotated = stack_.service().Rotate(cred.credential.id, 60 * 1000);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(Hit(cred.token).status, 202);
  EXPECT_EQ(Hit(rotated->token).status, 202);
  // A second rotation ends the first grace period at once.
  auto again = stack_.service().Rotate(cred.credential.id, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Hit(cred.token).status, 401);
  EXPECT_EQ(Hit(rotated->token).status, 401);
  EXPECT_EQ(Hit(again->token).status, 202);
}

TEST_F(ModuleGuaranteesTest, DeletionStopsTheTokenInEveryChildAtOnce) {
  auto cred = stack_.Create("acme", "hits");
  EXPECT_GE(WarmUpChildren(cred.token), 2u) << stack_.apache().ErrorLog();
  const std::size_t recorded = stack_.Events("acme").size();

  ASSERT_TRUE(stack_.service().Delete(cred.credential.id).ok());
  auto statuses = Burst(cred.token, 6, 10);
  EXPECT_EQ(statuses.count(401), statuses.size());
  // Its past events stay; nothing new was recorded.
  EXPECT_EQ(stack_.Events("acme").size(), recorded);
}

TEST_F(ModuleGuaranteesTest, RotationWithOnepctlStopsTheOldToken) {
  auto cred = stack_.Create("acme", "hits");
  WarmUpChildren(cred.token);
  const std::map<std::string, std::string> env = {{"ONEP_REDIS_URL", stack_.redis().url()},
                                                  {"ONEP_KEY_PREFIX", "onep:"}};
  RunResult rotate =
      onep::testing::Run({ONEPCTL_PATH, "--json", "rotate", cred.credential.id}, env);
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  JsonPtr out(json_loads(rotate.out.c_str(), 0, nullptr));
  ASSERT_TRUE(out) << rotate.out;
  const char* token = json_string_value(json_object_get(out.get(), "token"));
  ASSERT_NE(token, nullptr) << rotate.out;

  auto old_statuses = Burst(cred.token, 4, 10);
  EXPECT_EQ(old_statuses.count(401), old_statuses.size());
  EXPECT_EQ(Hit(token).status, 202);

  RunResult del = onep::testing::Run({ONEPCTL_PATH, "delete", cred.credential.id, "--yes"}, env);
  ASSERT_EQ(del.exit_code, 0) << del.err;
  auto after_delete = Burst(token, 4, 10);
  EXPECT_EQ(after_delete.count(401), after_delete.size());
}

TEST_F(ModuleGuaranteesTest, ConcurrentRequestsAreEachRecordedOnce) {
  auto cred = stack_.Create("acme", "hits");
  constexpr int kThreads = 8, kPerThread = 25;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = Hit(cred.token);
        EXPECT_EQ(r.status, 202) << r.body;
        ids[t].push_back(r.JsonString("id"));
      }
    });
  }
  for (auto& w : workers) w.join();
  std::set<std::string> unique;
  for (const auto& v : ids) unique.insert(v.begin(), v.end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kPerThread));
  auto events = stack_.Events("acme", 10000);
  EXPECT_EQ(events.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (const auto& e : events) EXPECT_EQ(unique.count(e.id), 1u) << e.id;
}

TEST_F(ModuleGuaranteesTest, ConcurrentRetriesWithOneIdempotencyKeyRecordOnce) {
  auto cred = stack_.Create("acme", "hits");
  std::vector<std::string> ids(8);
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&, t] {
      auto r = PostJson(stack_.port(), stack_.path("/hits"), cred.token, kBody,
                        {{"Idempotency-Key", "same-key"}});
      EXPECT_EQ(r.status, 202) << r.body;
      ids[t] = r.JsonString("id");
    });
  }
  for (auto& w : workers) w.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(stack_.Events("acme").size(), 1u);
}

}  // namespace
}  // namespace onep::testing

namespace onep::testing {
namespace {

class ModuleMpmTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModuleMpmTest, ServesAndRotatesUnderEveryMpm) {
  ApacheOptions options;
  options.mpm = GetParam();
  options.start_servers = 2;
  options.server_limit = 2;
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto cred = stack.Create("acme", "hits");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(PostJson(stack.port(), "/onep/hits", cred.token, kBody).status, 202);
  }
  EXPECT_EQ(Get(stack.port(), "/onep/health").status, 200);
  auto rotated = stack.service().Rotate(cred.credential.id, 0);
  ASSERT_TRUE(rotated.ok());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(PostJson(stack.port(), "/onep/hits", cred.token, kBody).status, 401);
  }
  EXPECT_EQ(PostJson(stack.port(), "/onep/hits", rotated->token, kBody).status, 202);
  EXPECT_EQ(stack.Events("acme").size(), 11u);
}

INSTANTIATE_TEST_SUITE_P(Mpms, ModuleMpmTest, ::testing::Values("event", "worker", "prefork"));

}  // namespace
}  // namespace onep::testing
