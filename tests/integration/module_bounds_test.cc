// SPDX-License-Identifier: Apache-2.0
// What one holder of a valid token can make Redis hold, through the real
// module: events budgeted in bytes as stored, streams trimmed by count and
// age, /health that turns 503 when Redis refuses writes.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "onep/clock.h"
#include "onep/parse.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/redis_info.h"

namespace onep::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Clock = std::chrono::steady_clock;

// `n` control characters (U+0001) as a JSON string's contents: each is 6
// bytes in the body and 6 bytes as stored.
std::string Controls(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += "\\u0001";
  return out;
}

void ExpectStatus(const HttpResponse& r, int status, const std::string& code = "") {
  EXPECT_EQ(r.status, status) << r.body;
  if (!code.empty()) {
    EXPECT_EQ(r.ErrorCode(), code) << r.body;
  }
}

TEST(ModuleBoundsTest, FieldsAreBudgetedInTheBytesTheyTakeAsStored) {
  ApacheOptions options;
  options.extra_config =
      "<Location /tight>\n"
      "  SetHandler onep\n"
      "  Require all granted\n"
      "  OnepMaxFieldLength 100\n"
      "  OnepMaxEventSize 200\n"
      "</Location>\n";
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto hits = stack.Create("acme", "hits", "web");
  auto post = [&](const std::string& path, const std::string& body) {
    return PostJson(stack.port(), path, hits.token, body);
  };
  // 4096 plain bytes are fine; 683 control characters (4098 bytes as
  // stored) are not, though they arrive as far fewer characters.
  ExpectStatus(post("/onep/hits", R"({"message":")" + std::string(4096, 'x') + R"("})"), 202);
  auto r = post("/onep/hits", R"({"message":")" + Controls(683) + R"("})");
  ExpectStatus(r, 422, "invalid_event");
  EXPECT_NE(r.ErrorMessage().find("message"), std::string::npos) << r.body;
  EXPECT_NE(r.ErrorMessage().find("as stored"), std::string::npos) << r.body;
  ExpectStatus(post("/onep/hits", R"({"message":")" + Controls(682) + R"("})"), 202);
  // '"' takes 2 bytes as stored.
  ExpectStatus(
      post("/onep/hits", R"({"message":")" + std::string(2049 * 2, '\\').substr(0, 4098) + R"("})"),
      422, "invalid_event");
  // Two fields each within the limit, together over the event's budget:
  // refused naming the larger.
  r = post("/onep/failures", R"({"message":")" + std::string(3000, 'm') + R"(","error":")" +
                                 std::string(3500, 'e') + R"("})");
  ExpectStatus(r, 422, "invalid_event");
  EXPECT_NE(r.ErrorMessage().find("shorten error"), std::string::npos) << r.body;
  // A location's own budget.
  ExpectStatus(post("/tight/hits", R"({"message":")" + std::string(100, 'x') + R"("})"), 202);
  ExpectStatus(post("/tight/hits", R"({"message":")" + std::string(101, 'x') + R"("})"), 422,
               "invalid_event");
  EXPECT_EQ(stack.Events("acme").size(), 3u);
}

// The worst event the defaults allow, 1000 times, each with an
// Idempotency-Key of the longest kind: Redis grows by at most the bound
// docs/redis-layout.md states (8 KB an event), measured with used_memory.
TEST(ModuleBoundsTest, WorstCaseEventsCostAtMostTheDocumentedBytes) {
  ONEP_SINGLE_REDIS_ONLY("it reads one server's used_memory");
  OnepStack stack;
  ASSERT_TRUE(stack.Start());
  auto hits = stack.Create("acme", "hits", "web");
  // {"count":10000,"message":"...","error":"..."}: the largest failure
  // within OnepMaxEventSize 6k, every character a control character.
  const std::string body =
      R"({"count":10000,"message":")" + Controls(505) + R"(","error":")" + Controls(508) + R"("})";
  auto& conn = stack.conn();
  ASSERT_EQ(PostJson(stack.port(), "/onep/failures", hits.token, body,
                     {{"Idempotency-Key", std::string(199, 'k') + "0"}})
                .status,
            202);  // the first one creates the stream and the counters
  const long long before = SettledUsedMemory(conn);
  constexpr int kEvents = 1000;
  for (int i = 0; i < kEvents; ++i) {
    const std::string key = std::string(190, 'k') + std::to_string(1000000000 + i);
    auto r = PostJson(stack.port(), "/onep/failures", hits.token, body, {{"Idempotency-Key", key}});
    ASSERT_EQ(r.status, 202) << r.body;
  }
  const long long after = SettledUsedMemory(conn);
  const std::string events = "onep:{" + stack.Tag("acme") + "}:events";
  const long long stream = conn.Command({"MEMORY", "USAGE", events, "SAMPLES", "0"})->integer;
  const double per_event = static_cast<double>(after - before) / kEvents;
  std::printf(
      "[ bounds   ] worst-case failure event: %zu-byte body; Redis used_memory +%.0f bytes per "
      "event (stream %.0f per event), idempotency key included\n",
      body.size(), per_event, static_cast<double>(stream) / (kEvents + 1));
  EXPECT_LE(per_event, 8192.0);
  EXPECT_GT(per_event, 6144.0);  // the fields really are stored, escaped

  // And a typical hit, without an Idempotency-Key, for the sizing table.
  const long long typical_before = SettledUsedMemory(conn);
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_EQ(PostJson(stack.port(), "/onep/hits", hits.token,
                       R"({"count":1,"message":"nightly backup ok"})")
                  .status,
              202);
  }
  const double typical = static_cast<double>(SettledUsedMemory(conn) - typical_before) / kEvents;
  std::printf("[ bounds   ] typical hit: Redis used_memory +%.0f bytes per event\n", typical);
  EXPECT_LE(typical, 400.0);
}

TEST(ModuleBoundsTest, TheStreamIsTrimmedByCountAndByAge) {
  ApacheOptions options;
  options.server_directives = {"OnepMaxEvents 1000", "OnepRetention 1h"};
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto hits = stack.Create("acme", "hits", "web");
  ASSERT_EQ(PostJson(stack.port(), "/onep/hits", hits.token, "{}").status, 202);
  const std::string events = "onep:{" + stack.Tag("acme") + "}:events";
  // 300 entries from two hours ago, as if recorded then.
  const long long old_ms = NowMs() - 2 * 3600 * 1000;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(
        stack.redis()
            .Command(events, {"XADD", events, std::to_string(old_ms) + "-" + std::to_string(i + 1),
                              "type", "hit", "fields", "{}"})
            .ok());
  }
  ASSERT_TRUE(stack.redis().Command(events, {"XTRIM", events, "MAXLEN", "1000000"}).ok());
  for (int i = 0; i < 1500; ++i) {
    ASSERT_EQ(PostJson(stack.port(), "/onep/hits", hits.token, "{}").status, 202);
  }
  auto len = stack.redis().Command(events, {"XLEN", events});
  ASSERT_TRUE(len.ok());
  // Approximate trimming removes whole stream nodes (100 entries each).
  EXPECT_GE(len->integer, 1000);
  EXPECT_LE(len->integer, 1100);
  auto oldest = stack.redis().Command(events, {"XRANGE", events, "-", "+", "COUNT", "1"});
  ASSERT_TRUE(oldest.ok());
  ASSERT_FALSE(oldest->elements.empty());
  const std::string first_id = oldest->elements[0].elements[0].str;
  EXPECT_GT(std::atoll(first_id.c_str()), old_ms) << "entries older than the retention remain";
}

// What `onepctl doctor` says, Apache says at start, once per server, with
// the module's version.
TEST(ModuleBoundsTest, ApacheWarnsAtStartAboutARedisThatWouldLoseTokens) {
  ONEP_SINGLE_REDIS_ONLY("it configures its own server");
  OnepStack stack(ApacheOptions{}, {"maxmemory-policy allkeys-lru"});
  ASSERT_TRUE(stack.Start());
  const std::string log = stack.apache().ErrorLog();
  const std::string warning = "ONEP0008: mod_onep " ONEP_VERSION;
  EXPECT_NE(log.find(warning), std::string::npos) << log;
  EXPECT_NE(log.find("maxmemory-policy: allkeys-lru"), std::string::npos) << log;
  EXPECT_NE(log.find("persistence: neither AOF nor RDB"), std::string::npos) << log;
  // Once: not again for the second of Apache's configuration passes.
  std::size_t count = 0;
  for (std::size_t at = log.find("maxmemory-policy: allkeys-lru"); at != std::string::npos;
       at = log.find("maxmemory-policy: allkeys-lru", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 1u) << log;
}

TEST(ModuleBoundsTest, HealthTurns503WhenRedisIsOutOfMemory) {
  ONEP_SINGLE_REDIS_ONLY("it fills one server's maxmemory");
  OnepStack stack(ApacheOptions{}, {"maxmemory 4mb", "maxmemory-policy noeviction"});
  ASSERT_TRUE(stack.Start());
  auto hits = stack.Create("acme", "hits", "web");
  EXPECT_EQ(Get(stack.port(), "/onep/health").status, 200);
  // Fill Redis with events until it refuses them.
  const std::string body = R"({"message":")" + std::string(4000, 'x') + R"("})";
  int refused = 0;
  for (int i = 0; i < 5000 && refused == 0; ++i) {
    auto r = PostJson(stack.port(), "/onep/hits", hits.token, body);
    if (r.status == 503) {
      ++refused;
      EXPECT_EQ(r.ErrorCode(), "store_unavailable");

    } else {
      ASSERT_EQ(r.status, 202) << r.body;
    }
  }
  ASSERT_EQ(refused, 1) << "Redis never ran out of memory";
  // Right at the limit, connection buffers move used_memory a few KB either
  // way; a full Redis stays well above it: set the limit below what is used.
  const long long used = InfoNumber(stack.conn(), "memory", "used_memory");
  ASSERT_TRUE(
      stack.conn().Command({"CONFIG", "SET", "maxmemory", std::to_string(used - 200000)}).ok());
  // Within the second the verdict is cached, /health says so too: PING
  // alone would still answer PONG.
  const auto deadline = NowMs() + 5000;
  HttpResponse health;
  do {
    health = Get(stack.port(), "/onep/health");
  } while (health.status == 200 && NowMs() < deadline);
  ExpectStatus(health, 503, "store_unavailable");
  EXPECT_NE(health.body.find("refuses writes"), std::string::npos) << health.body;
  EXPECT_EQ(stack.conn().Command({"PING"})->str, "PONG");
  EXPECT_NE(stack.apache().ErrorLog().find("out of memory"), std::string::npos);
}

// A body sent a byte at a time would hold an Apache worker for as long as
// the client likes (Timeout is per read). With the mod_reqtimeout limits of
// conf/onep.conf, such clients are cut off, and /health keeps answering.
TEST(ModuleBoundsTest, ClientsTricklingTheirBodyAreCutOffAndHealthKeepsAnswering) {
  ApacheOptions options;
  options.extra_config =
      "LoadModule reqtimeout_module /usr/lib/apache2/modules/mod_reqtimeout.so\n"
      // conf/onep.conf's values, with a shorter first wait to keep the test short.
      "RequestReadTimeout handshake=5 header=10-20,MinRate=500 body=2,MinRate=500\n";
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto hits = stack.Create("acme", "hits", "web");
  constexpr int kTricklers = 5;  // fewer than the 8 workers: health must still get one
  std::vector<int> fds;
  const auto start = Clock::now();
  for (int i = 0; i < kTricklers; ++i) {
    std::string error;
    int fd = ConnectLoopback(stack.port(), &error);
    ASSERT_GE(fd, 0) << error;
    const std::string head =
        "POST /onep/hits HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + hits.token +
        "\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{";
    ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
    fds.push_back(fd);
  }
  // Trickle a byte every 200 ms (the whole body would take 400 s) and probe
  // /health meanwhile, until every trickler has been cut off.
  std::vector<bool> cut(kTricklers, false);
  std::vector<std::string> answers(kTricklers);
  int health_ok = 0, health_other = 0;
  const auto give_up = start + std::chrono::seconds(60);
  while (std::count(cut.begin(), cut.end(), true) < kTricklers && Clock::now() < give_up) {
    for (int i = 0; i < kTricklers; ++i) {
      if (cut[i]) continue;
      char buf[4096];
      ssize_t n = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) answers[i].append(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
          send(fds[i], " ", 1, MSG_NOSIGNAL) != 1) {
        cut[i] = true;
      }
    }
    (Get(stack.port(), "/onep/health").status == 200 ? health_ok : health_other)++;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const long long cut_after_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  for (int fd : fds) close(fd);
  EXPECT_EQ(std::count(cut.begin(), cut.end(), true), kTricklers)
      << "a trickling client was never cut off";
  for (const auto& answer : answers) {
    if (!answer.empty()) {
      EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
    }
  }
  EXPECT_GT(health_ok, 0);
  EXPECT_EQ(health_other, 0) << "/health stopped answering while clients trickled";
  EXPECT_TRUE(stack.Events("acme").empty());
  std::printf(
      "[ bounds   ] %d trickling clients cut off after %lld ms; /health answered 200 %d "
      "times meanwhile\n",
      kTricklers, cut_after_ms, health_ok);
}

}  // namespace
}  // namespace onep::testing
