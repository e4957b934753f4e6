// SPDX-License-Identifier: Apache-2.0
// The metrics handler (SetHandler onep-metrics) and mod_status' section: a
// known mix of requests sent by several clients across at least 3 Apache
// children (prefork: one request per child at a time), scraped while the load
// runs and after it, must give exactly the counts sent: the children add
// into one shared segment.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "onep/token.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/process.h"

namespace onep::testing {
namespace {

constexpr int kChildren = 4;

ApacheOptions MetricsOptions() {
  ApacheOptions options;
  options.mpm = "prefork";
  options.start_servers = kChildren;
  options.server_limit = kChildren;
  options.extra_config =
      "LoadModule status_module /usr/lib/apache2/modules/mod_status.so\n"
      "<Location \"/metrics\">\n  SetHandler onep-metrics\n  Require all granted\n</Location>\n"
      "<Location \"/server-status\">\n  SetHandler server-status\n  Require all granted\n"
      "</Location>\n";
  return options;
}

// The sum of the samples of `name` whose labels include every one of
// `labels` (name="value" pairs); -1 when there is no such sample.
long long Sample(const std::string& text, const std::string& name,
                 const std::vector<std::string>& labels = {}) {
  std::istringstream lines(text);
  long long sum = -1;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto brace = line.find('{');
    const auto space = line.rfind(' ');
    const std::string metric = line.substr(0, std::min(brace, space));
    if (metric != name) continue;
    const std::string label_text = brace == std::string::npos ? "" : line.substr(brace, space);
    bool all = true;
    for (const auto& label : labels) all = all && label_text.find(label) != std::string::npos;
    if (!all) continue;
    sum = (sum < 0 ? 0 : sum) + std::stoll(line.substr(space + 1));
  }
  return sum;
}

long long Requests(const std::string& text, const std::string& route, const std::string& code) {
  long long n =
      Sample(text, "onep_requests_total", {"route=\"" + route + "\"", "code=\"" + code + "\""});
  return n < 0 ? 0 : n;
}

// A request held by a child: headers sent, body not yet. With prefork, each
// one occupies a child of its own until it is finished.
class Held {
 public:
  Held(int port, const std::string& path, const std::string& token, const std::string& body)
      : body_(body) {
    std::string error;
    fd_ = ConnectLoopback(port, &error);
    EXPECT_GE(fd_, 0) << error;
    const std::string head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                             "Connection: close\r\nAuthorization: Bearer " + token +
                             "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n" +
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    send(fd_, head.data(), head.size(), MSG_NOSIGNAL);
  }
  ~Held() { close(fd_); }
  bool InChild() { return ReadFor(fd_, 5000, "\r\n\r\n").rfind("HTTP/1.1 100", 0) == 0; }
  int Finish() {
    send(fd_, body_.data(), body_.size(), MSG_NOSIGNAL);
    const std::string raw = ReadFor(fd_, 10000);
    return raw.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(raw.c_str() + 9) : 0;
  }

 private:
  int fd_ = -1;
  std::string body_;
};

// One request of the mix: what is sent and what must come back.
struct Step {
  std::string route, code;  // the labels it must be counted under
  int status;
};

class ModuleMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.Start());
    hits_ = stack_.Create("acme", "hits", "web");
    deploy_ = stack_.Create("acme", "deploy", "api");
  }

  std::string Scrape() {
    auto r = Get(stack_.port(), "/metrics");
    EXPECT_EQ(r.status, 200) << r.body << r.error;
    EXPECT_NE(r.Header("content-type").find("text/plain; version=0.0.4"), std::string::npos);
    return r.body;
  }

  // Sends request `i` of the mix (the same i gives the same request) and
  // checks its status.
  Step SendStep(int thread, int i) {
    const int port = stack_.port();
    const std::string key = "k-" + std::to_string(thread) + "-" + std::to_string(i / 13);
    HttpResponse r;
    Step step;
    switch (i % 13) {
      case 0:
        step = {"hits", "accepted", 202};
        r = PostJson(port, "/onep/hits", hits_.token, "{}", {{"Idempotency-Key", key}});
        break;
      case 1:  // the same Idempotency-Key again
        step = {"hits", "duplicate", 202};
        r = PostJson(port, "/onep/hits", hits_.token, "{}", {{"Idempotency-Key", key}});
        break;
      case 2:
        step = {"failures", "accepted", 202};
        r = PostJson(port, "/onep/failures", hits_.token, R"({"error":"boom"})");
        break;
      case 3:
        step = {"deploys", "accepted", 202};
        r = PostJson(port, "/onep/deploys", deploy_.token, R"({"version":"1.0"})");
        break;
      case 4:
        step = {"hits", "missing_token", 401};
        r = PostJson(port, "/onep/hits", "", "{}");
        break;
      case 5:
        step = {"hits", "invalid_token", 401};
        r = PostJson(port, "/onep/hits", "onep_notatoken", "{}");
        break;
      case 6:  // a hits token on the deploy route
        step = {"deploys", "forbidden", 403};
        r = PostJson(port, "/onep/deploys", hits_.token, R"({"version":"1.0"})");
        break;
      case 7:
        step = {"hits", "method_not_allowed", 405};
        r = Get(port, "/onep/hits");
        break;
      case 8:
        step = {"other", "not_found", 404};
        r = PostJson(port, "/onep/nope", hits_.token, "{}");
        break;
      case 9: {
        step = {"hits", "unsupported_media_type", 415};
        HttpRequest req;
        req.method = "POST";
        req.path = "/onep/hits";
        req.headers = {{"Authorization", "Bearer " + hits_.token}, {"Content-Type", "text/plain"}};
        req.body = "{}";
        r = Send(port, req);
        break;
      }
      case 10:
        step = {"failures", "invalid_json", 400};
        r = PostJson(port, "/onep/failures", hits_.token, "{not json");
        break;
      case 11:
        step = {"hits", "invalid_event", 422};
        r = PostJson(port, "/onep/hits", hits_.token, R"({"count":0})");
        break;
      default:
        step = {"health", "ok", 200};
        r = Get(port, "/onep/health");
        break;
    }
    EXPECT_EQ(r.status, step.status) << step.route << " " << step.code << ": " << r.body << r.error;
    return step;
  }

  OnepStack stack_{MetricsOptions()};
  IssuedCredential hits_, deploy_;
};

TEST_F(ModuleMetricsTest, AScrapeAfterAKnownMixAcrossChildrenGivesExactlyTheCountsSent) {
  // First, 3 requests held at once: with prefork, 3 different children.
  std::vector<std::unique_ptr<Held>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(
        std::make_unique<Held>(stack_.port(), "/onep/hits", hits_.token, R"({"message":"held"})"));
    ASSERT_TRUE(held.back()->InChild()) << "held request " << i << " did not reach a child";
  }
  for (auto& h : held) EXPECT_EQ(h->Finish(), 202);
  std::map<std::pair<std::string, std::string>, long long> expected;
  expected[{"hits", "accepted"}] = 3;

  // Then the mix from 6 clients, scraped while it runs.
  constexpr int kThreads = 6, kPerThread = 13 * 8;
  std::vector<std::vector<Step>> sent(kThreads);
  std::atomic<int> done{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) sent[t].push_back(SendStep(t, i));
      done++;
    });
  }
  long long previous = 0;
  int scrapes_during_load = 0;
  while (done < kThreads) {
    const std::string text = Scrape();
    const long long accepted = Requests(text, "hits", "accepted");
    EXPECT_GE(accepted, previous) << "a counter went down";
    previous = accepted;
    ++scrapes_during_load;
  }
  for (auto& c : clients) c.join();
  EXPECT_GT(scrapes_during_load, 0);
  long long redis_calls = 0;
  for (const auto& per_thread : sent) {
    for (const auto& step : per_thread) {
      expected[{step.route, step.code}]++;
      // What costs a Redis round trip: the record script, and PING for health.
      if (step.status == 202 || step.code == "forbidden" || step.code == "ok") ++redis_calls;
    }
  }
  redis_calls += 3;  // the held requests

  const std::vector<long> children = stack_.apache().PidsInLog("ONEP0101");
  EXPECT_GE(children.size(), 3u) << "the accepted requests were served by fewer than 3 children";

  const std::string text = Scrape();
  long long total_expected = 0;
  for (const auto& [labels, n] : expected) {
    EXPECT_EQ(Requests(text, labels.first, labels.second), n)
        << "route=" << labels.first << " code=" << labels.second << "\n"
        << text;
    total_expected += n;
  }
  EXPECT_EQ(Sample(text, "onep_requests_total"), total_expected) << text;
  // Every Redis round trip is in the histogram, plus the one layout check
  // each child makes before its first event (at most one per child).
  const long long calls = Sample(text, "onep_redis_duration_seconds_count");
  EXPECT_GE(calls, redis_calls) << text;
  EXPECT_LE(calls, redis_calls + kChildren) << text;
  EXPECT_EQ(Sample(text, "onep_redis_duration_seconds_bucket", {"le=\"+Inf\""}), calls);
  EXPECT_EQ(Sample(text, "onep_redis_errors_total"), 0) << text;
  // Each child that served an event opened one connection and still holds it.
  EXPECT_GE(Sample(text, "onep_redis_connections_open"), 3) << text;
  EXPECT_LE(Sample(text, "onep_redis_connections_open"),
            Sample(text, "onep_redis_connections_opened_total"));

  // mod_status shows the same totals.
  auto status = Get(stack_.port(), "/server-status?auto");
  ASSERT_EQ(status.status, 200) << status.body;
  const long long accepted_all = Requests(text, "hits", "accepted") +
                                 Requests(text, "failures", "accepted") +
                                 Requests(text, "deploys", "accepted");
  EXPECT_NE(status.body.find("OnepAccepted: " + std::to_string(accepted_all) + "\n"),
            std::string::npos)
      << status.body;
  EXPECT_NE(status.body.find(
                "OnepDuplicate: " + std::to_string(Requests(text, "hits", "duplicate")) + "\n"),
            std::string::npos)
      << status.body;
  auto page = Get(stack_.port(), "/server-status");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h2>onep (mod_onep)</h2>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("<td>hits</td><td>accepted</td><td>" +
                           std::to_string(Requests(text, "hits", "accepted")) + "</td>"),
            std::string::npos)
      << page.body;
}

TEST_F(ModuleMetricsTest, RedisDownIsCountedAsUnavailableAndAsAConnectError) {
  ONEP_SINGLE_REDIS_ONLY("it stops the server");
  ASSERT_EQ(PostJson(stack_.port(), "/onep/hits", hits_.token, "{}").status, 202);
  stack_.Disconnect();
  stack_.redis().server().Stop();
  EXPECT_EQ(PostJson(stack_.port(), "/onep/hits", hits_.token, "{}").status, 503);
  EXPECT_EQ(Get(stack_.port(), "/onep/health").status, 503);
  const std::string text = Scrape();
  EXPECT_EQ(Requests(text, "hits", "store_unavailable"), 1) << text;
  EXPECT_EQ(Requests(text, "health", "store_unavailable"), 1) << text;
  EXPECT_EQ(Sample(text, "onep_redis_errors_total", {"kind=\"connect\""}), 2) << text;
  EXPECT_GE(Sample(text, "onep_redis_connect_failures_total"), 2) << text;
  stack_.redis().server().Start();
}

// A Cluster none of whose nodes can be reached: the Redis layer says
// "cannot connect" as a value, so the error counts as kind "connect" although
// the message starts "cannot read the slot map of ...".
TEST(ModuleMetricsKindTest, AnUnreachableClusterIsCountedAsAConnectError) {
  ApacheOptions options = MetricsOptions();
  options.server_directives = {"OnepRedis redis-cluster://127.0.0.1:" + std::to_string(FreePort()) +
                                   ",127.0.0.1:" + std::to_string(FreePort()),
                               "OnepRedisTimeout 300ms"};
  ApacheServer apache(options);
  ASSERT_TRUE(apache.Start());
  auto tag = GenerateRoutingTag();
  ASSERT_TRUE(tag.ok());
  auto token = GenerateToken(*tag);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(PostJson(apache.port(), "/onep/hits", *token, "{}").status, 503);
  auto scraped = Get(apache.port(), "/metrics");
  ASSERT_EQ(scraped.status, 200) << scraped.error;
  EXPECT_EQ(Sample(scraped.body, "onep_redis_errors_total", {"kind=\"connect\""}), 1)
      << scraped.body;
  EXPECT_EQ(Sample(scraped.body, "onep_redis_errors_total", {"kind=\"connection\""}), 0)
      << scraped.body;
}

// With the default monitor (open after 1 failure, close after 1 hit), each
// failure after a hit opens an incident and each hit after a failure
// resolves it; a duplicate counts nothing.
TEST_F(ModuleMetricsTest, IncidentsOpenedAndResolvedAreCountedFromTheRecordedEvents) {
  const int port = stack_.port();
  const std::string text_before = Scrape();
  EXPECT_EQ(Sample(text_before, "onep_incidents_opened_total"), 0) << text_before;
  EXPECT_EQ(Sample(text_before, "onep_incidents_resolved_total"), 0) << text_before;
  // failure (opens), failure, its retry (duplicate), hit (resolves), hit,
  // failure (opens).
  ASSERT_EQ(PostJson(port, "/onep/failures", hits_.token, R"({"error":"boom"})").status, 202);
  ASSERT_EQ(PostJson(port, "/onep/failures", hits_.token, "{}", {{"Idempotency-Key", "f2"}}).status,
            202);
  ASSERT_EQ(PostJson(port, "/onep/failures", hits_.token, "{}", {{"Idempotency-Key", "f2"}}).status,
            202);
  ASSERT_EQ(PostJson(port, "/onep/hits", hits_.token, "{}").status, 202);
  ASSERT_EQ(PostJson(port, "/onep/hits", hits_.token, "{}").status, 202);
  ASSERT_EQ(PostJson(port, "/onep/failures", hits_.token, "{}").status, 202);
  const std::string text = Scrape();
  EXPECT_EQ(Sample(text, "onep_incidents_opened_total"), 2) << text;
  EXPECT_EQ(Sample(text, "onep_incidents_resolved_total"), 1) << text;
}

TEST_F(ModuleMetricsTest, TheMetricsHandlerAnswersOnlyGet) {
  HttpRequest post;
  post.method = "POST";
  post.path = "/metrics";
  EXPECT_EQ(Send(stack_.port(), post).status, 405);
  EXPECT_EQ(Sample(Scrape(), "onep_requests_total"), 0);
}

}  // namespace
}  // namespace onep::testing
