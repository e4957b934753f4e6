// SPDX-License-Identifier: Apache-2.0
// Group commit on the real module: concurrent accepted requests in one Apache
// child share Redis writes (fewer script calls than requests, counted by
// Redis itself), each request gets its own answer, and the batch sizes show
// in the metrics.
//
// Redis' writes are paused (CLIENT PAUSE WRITE) while the requests arrive,
// so that they queue behind the first one deterministically.
#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/load.h"

namespace onep::testing {
namespace {

constexpr int kRequests = 16;

long long Sample(const std::string& metrics, const std::string& name) {
  const std::size_t at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stoll(metrics.substr(at + name.size() + 2));
}

TEST(ModuleGroupCommitTest, ConcurrentRequestsInOneChildShareRedisWrites) {
  ONEP_SINGLE_REDIS_ONLY("it pauses the one Redis server's writes");
  ApacheOptions options;
  options.start_servers = 1;
  options.server_limit = 1;
  options.threads_per_child = kRequests;
  options.server_directives = {"OnepRedisTimeout 5s"};
  options.extra_config =
      "<Location \"/metrics\">\n  SetHandler onep-metrics\n  Require all granted\n</Location>\n";
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  const std::string token = stack.Create("acme", "hits", "web").token;
  // The child's first request checks the layout and loads the script.
  ASSERT_EQ(PostJson(stack.port(), "/onep/hits", token, "{}").status, 202);
  const long long calls_before = stack.redis().CommandCalls("evalsha");

  ASSERT_TRUE(stack.conn().Command({"CLIENT", "PAUSE", "1500", "WRITE"}).ok());
  std::vector<HttpResponse> responses(kRequests);
  std::vector<std::thread> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.emplace_back([&, i] {
      responses[i] = PostJson(stack.port(), "/onep/hits", token, R"({"count":1})",
                              {{"Idempotency-Key", "gc-" + std::to_string(i)}});
    });
  }
  for (auto& c : clients) c.join();

  std::set<std::string> ids;
  for (const auto& r : responses) {
    EXPECT_EQ(r.status, 202) << r.body;
    ids.insert(r.JsonString("id"));
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kRequests));
  const long long calls = stack.redis().CommandCalls("evalsha") - calls_before;
  std::cout << kRequests << " concurrent requests, " << calls << " script calls\n";
  EXPECT_LT(calls, kRequests) << "every request made its own call";
  EXPECT_GE(calls, 2);  // the first went alone, into the pause
  EXPECT_EQ(stack.Events("acme").size(), static_cast<std::size_t>(kRequests + 1));

  const std::string metrics = "\n" + Get(stack.port(), "/metrics").body;
  EXPECT_EQ(Sample(metrics, "onep_redis_batch_size_sum"), kRequests + 1) << metrics;
  EXPECT_EQ(Sample(metrics, "onep_redis_batch_size_count"), calls + 1) << metrics;
  ExpectNoChildCrash(stack.apache());
}

}  // namespace
}  // namespace onep::testing
