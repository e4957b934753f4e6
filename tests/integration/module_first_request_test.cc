// SPDX-License-Identifier: Apache-2.0
// No first request is special: a child's first request opens its Redis
// connection, which loads the record script in the round trip of its TIME,
// so the request itself is one EVALSHA; each command has a bound of its own.
// Against a Redis slow to answer every command (a relay that holds each
// chunk), the first request of every fresh child gets 202.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "support/apache_server.h"
#include "support/delay_proxy.h"
#include "support/http_client.h"

namespace onep::testing {
namespace {

using std::chrono::milliseconds;

constexpr int kTimeoutMs = 1000;
// Each way: a round trip takes 300 ms, 0.3 of the timeout. The four round
// trips a fresh connection used to need for its first event (TIME, EVALSHA,
// NOSCRIPT, EVAL: 1.2 s) do not fit in one timeout; one of them does.
constexpr milliseconds kDelay(150);

TEST(ModuleFirstRequestTest, TheFirstRequestOfAFreshChildAgainstASlowRedisGets202) {
  ONEP_SINGLE_REDIS_ONLY("it relays to one server");
  ApacheOptions options;
  options.start_servers = 2;
  options.server_limit = 2;
  options.threads_per_child = 2;
  options.server_directives = {"OnepRedisTimeout " + std::to_string(kTimeoutMs) + "ms"};
  OnepStack stack(options);  // the admin side talks to Redis directly
  DelayProxy slow(stack.redis().server().port(), kDelay);
  // Set after the stack's own OnepRedis line: the last one counts.
  stack.apache().options().server_directives.push_back(
      "OnepRedis redis://127.0.0.1:" + std::to_string(slow.port()) + "/0");
  auto cred = stack.Create("acme", "hits", "web");
  ASSERT_TRUE(stack.Start());
  ASSERT_TRUE(stack.conn().Command({"SCRIPT", "FLUSH"}).ok());
  auto calls = [&](const char* command) { return stack.redis().CommandCalls(command); };
  const long long evalsha = calls("evalsha"), eval = calls("eval"), load = calls("script|load");

  // Each request on a TCP connection of its own, spread over the children:
  // every one is accepted, the first of each child included.
  constexpr int kRequests = 6;
  for (int i = 0; i < kRequests; ++i) {
    const HttpResponse r =
        PostJson(stack.port(), stack.path("/hits"), cred.token, R"({"count":1})");
    EXPECT_EQ(r.status, 202) << "request " << i << ": " << r.body;
  }
  EXPECT_EQ(stack.Events("acme").size(), static_cast<std::size_t>(kRequests));
  // One EVALSHA per request and never an EVAL: each connection loaded the
  // script when it opened, before its first EVALSHA.
  EXPECT_EQ(calls("evalsha") - evalsha, kRequests);
  EXPECT_EQ(calls("eval") - eval, 0);
  EXPECT_GE(calls("script|load") - load, 1);
  EXPECT_LE(calls("script|load") - load, slow.connections());
}

}  // namespace
}  // namespace onep::testing
