// SPDX-License-Identifier: Apache-2.0
// One organization's token holders cannot make another organization's
// webhooks fail by filling Redis: with Redis' maxmemory set to what the
// keyspace holds plus the flooding organization's worst case (the formula of
// docs/operations.md, tests/support/org_sizing.h), a minute of flooding at
// full speed leaves the other organization answered 202.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "onep/clock.h"
#include "onep/parse.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/org_sizing.h"
#include "support/redis_info.h"

namespace onep::testing {
namespace {

using Clock = std::chrono::steady_clock;

// What Redis holds, for a failure's message.
std::string MemoryFigures(RedisConnection& conn, const std::string& tag_a) {
  std::string out = "used_memory " + std::to_string(InfoNumber(conn, "memory", "used_memory")) +
                    ", maxmemory " + std::to_string(InfoNumber(conn, "memory", "maxmemory"));
  for (const char* key : {"events", "idem", "idemage", "deployids", "deployage"}) {
    const std::string name = "onep:{" + tag_a + "}:" + key;
    auto usage = conn.Command({"MEMORY", "USAGE", name, "SAMPLES", "0"});
    out += std::string(", A's ") + key + " " +
           (usage.ok() && !usage->is_nil() ? std::to_string(usage->integer) : "none");
  }
  auto keys = conn.Command({"DBSIZE"});
  if (keys.ok()) out += ", keys " + std::to_string(keys->integer);
  return out;
}

constexpr int kFloodSeconds = 60;
constexpr int kFloodConnections = 6;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// Room in maxmemory beyond A's worst case: B's own events while the test
// runs (a probe every 250 ms: about 300 small events) and the buffers of
// Apache's connections to Redis.
constexpr long long kMarginBytes = 4LL * 1024 * 1024;

TEST(ModuleQuotaTest, OneOrgFloodingForAMinuteLeavesAnotherOrgAnswering202) {
  ONEP_SINGLE_REDIS_ONLY("it sets one server's maxmemory");
  ApacheOptions options;
  options.threads_per_child = 8;  // the flood's connections leave workers for B
  // OnepMaxApps 5000: every app name of the flood is accepted, as before
  // the cap on apps.
  options.server_directives = {"OnepMaxEvents 1000", "OnepMaxIdempotencyKeys 2000",
                               "OnepMaxDeployIds 2000", "OnepMaxApps 5000"};
  OnepStack stack(options, {"maxmemory-policy noeviction"});
  ASSERT_TRUE(stack.Start());
  auto a_hits = stack.Create("org-a", "hits");
  auto a_deploy = stack.Create("org-a", "deploy", "api");
  auto b_hits = stack.Create("org-b", "hits", "web");
  const std::string hits_path = stack.path("/hits");
  ASSERT_EQ(PostJson(stack.port(), hits_path, b_hits.token, "{}").status, 202);
  ASSERT_EQ(PostJson(stack.port(), hits_path, a_hits.token, R"({"app":"warm"})").status, 202);
  ASSERT_EQ(
      PostJson(stack.port(), stack.path("/deploys"), a_deploy.token, R"({"version":"1"})").status,
      202);
  const std::string tag_a = stack.Tag("org-a");

  OrgLimits limits;
  limits.max_events = 1000;
  limits.max_idempotency_keys = 2000;
  limits.max_deploy_ids = 2000;
  limits.credentials = 2;
  limits.max_apps = 5001;    // and "warm"
  limits.max_incidents = 0;  // the flood sends no failure: it opens no incident
  // Within the test's minute, the hour may turn once: one bucket more.
  limits.counter_buckets = kGrowingBuckets + 1;
  const long long worst = OrgWorstCaseBytes(limits);
  auto& conn = stack.conn();
  const long long used = SettledUsedMemory(conn);
  const long long maxmemory = used + worst + kMarginBytes;
  ASSERT_TRUE(conn.Command({"CONFIG", "SET", "maxmemory", std::to_string(maxmemory)}).ok());
  std::printf(
      "[ quota    ] used_memory after setup %lld; org A's worst case %lld; margin %lld; "
      "maxmemory %lld\n",
      used, worst, kMarginBytes, maxmemory);

  // Org A: a new Idempotency-Key on every hit, a new deploy_id on every
  // deploy, timestamps over the last 30 days, many app names.
  std::atomic<bool> stop{false};
  std::atomic<long long> sent{0};
  std::mutex mu;
  std::map<int, int> a_statuses;  // guarded by mu
  std::vector<std::thread> flood;
  const int64_t start_ms = NowMs();
  for (int c = 0; c < kFloodConnections; ++c) {
    flood.emplace_back([&, c] {
      std::map<int, int> mine;
      for (long long i = 0; !stop; ++i) {
        const std::string n = std::to_string(c) + "-" + std::to_string(i);
        const int64_t time_ms = NowMs() - (i * 7919 + c * 104729) % (30 * kDayMs - 3600000);
        const std::string at = R"(,"timestamp":")" + FormatRfc3339Ms(time_ms) + "\"}";
        HttpResponse r;
        if (i % 2 == 0) {
          r = PostJson(stack.port(), hits_path, a_hits.token,
                       R"({"app":"app-)" + std::to_string((i * 31 + c) % 5000) + "\"" + at,
                       {{"Idempotency-Key", "flood-" + n}});
        } else {
          r = PostJson(stack.port(), stack.path("/deploys"), a_deploy.token,
                       R"({"version":"1","deploy_id":"flood-)" + n + "\"" + at);
        }
        mine[r.status]++;
        sent++;
      }
      std::lock_guard<std::mutex> lock(mu);
      for (auto [status, count] : mine) a_statuses[status] += count;
    });
  }
  // Org B, meanwhile and after: every probe answered 202.
  int b_probes = 0, b_accepted = 0;
  long long first_refusal_ms = -1;
  std::string first_refusal;
  auto probe = [&] {
    auto r = PostJson(stack.port(), hits_path, b_hits.token, R"({"message":"still here"})");
    ++b_probes;
    if (r.status == 202) {
      ++b_accepted;
    } else if (first_refusal_ms < 0) {
      first_refusal_ms = NowMs() - start_ms;
      first_refusal = std::to_string(r.status) + " " + r.body + "; " + MemoryFigures(conn, tag_a);
    }
  };
  const auto flood_end = Clock::now() + std::chrono::seconds(kFloodSeconds);
  while (Clock::now() < flood_end) {
    probe();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  stop = true;
  for (auto& t : flood) t.join();
  for (int i = 0; i < 20; ++i) probe();

  std::string a_summary;
  for (auto [status, count] : a_statuses) {
    a_summary += std::to_string(status) + ":" + std::to_string(count) + " ";
  }
  const std::string figures = MemoryFigures(conn, tag_a);
  std::printf(
      "[ quota    ] org A sent %lld requests in %d s (%s); org B: %d of %d probes answered 202; "
      "%s\n",
      sent.load(), kFloodSeconds, a_summary.c_str(), b_accepted, b_probes, figures.c_str());
  EXPECT_EQ(b_accepted, b_probes) << "org B first refused after " << first_refusal_ms
                                  << " ms of the flood: " << first_refusal;
  EXPECT_GT(sent.load(), 10000) << "the flood was too slow to mean anything";
  EXPECT_LE(SettledUsedMemory(conn), maxmemory) << figures;
  // A's entries stayed within their caps.
  EXPECT_LE(conn.Command({"ZCARD", "onep:{" + tag_a + "}:idemage"})->integer, 2000);
  EXPECT_LE(conn.Command({"ZCARD", "onep:{" + tag_a + "}:deployage"})->integer, 2000);
}

}  // namespace
}  // namespace onep::testing
