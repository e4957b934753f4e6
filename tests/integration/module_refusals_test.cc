// SPDX-License-Identifier: Apache-2.0
// Refusals that cost nothing, through the real module (docs/design.md,
// "Cheap refusals"): a request refused before its body is answered at once
// and its connection closed, so a slow body holds no worker; the whole body
// read of an event is bounded by OnepBodyTimeout; forged tokens, a repeated
// unknown token and a credential over its rate limit are refused without a
// Redis call once a child has Redis' verdict, or once the client address
// has spent its budget of unknown tokens.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "onep/clock.h"
#include "onep/token.h"
#include "support/apache_server.h"
#include "support/http_client.h"

namespace onep::testing {
namespace {

using Clock = std::chrono::steady_clock;

long long MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Script calls Redis has run so far (commandstats).
long long ScriptCalls(OnepStack& stack) {
  return stack.redis().CommandCalls("evalsha") + stack.redis().CommandCalls("eval");
}

// A keep-alive connection that sends requests one after the other and reads
// each response whole (by its Content-Length); when Apache closes it (after
// MaxKeepAliveRequests, or a refusal that closes), the next request opens a
// new one.
class KeepAliveConnection {
 public:
  explicit KeepAliveConnection(int port) : port_(port) {
    std::string error;
    fd_ = ConnectLoopback(port, &error);
    EXPECT_GE(fd_, 0) << error;
  }
  ~KeepAliveConnection() {
    if (fd_ >= 0) close(fd_);
  }
  KeepAliveConnection(const KeepAliveConnection&) = delete;
  KeepAliveConnection& operator=(const KeepAliveConnection&) = delete;

  // A POST of `body` with `token`; the response, or status 0 when nothing
  // came within `timeout_ms`. A kept-alive connection that Apache closed
  // meanwhile (the event MPM may close idle ones) is replaced, and the
  // request sent again on the new one: these tests send nothing that
  // records twice.
  HttpResponse Post(const std::string& path, const std::string& token, const std::string& body,
                    int timeout_ms = 10000) {
    const bool reused = answered_ > 0 && !closing_;
    HttpResponse response = PostOnce(path, token, body, timeout_ms);
    if (response.status == 0 && reused) {
      closing_ = true;
      response = PostOnce(path, token, body, timeout_ms);
    }
    return response;
  }

  // New connections opened after Apache closed one.
  int reconnects() const { return reconnects_; }

 private:
  HttpResponse PostOnce(const std::string& path, const std::string& token, const std::string& body,
                        int timeout_ms) {
    const std::string request =
        "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
        "\r\nAuthorization: Bearer " + token +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    HttpResponse response;
    if (closing_) Reconnect();
    if (fd_ < 0 || send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
                       static_cast<ssize_t>(request.size())) {
      response.error = "cannot send";
      return response;
    }
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return response;
    }
    const std::string head = buffer_.substr(0, head_end);
    std::size_t length = 0;
    for (std::size_t at = head.find("\r\n"); at != std::string::npos;
         at = head.find("\r\n", at + 2)) {
      const std::size_t end = head.find("\r\n", at + 2);
      std::string line = head.substr(at + 2, end == std::string::npos ? end : end - at - 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      response.headers[name] = value;
      if (name == "content-length") length = std::strtoul(value.c_str(), nullptr, 10);
    }
    while (buffer_.size() < head_end + 4 + length) {
      if (!Fill(deadline)) return response;
    }
    response.status = std::atoi(head.c_str() + head.find(' ') + 1);
    response.body = buffer_.substr(head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    closing_ = response.Header("Connection") == "close";
    ++answered_;
    return response;
  }

  void Reconnect() {
    close(fd_);
    buffer_.clear();
    std::string error;
    fd_ = ConnectLoopback(port_, &error);
    EXPECT_GE(fd_, 0) << error;
    closing_ = false;
    answered_ = 0;
    ++reconnects_;
  }

  bool Fill(Clock::time_point deadline) {
    const long long left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[8192];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int port_;
  int fd_ = -1;
  std::string buffer_;
  bool closing_ = false;
  int answered_ = 0;  // on this connection
  int reconnects_ = 0;
};

// A token of the org with routing tag `tag` that no credential has: a
// well-formed one, with a valid checksum, as a forger would make.
std::string ForgedToken(const std::string& tag) {
  auto token = GenerateToken(tag);
  EXPECT_TRUE(token.ok());
  return token.ok() ? *token : std::string();
}

// Waits (at most 15 s) until the wall clock is at least `margin_s` seconds
// from the end of its minute, so that a short sequence stays in one minute
// of the address budget.
void WaitForRoomInTheMinute(int margin_s) {
  while ((NowMs() / 1000) % 60 > 60 - margin_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Twelve connections that declare a 100 MB body and trickle it, on requests
// the module refuses before reading a body, against ten workers: each gets
// its refusal at once with "Connection: close", and /health keeps answering
// at once.
TEST(ModuleRefusalsTest, TwelveSlowBodiesWithoutATokenLeaveHealthAnsweringWithinOneSecond) {
  ApacheOptions options;
  options.server_limit = 2;
  options.start_servers = 2;
  options.threads_per_child = 5;  // 10 workers in all
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto hits = stack.Create("acme", "hits", "web");
  const std::string tag = stack.Tag("acme");
  ASSERT_EQ(Get(stack.port(), "/onep/health").status, 200);

  struct Variant {
    const char* what;
    std::string head;
    int status;
  };
  auto head = [](const std::string& line, const std::string& headers) {
    return line + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
           "Content-Length: 100000000\r\n\r\n{";
  };
  const std::string json = "Content-Type: application/json\r\n";
  const std::vector<Variant> variants = {
      {"no token", head("POST /onep/hits", json), 401},
      {"malformed token", head("POST /onep/hits", "Authorization: Bearer onep_x\r\n" + json), 401},
      {"wrong Content-Type",
       head("POST /onep/hits",
            "Authorization: Bearer " + hits.token + "\r\nContent-Type: text/plain\r\n"),
       415},
      {"no such route", head("POST /onep/nothing", json), 404},
      {"wrong method", head("PUT /onep/hits", json), 405},
      {"too large", head("POST /onep/hits", "Authorization: Bearer " + hits.token + "\r\n" + json),
       413},
  };
  constexpr int kSlow = 12;
  std::vector<int> fds;
  std::vector<std::string> answers(kSlow);
  const auto start = Clock::now();
  for (int i = 0; i < kSlow; ++i) {
    std::string error;
    const int fd = ConnectLoopback(stack.port(), &error);
    ASSERT_GE(fd, 0) << error;
    const std::string& bytes = variants[i % variants.size()].head;
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
    fds.push_back(fd);
  }
  // For 4 s: a byte a second to each (a send may fail: closed), what has
  // arrived on each collected, and /health probed.
  std::vector<long long> answered_ms(kSlow, -1);
  long long slowest_health_ms = 0;
  int health_ok = 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // room for the answers
  for (int second = 0; second < 4; ++second) {
    for (int i = 0; i < kSlow; ++i) {
      send(fds[i], " ", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      char buf[4096];
      ssize_t n;
      while ((n = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT)) > 0) {
        answers[i].append(buf, static_cast<std::size_t>(n));
      }
      if (answered_ms[i] < 0 && answers[i].find("\r\n\r\n") != std::string::npos) {
        answered_ms[i] = MsSince(start);
      }
    }
    HttpRequest probe;
    probe.path = "/onep/health";
    const auto asked = Clock::now();
    const HttpResponse health = Send(stack.port(), probe, 3000);
    const long long took = MsSince(asked);
    slowest_health_ms = std::max(slowest_health_ms, took);
    EXPECT_EQ(health.status, 200) << health.error;
    EXPECT_LT(took, 1000) << "/health waited for a worker";
    if (health.status == 200) ++health_ok;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(0LL, 1000 - took)));
  }
  const long long slowest_answer_ms = *std::max_element(answered_ms.begin(), answered_ms.end());
  for (int fd : fds) close(fd);
  for (int i = 0; i < kSlow; ++i) {
    const Variant& variant = variants[i % variants.size()];
    EXPECT_EQ(answers[i].rfind("HTTP/1.1 " + std::to_string(variant.status), 0), 0u)
        << variant.what << ": " << answers[i];
    EXPECT_NE(answers[i].find("\r\nConnection: close\r\n"), std::string::npos)
        << variant.what << ": " << answers[i];
    // At the first look, before any byte of the body was sent.
    EXPECT_GE(answered_ms[i], 0) << variant.what;
    EXPECT_LT(answered_ms[i], 1000) << variant.what;
  }
  EXPECT_TRUE(stack.Events("acme").empty());
  std::printf(
      "[ refusals ] %d slow bodies refused by the first look (at %lld ms), each with Connection: "
      "close; /health "
      "answered 200 %d times meanwhile, the slowest in %lld ms\n",
      kSlow, slowest_answer_ms, health_ok, slowest_health_ms);
}

// A request refused before its body, but without one, keeps its connection.
TEST(ModuleRefusalsTest, ARefusalWithoutABodyKeepsTheConnection) {
  OnepStack stack;
  ASSERT_TRUE(stack.Start());
  const std::string raw =
      "GET /onep/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
      "GET /onep/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  const HttpResponse both = SendRaw(stack.port(), raw);
  // The first answer is the 404, the second (on the same connection) 200.
  EXPECT_EQ(both.status, 404) << both.error;
  EXPECT_NE(both.body.find("HTTP/1.1 200"), std::string::npos) << both.body;
}

// An event whose body trickles (or stops) is cut off OnepBodyTimeout after
// its read began, with and without mod_reqtimeout, well before Apache's
// Timeout (10 s per read) or mod_reqtimeout's body limit (30 s) would.
TEST(ModuleRefusalsTest, SlowBodyWithAValidTokenIsCutOffAfterOnepBodyTimeout) {
  for (const bool reqtimeout : {true, false}) {
    SCOPED_TRACE(reqtimeout ? "with mod_reqtimeout" : "without mod_reqtimeout");
    ApacheOptions options;
    options.location_directives = {"OnepBodyTimeout 2s"};
    if (reqtimeout) {
      options.extra_config =
          "LoadModule reqtimeout_module /usr/lib/apache2/modules/mod_reqtimeout.so\n"
          "RequestReadTimeout header=20 body=30\n";
    }
    OnepStack stack(options);
    ASSERT_TRUE(stack.Start());
    auto hits = stack.Create("acme", "hits", "web");
    const std::string head =
        "POST /onep/hits HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + hits.token +
        "\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{";
    std::string error;
    const int trickler = ConnectLoopback(stack.port(), &error);
    ASSERT_GE(trickler, 0) << error;
    const int silent = ConnectLoopback(stack.port(), &error);
    ASSERT_GE(silent, 0) << error;
    const auto start = Clock::now();
    ASSERT_EQ(send(trickler, head.data(), head.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(head.size()));
    ASSERT_EQ(send(silent, head.data(), head.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(head.size()));
    std::string trickled, stopped;
    long long trickled_ms = -1, stopped_ms = -1;
    while (MsSince(start) < 20000 && (trickled_ms < 0 || stopped_ms < 0)) {
      if (trickled_ms < 0) {
        trickled += ReadFor(trickler, 250, "\r\n\r\n");
        if (trickled.find("\r\n\r\n") != std::string::npos) {
          trickled_ms = MsSince(start);
        } else {
          send(trickler, " ", 1, MSG_NOSIGNAL);
        }
      }
      if (stopped_ms < 0) {
        stopped += ReadFor(silent, 250, "\r\n\r\n");
        if (stopped.find("\r\n\r\n") != std::string::npos) stopped_ms = MsSince(start);
      }
    }
    close(trickler);
    close(silent);
    for (const auto& [answer, ms] : {std::pair{trickled, trickled_ms}, {stopped, stopped_ms}}) {
      EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
      EXPECT_NE(answer.find("\r\nConnection: close\r\n"), std::string::npos) << answer;
      EXPECT_GE(ms, 1900);
      EXPECT_LT(ms, 8000) << "cut off by Apache's own limits, not OnepBodyTimeout";
    }
    EXPECT_TRUE(stack.Events("acme").empty());
    std::printf(
        "[ refusals ] %s: a trickled body got 408 after %lld ms, a stopped one after "
        "%lld ms (OnepBodyTimeout 2s)\n",
        reqtimeout ? "with mod_reqtimeout" : "without mod_reqtimeout", trickled_ms, stopped_ms);
  }
}

// Forged tokens (valid checksums, a real org's routing tag) from one
// address: after OnepInvalidTokenLimit unknown tokens in a minute, the
// address gets 429 without Redis.
TEST(ModuleRefusalsTest, TenThousandForgedTokensFromOneAddressCostAtMostNRedisCalls) {
  constexpr int kLimit = 60;  // the default of OnepInvalidTokenLimit
  constexpr int kConnections = 4;
  constexpr int kRequests = 10000;
  OnepStack stack;
  ASSERT_TRUE(stack.Start());
  stack.Create("acme", "hits", "web");
  const std::string tag = stack.Tag("acme");
  std::vector<std::string> tokens;
  for (int i = 0; i < kRequests; ++i) tokens.push_back(ForgedToken(tag));

  const long long calls_before = ScriptCalls(stack);
  const int64_t first_minute = NowMs() / 60000;
  std::atomic<int> next{0};
  std::vector<std::map<int, int>> statuses(kConnections);
  std::vector<std::string> lasts(kConnections);
  // 401s a connection got after a 429: none within one minute, as the count
  // of an address only grows in its minute.
  std::vector<int> unauthorized_after_limit(kConnections, 0);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c] {
      KeepAliveConnection connection(stack.port());
      for (int i = next++; i < kRequests; i = next++) {
        HttpResponse r = connection.Post("/onep/hits", tokens[i], "{\"app\":\"web\"}");
        const std::string code = std::to_string(r.status) + " " + r.ErrorCode();
        if (r.status == 401 && statuses[c][429] > 0) ++unauthorized_after_limit[c];
        lasts[c] = code;
        statuses[c][r.status]++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const long long took_ms = MsSince(start);
  const int64_t minutes = NowMs() / 60000 - first_minute + 1;
  const long long calls = ScriptCalls(stack) - calls_before;

  std::map<int, int> total;
  for (const auto& per : statuses) {
    for (const auto& [status, n] : per) total[status] += n;
  }
  // Per minute of the address' window: the budget, plus the requests
  // already on their way to Redis when it was spent (one per connection).
  const long long bound = minutes * (kLimit + kConnections);
  EXPECT_LE(calls, bound);
  EXPECT_EQ(total[401] + total[429], kRequests);
  EXPECT_LE(total[401], bound);
  EXPECT_GE(total[429], kRequests - bound);
  for (int c = 0; c < kConnections; ++c) {
    EXPECT_EQ(lasts[c], "429 rate_limited");
    if (minutes == 1) {
      EXPECT_EQ(unauthorized_after_limit[c], 0);
    }
  }
  EXPECT_TRUE(stack.Events("acme").empty());
  std::printf(
      "[ refusals ] %d forged tokens from one address over %d connections in %lld ms: %lld "
      "Redis script calls (%.4f per request; bound %lld), %d x 401, %d x 429\n",
      kRequests, kConnections, took_ms, calls, static_cast<double>(calls) / kRequests, bound,
      total[401], total[429]);
}

// The same unknown token again and again: Redis is asked once, each answer
// is 401.
TEST(ModuleRefusalsTest, RepeatedUnknownTokenIsAnsweredFromTheCache) {
  ApacheOptions options;
  options.start_servers = 1;  // one child, whatever the connection
  options.server_limit = 1;
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  stack.Create("acme", "hits", "web");
  const std::string forged = ForgedToken(stack.Tag("acme"));
  const long long calls_before = ScriptCalls(stack);
  KeepAliveConnection connection(stack.port());
  int unauthorized = 0;
  for (int i = 0; i < 100; ++i) {
    HttpResponse r = connection.Post("/onep/hits", forged, "{\"app\":\"web\"}");
    if (r.status == 401 && r.ErrorCode() == "invalid_token" &&
        r.Header("WWW-Authenticate") == "Bearer error=\"invalid_token\"") {
      ++unauthorized;
    }
  }
  EXPECT_EQ(unauthorized, 100);
  EXPECT_EQ(ScriptCalls(stack) - calls_before, 1);
}

// OnepRateLimit 1, one sender as fast as it can: once Redis has said
// "rate limited" in a second, the child refuses the rest of that second
// without a script call. Whatever the second boundaries: per second spanned,
// one call accepted and one refused at most, plus one refusal that ended in
// the next second (not remembered).
TEST(ModuleRefusalsTest, RateLimitedCredentialIsRefusedWithoutAScriptCallInTheSameSecond) {
  ApacheOptions options;
  options.start_servers = 1;  // one child: one memory of the refusal
  options.server_limit = 1;
  options.location_directives = {"OnepRateLimit 1"};
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto hits = stack.Create("acme", "hits", "web");
  KeepAliveConnection connection(stack.port());
  // A first call outside the measure: the child's layout check and script load.
  ASSERT_EQ(connection.Post("/onep/hits", hits.token, "{\"app\":\"web\"}").status, 202);
  const long long calls_before = ScriptCalls(stack);
  const int64_t first_second = NowMs() / 1000;
  std::map<int, int> statuses;
  int requests = 0, retry_after_one = 0;
  // For 2.5 s: at least two second boundaries crossed.
  for (const auto start = Clock::now(); MsSince(start) < 2500; ++requests) {
    HttpResponse r = connection.Post("/onep/hits", hits.token, "{\"app\":\"web\"}");
    statuses[r.status]++;
    if (r.status == 429 && r.ErrorCode() == "rate_limited" && r.Header("Retry-After") == "1") {
      ++retry_after_one;
    }
  }
  const int64_t seconds = NowMs() / 1000 - first_second + 1;
  const long long calls = ScriptCalls(stack) - calls_before;
  EXPECT_EQ(statuses[202] + statuses[429], requests);
  // The first request of each new second is accepted, no other.
  EXPECT_GE(statuses[202], seconds - 1);
  EXPECT_LE(statuses[202], seconds);
  EXPECT_EQ(retry_after_one, statuses[429]);
  EXPECT_LE(calls, 2 * seconds + 1);
  std::printf(
      "[ refusals ] %d requests at OnepRateLimit 1 over %lld s: %d x 202, %d x 429, "
      "%lld script calls\n",
      requests, static_cast<long long>(seconds), statuses[202], statuses[429], calls);
}

// An address over its budget of unknown tokens: a token this child has seen
// Redis know in the last minute still goes to Redis (202); one it has not
// seen gets 429 until the minute ends.
TEST(ModuleRefusalsTest, ALegitimateTokenFromAnAddressOverItsBudgetStillGets202) {
  ApacheOptions options;
  options.start_servers = 1;  // one child: the one that saw the token
  options.server_limit = 1;
  options.server_directives = {"OnepInvalidTokenLimit 5"};
  options.extra_config =
      "<Location /onep-metrics>\n  SetHandler onep-metrics\n  Require all granted\n"
      "</Location>\n";
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto used = stack.Create("acme", "hits", "web");
  auto unused = stack.Create("acme", "hits", "web");
  const std::string tag = stack.Tag("acme");
  WaitForRoomInTheMinute(15);
  ASSERT_EQ(PostJson(stack.port(), "/onep/hits", used.token, "{\"app\":\"web\"}").status, 202);
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = PostJson(stack.port(), "/onep/hits", ForgedToken(tag), "{\"app\":\"web\"}");
    EXPECT_EQ(r.status, 401) << r.body;
  }
  const long long calls_before = ScriptCalls(stack);
  HttpResponse over = PostJson(stack.port(), "/onep/hits", ForgedToken(tag), "{\"app\":\"web\"}");
  EXPECT_EQ(over.status, 429) << over.body;
  EXPECT_EQ(over.ErrorCode(), "rate_limited");
  EXPECT_NE(over.ErrorMessage().find("unknown tokens came from this address"), std::string::npos)
      << over.body;
  const int retry_after = std::atoi(over.Header("Retry-After").c_str());
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  HttpResponse unseen = PostJson(stack.port(), "/onep/hits", unused.token, "{\"app\":\"web\"}");
  EXPECT_EQ(unseen.status, 429) << unseen.body;
  EXPECT_EQ(ScriptCalls(stack) - calls_before, 0);
  HttpResponse seen = PostJson(stack.port(), "/onep/hits", used.token, "{\"app\":\"web\"}");
  EXPECT_EQ(seen.status, 202) << seen.body;
  EXPECT_EQ(ScriptCalls(stack) - calls_before, 1);
  EXPECT_EQ(stack.Events("acme").size(), 2u);
  // Both 429s, counted as refused without Redis for the address.
  const std::string metrics = Get(stack.port(), "/onep-metrics").body;
  EXPECT_NE(metrics.find(",reason=\"address_budget\"} 2\n"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace onep::testing
