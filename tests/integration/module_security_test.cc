// SPDX-License-Identifier: Apache-2.0
// Security properties of mod_onep and onepctl, end to end: organizations are
// isolated whatever a token of another one tries; no token, token part or
// token hash reaches the error log (even at trace8) or the access log; the
// Redis password never reaches Apache's error log, even when Redis refuses
// it or is gone; the rate limit holds across every Apache child; onepctl
// shows a token only when it issues one, and takes the Redis password from
// the environment so that it is not in the process list.
#include <gtest/gtest.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "onep/clock.h"
#include "onep/event.h"
#include "onep/event_store.h"
#include "onep/json.h"
#include "onep/parse.h"
#include "onep/token.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace onep::testing {
namespace {

using std::chrono::milliseconds;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Every key matching `pattern` with its type and value: a picture of part of
// the store to compare before and after.
std::map<std::string, std::string> SnapshotOf(RedisConnection& conn, const std::string& pattern) {
  std::map<std::string, std::string> out;
  std::string cursor = "0";
  do {
    auto page = conn.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!page.ok() || page->elements.size() != 2) {
      ADD_FAILURE() << "SCAN failed";
      break;
    }
    cursor = page->elements[0].str;
    for (const auto& key : page->elements[1].elements) {
      auto type = conn.Command({"TYPE", key.str});
      std::vector<std::string> read;
      if (type->str == "string") read = {"GET", key.str};
      if (type->str == "hash") read = {"HGETALL", key.str};
      if (type->str == "set") read = {"SMEMBERS", key.str};
      if (type->str == "zset") read = {"ZRANGE", key.str, "0", "-1", "WITHSCORES"};
      if (type->str == "stream") read = {"XRANGE", key.str, "-", "+"};
      std::ostringstream value;
      value << type->str << ":";
      if (read.empty()) {
        out[key.str] = value.str();
        continue;
      }
      auto reply = conn.Command(read);
      if (reply.ok()) {
        // Flatten, depth first.
        std::vector<const Reply*> todo = {&*reply};
        while (!todo.empty()) {
          const Reply* r = todo.back();
          todo.pop_back();
          if (r->type == Reply::Type::kArray) {
            for (auto it = r->elements.rbegin(); it != r->elements.rend(); ++it)
              todo.push_back(&*it);
          } else {
            value << (r->type == Reply::Type::kInteger ? std::to_string(r->integer) : r->str)
                  << "|";
          }
        }
      }
      out[key.str] = value.str();
    }
  } while (cursor != "0");
  return out;
}

// The same over every server (every master of a cluster).
std::map<std::string, std::string> Snapshot(TestRedis& redis, const std::string& pattern) {
  std::map<std::string, std::string> out;
  for (auto& conn : redis.MasterConnections()) out.merge(SnapshotOf(*conn, pattern));
  return out;
}

// What must never be written down: a token, its random part (a mistyped or
// truncated token still carries it) and its SHA-256.
std::vector<std::string> SecretsOf(const std::string& token) {
  return {token,
          token.substr(token.size() - kTokenChecksumChars - kTokenRandomChars, kTokenRandomChars),
          TokenHash(token)};
}

void ExpectNoSecret(const std::string& where, const std::string& text,
                    const std::vector<std::string>& tokens) {
  for (const auto& token : tokens) {
    for (const auto& secret : SecretsOf(token)) {
      EXPECT_EQ(text.find(secret), std::string::npos)
          << where << " contains " << secret.substr(0, 12) << "...";
    }
  }
}

HttpResponse Post(int port, const std::string& path, const std::string& token,
                  const std::string& body, Headers extra = {}) {
  return PostJson(port, path, token, body, std::move(extra));
}

// --- organizations are isolated ------------------------------------------------------

TEST(ModuleSecurityTest, ATokenOfOneOrgCanNeverRecordIntoReadOrAffectAnother) {
  ApacheOptions options;
  options.extra_config =
      "<Location /limited>\n  SetHandler onep\n  Require all granted\n  OnepRateLimit 3\n"
      "</Location>\n";
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  const int port = stack.port();

  // Org B, with apps, an Idempotency-Key and a deploy_id in use.
  auto b_hits = stack.Create("org-b", "hits");
  auto b_web = stack.Create("org-b", "hits", "web");
  auto b_deploy = stack.Create("org-b", "deploy", "shop");
  std::set<std::string> b_ids = {b_hits.credential.id, b_web.credential.id, b_deploy.credential.id};
  for (const auto& [token, path, body, headers] :
       std::vector<std::tuple<std::string, std::string, std::string, Headers>>{
           {b_hits.token, "/onep/hits", R"({"app":"b-only"})", {{"Idempotency-Key", "shared"}}},
           {b_web.token, "/onep/failures", R"({"error":"x"})", {}},
           {b_deploy.token, "/onep/deploys", R"({"version":"1","deploy_id":"release-1"})", {}},
           {b_hits.token, "/limited/hits", R"({"app":"web"})", {}}}) {
    auto r = Post(port, path, token, body, headers);
    ASSERT_EQ(r.status, 202) << r.body;
    b_ids.insert(r.JsonString("id"));
  }

  // Org A.
  auto a_hits = stack.Create("org-a", "hits");
  auto a_web = stack.Create("org-a", "hits", "web");
  auto a_deploy = stack.Create("org-a", "deploy", "shop");
  const std::set<std::string> a_creds = {a_hits.credential.id, a_web.credential.id,
                                         a_deploy.credential.id};

  const std::string b_keys = "onep:{" + stack.Tag("org-b") + "}:*";
  auto b_before = Snapshot(stack.redis(), b_keys);
  ASSERT_FALSE(b_before.empty());
  // The only global key: the org directory (org slug -> routing tag).
  const auto global_before = Snapshot(stack.redis(), "onep:orgtags");

  struct Attempt {
    std::string what, token, method, path, body;
    Headers headers;
    int status;
  };
  const std::vector<Attempt> attempts = {
      {"B's app name", a_hits.token, "POST", "/onep/hits", R"({"app":"web"})", {}, 202},
      {"B's own app", a_hits.token, "POST", "/onep/hits", R"({"app":"b-only"})", {}, 202},
      {"B's Idempotency-Key",
       a_hits.token,
       "POST",
       "/onep/hits",
       R"({"app":"b-only"})",
       {{"Idempotency-Key", "shared"}},
       202},
      {"B's deploy_id",
       a_deploy.token,
       "POST",
       "/onep/deploys",
       R"({"version":"1","deploy_id":"release-1"})",
       {},
       202},
      {"B's deploy app",
       a_deploy.token,
       "POST",
       "/onep/deploys",
       R"({"version":"2","app":"shop"})",
       {},
       202},
      {"bound token, B's app", a_web.token, "POST", "/onep/failures", R"({"app":"web"})", {}, 202},
      {"an org field",
       a_hits.token,
       "POST",
       "/onep/hits",
       R"({"app":"web","org":"org-b"})",
       {},
       422},
      {"org headers",
       a_hits.token,
       "POST",
       "/onep/hits",
       R"({"app":"web"})",
       {{"X-Org", "org-b"}, {"X-Onep-Org", "org-b"}, {"Forwarded", "host=org-b"}},
       202},
      {"org in the query",
       a_hits.token,
       "POST",
       "/onep/hits?org=org-b",
       R"({"app":"web"})",
       {},
       202},
      {"org in the path", a_hits.token, "POST", "/onep/org-b/hits", R"({"app":"web"})", {}, 404},
      {"B's credential id as the token",
       b_hits.credential.id,
       "POST",
       "/onep/hits",
       R"({"app":"web"})",
       {},
       401},
      {"A's token on a route of B's type",
       a_hits.token,
       "POST",
       "/onep/deploys",
       R"({"version":"1","app":"shop"})",
       {},
       403},
      {"A's health", "", "GET", "/onep/health", "", {}, 200},
  };
  std::set<std::string> a_event_ids;
  for (const auto& a : attempts) {
    SCOPED_TRACE(a.what);
    HttpRequest request;
    request.method = a.method;
    request.path = a.path;
    request.headers = a.headers;
    if (!a.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + a.token);
    if (a.method == "POST") request.headers.emplace_back("Content-Type", "application/json");
    request.body = a.body;
    auto r = Send(port, request);
    EXPECT_EQ(r.status, a.status) << r.body;
    // Nothing of B comes back: no credential id, no event id (a duplicate
    // would have answered B's first event id).
    for (const auto& b_id : b_ids) EXPECT_EQ(r.body.find(b_id), std::string::npos) << r.body;
    if (r.status == 202) {
      EXPECT_EQ(a_creds.count(r.JsonString("credential")), 1u) << r.body;
      EXPECT_TRUE(a_event_ids.insert(r.JsonString("id")).second) << "reused id: " << r.body;
    }
  }
  // A exhausts its rate limit; B's requests there are not counted against A,
  // and A's against B would show in B's snapshot below.
  for (int i = 0; i < 6; ++i) {
    auto r = Post(port, "/limited/hits", a_hits.token, R"({"app":"web"})");
    if (r.status == 202) a_event_ids.insert(r.JsonString("id"));
  }

  // B is exactly as it was.
  EXPECT_EQ(Snapshot(stack.redis(), b_keys), b_before);
  EXPECT_EQ(Snapshot(stack.redis(), "onep:orgtags"), global_before);
  // Every event A caused is in A, by A's credentials; so is every incident
  // its failures opened or its hits resolved (the entry after the event).
  auto a_events = stack.Events("org-a");
  std::size_t a_recorded = 0;
  for (const auto& e : a_events) {
    if (IsFlipType(e.type)) {
      EXPECT_EQ(a_creds.count(e.credential), 1u) << e.credential;
      continue;
    }
    ++a_recorded;
    EXPECT_EQ(a_event_ids.count(e.id), 1u) << e.id;
    EXPECT_EQ(a_creds.count(e.credential), 1u) << e.credential;
  }
  EXPECT_EQ(a_recorded, a_event_ids.size());
  // And B is still served, its rate limit untouched by A's.
  EXPECT_EQ(Post(port, "/limited/hits", b_hits.token, R"({"app":"web"})").status, 202);
  std::size_t b_recorded = 0;
  for (const auto& e : stack.Events("org-b")) b_recorded += IsFlipType(e.type) ? 0 : 1;
  EXPECT_EQ(b_recorded, 5u);
}

// --- no secret in any log ---------------------------------------------------------------

// The access log formats to check: conf/onep.conf ships no LogFormat, so
// Apache's common and combined formats, and the one docs/operations.md
// suggests (with %u, the credential id).
std::string AccessLogs(const std::string& dir) {
  return "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common\n"
         "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b \\\"%{Referer}i\\\" \\\"%{User-agent}i\\\"\" "
         "combined\n"
         "LogFormat \"%h %t \\\"%r\\\" %>s %u org=%{onep-org}n %D\" onep\n"
         "CustomLog \"" +
         dir + "/access_common.log\" common\nCustomLog \"" + dir +
         "/access_combined.log\" combined\nCustomLog \"" + dir + "/access_onep.log\" onep\n";
}

TEST(ModuleSecurityTest, NoTokenNorItsRandomPartNorItsHashInAnyLogAtTrace8) {
  ASSERT_EQ(ReadFile(std::string(ONEP_SOURCE_DIR) + "/conf/onep.conf").find("LogFormat"),
            std::string::npos)
      << "conf/onep.conf now ships a LogFormat: test that one here";
  const std::string logs = MakeTempDir("logs");
  chmod(logs.c_str(), 0777);
  ApacheOptions options;
  options.log_level = "trace8";
  options.extra_config = AccessLogs(logs);
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  const int port = stack.port();

  std::vector<std::string> tokens;  // every token ever issued
  auto hits = stack.Create("acme", "hits");
  auto deploy = stack.Create("acme", "deploy", "shop");
  tokens.push_back(hits.token);
  tokens.push_back(deploy.token);
  auto send_all = [&](const std::string& token) {
    Post(port, "/onep/hits", token, R"({"app":"web","message":"m"})");
    Post(port, "/onep/failures", token, R"({"app":"web","error":"e"})",
         {{"Idempotency-Key", "k1"}});
    Post(port, "/onep/deploys", token, R"({"version":"1"})");
    Post(port, "/onep/hits", token, R"({"app":"web","count":0})");
    std::string mistyped = token;
    mistyped.back() = mistyped.back() == 'A' ? 'B' : 'A';
    Post(port, "/onep/hits", mistyped, R"({"app":"web"})");
    Post(port, "/onep/hits", token.substr(0, token.size() - 1), R"({"app":"web"})");
    Post(port, "/onep/hits", token + "x", R"({"app":"web"})");
    HttpRequest lower;
    lower.method = "POST";
    lower.path = "/onep/hits";
    lower.headers = {{"authorization", "bearer " + token}, {"Content-Type", "text/plain"}};
    lower.body = "{}";
    Send(port, lower);
  };
  send_all(hits.token);
  send_all(deploy.token);
  // Rotation with a grace period, a second rotation, a rename, a deletion:
  // each old and new token is used before and after.
  auto rotated = stack.service().Rotate(hits.credential.id, 60000);
  ASSERT_TRUE(rotated.ok());
  tokens.push_back(rotated->token);
  send_all(hits.token);
  send_all(rotated->token);
  auto again = stack.service().Rotate(hits.credential.id, 0);
  ASSERT_TRUE(again.ok());
  tokens.push_back(again->token);
  send_all(rotated->token);
  send_all(again->token);
  auto renamed = stack.service().Rename(deploy.credential.id, "renamed", 0);
  ASSERT_TRUE(renamed.ok());
  tokens.push_back(renamed->token);
  send_all(deploy.token);
  send_all(renamed->token);
  ASSERT_TRUE(stack.service().Delete(hits.credential.id).ok());
  send_all(again->token);
  auto unknown = GenerateToken(GenerateRoutingTag().value());
  ASSERT_TRUE(unknown.ok());
  tokens.push_back(*unknown);
  send_all(*unknown);
  EXPECT_GE(stack.Events("acme").size(), 6u);
  stack.apache().Stop();  // flushes the logs

  const std::string error_log = stack.apache().ErrorLog();
  EXPECT_NE(error_log.find(":trace8]"), std::string::npos) << "trace8 was not on";
  EXPECT_NE(error_log.find("ONEP0101"), std::string::npos);
  ExpectNoSecret("error log", error_log, tokens);
  for (const char* name : {"access_common.log", "access_combined.log", "access_onep.log"}) {
    const std::string log = ReadFile(logs + "/" + name);
    EXPECT_GE(std::count(log.begin(), log.end(), '\n'), 60) << name;
    ExpectNoSecret(name, log, tokens);
  }
  // %u shows the credential id, which is public.
  EXPECT_NE(ReadFile(logs + "/access_onep.log").find(hits.credential.id), std::string::npos);
  // Nor does Redis hold a plaintext token (hashes are its index).
  const std::string dump = stack.redis().DumpAll();
  for (const auto& token : tokens) {
    EXPECT_EQ(dump.find(token), std::string::npos);
    EXPECT_EQ(dump.find(token.substr(kTokenPrefix.size() + kRoutingTagChars, kTokenRandomChars)),
              std::string::npos);
  }
  RemoveTree(logs);
}

// --- the Redis password -----------------------------------------------------------------

TEST(ModuleSecurityTest, RedisPasswordNeverReachesTheErrorLogEvenWhenRefusedOrUnreachable) {
  ONEP_SINGLE_REDIS_ONLY("it changes the server's password and stops it");
  const std::string password = "pw-Zq8vT3xL0o";
  const std::string logs = MakeTempDir("logs");
  chmod(logs.c_str(), 0777);
  ApacheOptions options;
  options.log_level = "trace8";
  options.extra_config = AccessLogs(logs);
  options.server_directives = {"OnepRedisTimeout 300ms"};
  OnepStack stack(options, {}, "onep:", password);
  ASSERT_TRUE(stack.Start());
  const int port = stack.port();
  auto cred = stack.Create("acme", "hits");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Post(port, "/onep/hits", cred.token, R"({"app":"web"})").status, 202);
  }
  EXPECT_EQ(Get(port, "/onep/health").status, 200);

  // Redis now refuses the password: change it and drop Apache's connections
  // (SKIPME keeps this admin connection).
  const std::string other = "pw-Other-9f2Kd";
  ASSERT_TRUE(stack.conn().Command({"CONFIG", "SET", "requirepass", other}).ok());
  auto killed = stack.conn().Command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  ASSERT_TRUE(killed.ok() && killed->integer >= 1) << (killed.ok() ? killed->str : "");
  for (int i = 0; i < 4; ++i) {
    auto r = Post(port, "/onep/hits", cred.token, R"({"app":"web"})");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.ErrorCode(), "store_unavailable");
    EXPECT_EQ(Get(port, "/onep/health").status, 503);
  }
  // And now Redis is gone altogether.
  stack.Disconnect();
  stack.redis().server().Stop();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Post(port, "/onep/hits", cred.token, R"({"app":"web"})").status, 503);
    EXPECT_EQ(Get(port, "/onep/health").status, 503);
  }
  stack.apache().Stop();

  const std::string error_log = stack.apache().ErrorLog();
  EXPECT_NE(error_log.find("WRONGPASS"), std::string::npos) << "the refusal is logged";
  EXPECT_NE(error_log.find("ONEP0102"), std::string::npos);
  EXPECT_NE(error_log.find("redis://:***@127.0.0.1"), std::string::npos);
  for (const auto& secret : {password, other}) {
    EXPECT_EQ(error_log.find(secret), std::string::npos) << "error log has a password";
    for (const char* name : {"access_common.log", "access_combined.log", "access_onep.log"}) {
      EXPECT_EQ(ReadFile(logs + "/" + name).find(secret), std::string::npos) << name;
    }
  }
  ExpectNoSecret("error log", error_log, {cred.token});

  // A bad OnepRedis value is reported by name, without its password.
  ApacheOptions bad;
  bad.server_directives = {"OnepRedis redis://:" + password + "@127.0.0.1:notaport/0"};
  RunResult check = ApacheConfigTest(bad);
  EXPECT_NE(check.exit_code, 0);
  EXPECT_NE((check.out + check.err).find("OnepRedis"), std::string::npos) << check.out << check.err;
  EXPECT_EQ((check.out + check.err).find(password), std::string::npos) << check.out << check.err;
  RemoveTree(logs);
}

// --- the rate limit holds across every Apache child ---------------------------------------

TEST(ModuleSecurityTest, RateLimitIsEnforcedAcrossAllChildren) {
  constexpr int kLimit = 20;
  ApacheOptions options;
  options.start_servers = 3;
  options.server_limit = 3;
  options.threads_per_child = 4;
  options.location_directives = {"OnepRateLimit " + std::to_string(kLimit)};
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto cred = stack.Create("acme", "hits");
  auto other = stack.Create("acme", "hits");

  // 6 clients for about 2.2 seconds: far more than kLimit per second.
  constexpr int kThreads = 6;
  std::vector<std::vector<HttpResponse>> responses(kThreads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 800 && !stop; ++i) {
        responses[t].push_back(Post(stack.port(), "/onep/hits", cred.token, R"({"app":"web"})"));
        std::this_thread::sleep_for(milliseconds(4));
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(2200));
  stop = true;
  for (auto& w : workers) w.join();

  int accepted = 0, limited = 0;
  for (const auto& per_thread : responses) {
    for (const auto& r : per_thread) {
      if (r.status == 202) {
        ++accepted;
        continue;
      }
      ++limited;
      EXPECT_EQ(r.status, 429) << r.body << r.error;
      EXPECT_EQ(r.ErrorCode(), "rate_limited");
      EXPECT_GE(std::atoi(r.Header("Retry-After").c_str()), 1) << r.Header("Retry-After");
    }
  }
  std::printf("[ ratelimit] %d accepted, %d refused with 429 (limit %d/s)\n", accepted, limited,
              kLimit);
  EXPECT_GT(limited, accepted);
  // Per second of Redis' clock (the clock the limit uses; an event without a
  // timestamp carries it as its time): never more than the limit, and the
  // limit is reached in a second the load covered in full.
  auto events = stack.Events("acme", 100000);
  EXPECT_EQ(static_cast<int>(events.size()), accepted);
  std::map<int64_t, int> per_second;
  for (const auto& e : events) per_second[e.time_ms / 1000]++;
  int full_seconds = 0;
  for (const auto& [second, n] : per_second) {
    EXPECT_LE(n, kLimit) << "second " << second;
    if (n == kLimit) ++full_seconds;
  }
  EXPECT_GE(full_seconds, 1);
  // Accepted by several children, so the count is shared, not per process.
  EXPECT_GE(stack.apache().PidsInLog("ONEP0101").size(), 2u);
  EXPECT_GE(stack.apache().PidsInLog("429 rate_limited").size(), 2u);
  // Another credential has its own budget.
  EXPECT_EQ(Post(stack.port(), "/onep/hits", other.token, R"({"app":"web"})").status, 202);
}

// --- onepctl -----------------------------------------------------------------------------

TEST(ModuleSecurityTest, OnepctlShowsATokenOnlyWhenItIssuesOneAndTakesThePasswordFromTheEnv) {
  ONEP_SINGLE_REDIS_ONLY("it runs a Redis with a password");
  const std::string password = "pw-Cli-7Hq2Lm";
  RedisServer redis({}, password);
  const std::map<std::string, std::string> env = {{"ONEP_REDIS_URL", redis.url()},
                                                  {"ONEP_KEY_PREFIX", "onep:"},
                                                  {"ONEP_URL", "https://example.test/onep"}};
  // No --redis on any command line below: the URL, password included, comes
  // from the environment.
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), ONEPCTL_PATH);
    return ::onep::testing::Run(args, env);
  };
  auto token_of = [](const RunResult& r) {
    JsonPtr out(json_loads(r.out.c_str(), 0, nullptr));
    const char* token = json_string_value(json_object_get(out.get(), "token"));
    return std::string(token != nullptr ? token : "");
  };
  auto id_of = [](const RunResult& r) {
    JsonPtr out(json_loads(r.out.c_str(), 0, nullptr));
    const char* id = json_string_value(json_object_get(out.get(), "id"));
    return std::string(id != nullptr ? id : "");
  };

  std::vector<std::string> tokens;
  RunResult create = ctl({"create", "--org", "acme", "--type", "hits", "--name", "web", "--json"});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  const std::string id = id_of(create);
  tokens.push_back(token_of(create));
  RunResult create_text =
      ctl({"create", "--org", "acme", "--type", "deploy", "--name", "ci", "--app", "shop"});
  ASSERT_EQ(create_text.exit_code, 0) << create_text.err;
  RunResult deploy_json = ctl({"list", "--org", "acme", "--type", "deploy", "--json"});
  JsonPtr deploys(json_loads(deploy_json.out.c_str(), 0, nullptr));
  ASSERT_EQ(json_array_size(deploys.get()), 1u) << deploy_json.out;
  const std::string deploy_id =
      json_string_value(json_object_get(json_array_get(deploys.get(), 0), "id"));
  // The text output of create shows its token (and only there).
  std::string deploy_token;
  for (std::size_t at = create_text.out.find("onep_"); at != std::string::npos;
       at = create_text.out.find("onep_", at + 1)) {
    std::string candidate = create_text.out.substr(at, kTokenLength);
    if (CheckTokenFormat(candidate).ok()) deploy_token = candidate;
  }
  ASSERT_FALSE(deploy_token.empty()) << create_text.out;
  tokens.push_back(deploy_token);

  // Issuing commands print the new token; the old ones are never printed again.
  RunResult rotate = ctl({"rotate", id, "--grace", "1h", "--json"});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  tokens.push_back(token_of(rotate));
  EXPECT_EQ(rotate.out.find(tokens[0]), std::string::npos);
  RunResult rename = ctl({"rename", deploy_id, "ci renamed", "--json"});
  ASSERT_EQ(rename.exit_code, 0) << rename.err;
  tokens.push_back(token_of(rename));
  EXPECT_EQ(rename.out.find(deploy_token), std::string::npos);
  for (const auto& token : tokens) ASSERT_TRUE(CheckTokenFormat(token).ok()) << token;

  // Some events to read, recorded as the module would.
  auto client = redis.Client();
  ASSERT_TRUE(client);
  for (int i = 0; i < 3; ++i) {
    auto event = ParseEvent(EventType::kHit, R"({"app":"web","message":"hello"})", NowMs());
    ASSERT_TRUE(event.ok());
    RecordRequest request;
    request.token_hash = TokenHash(tokens[2]);
    request.routing_tag = std::string(TokenRoutingTag(tokens[2]));
    request.event = *event;
    auto outcome = EventStore(KeySpace("onep:")).Record(*client, request);
    ASSERT_TRUE(outcome.ok() && outcome->kind == RecordOutcome::Kind::kAccepted);
  }

  // Every reading command, as a table and as JSON: no token of any
  // generation, no part of one, no hash; no password either.
  const std::vector<std::vector<std::string>> reads = {
      {"list", "--org", "acme"},
      {"show", id},
      {"show", deploy_id},
      {"events", "--org", "acme"},
      {"stats", "--org", "acme"},
      {"audit", "--org", "acme"},
      {"orgs"},
      {"--help"},
      {"show", tokens[2]},  // a token pasted where an id goes: refused, not echoed
      {"show", "wh_doesnotexist00000"},
  };
  for (const auto& args : reads) {
    for (bool json : {false, true}) {
      auto argv = args;
      if (json) argv.push_back("--json");
      RunResult r = ctl(argv);
      SCOPED_TRACE(::testing::PrintToString(argv));
      if (args[0] != "show" || args[1] == id || args[1] == deploy_id) {
        EXPECT_EQ(r.exit_code, 0) << r.err;
      } else {
        EXPECT_NE(r.exit_code, 0);
      }
      ExpectNoSecret("stdout", r.out, tokens);
      ExpectNoSecret("stderr", r.err, tokens);
      EXPECT_EQ((r.out + r.err).find(password), std::string::npos);
    }
  }
  // A wrong password in the environment: refused, and not printed.
  RunResult refused = ::onep::testing::Run(
      {ONEPCTL_PATH, "list", "--org", "acme"},
      {{"ONEP_REDIS_URL",
        "redis://:wrong-Pw-42x@127.0.0.1:" + std::to_string(redis.port()) + "/0"}});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_EQ((refused.out + refused.err).find("wrong-Pw-42x"), std::string::npos) << refused.err;

  // A long-running onepctl: what `ps` shows of it has no password.
  const std::string dir = MakeTempDir("follow");
  pid_t follower =
      Spawn({ONEPCTL_PATH, "events", "--org", "acme", "--follow"}, dir + "/follow.log", env);
  ASSERT_GT(follower, 0);
  std::this_thread::sleep_for(milliseconds(300));
  std::string cmdline = ReadFile("/proc/" + std::to_string(follower) + "/cmdline");
  EXPECT_NE(cmdline.find("--follow"), std::string::npos) << "not running?";
  EXPECT_EQ(cmdline.find(password), std::string::npos);
  EXPECT_EQ(cmdline.find("redis://"), std::string::npos);
  kill(follower, SIGTERM);
  int status = 0;
  waitpid(follower, &status, 0);
  ExpectNoSecret("events --follow", ReadFile(dir + "/follow.log"), tokens);
  RemoveTree(dir);
}

}  // namespace
}  // namespace onep::testing
