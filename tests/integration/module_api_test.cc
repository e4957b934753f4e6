// SPDX-License-Identifier: Apache-2.0
// mod_onep's HTTP API against a real Apache and a real Redis: every route and
// every row of the error table (docs/api.md), with exact statuses and codes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "onep/token.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/redis_monitor.h"

namespace onep::testing {
namespace {

class ModuleApiTest : public ::testing::Test {
 protected:
  static ApacheOptions Options() {
    ApacheOptions options;
    // A second mount with tight limits, and a nested per-route section.
    options.extra_config =
        "<Location /limited>\n"
        "  SetHandler onep\n"
        "  Require all granted\n"
        "  OnepMaxBodySize 100\n"
        "  OnepRateLimit 2\n"
        "</Location>\n"
        "<Location /slash/>\n"
        "  SetHandler onep\n"
        "  Require all granted\n"
        "</Location>\n"
        "<Location /onep/deploys>\n"
        "  OnepMaxBodySize 2k\n"
        "</Location>\n";
    return options;
  }

  void SetUp() override { ASSERT_TRUE(stack_.Start()); }

  HttpResponse Post(const std::string& route, const std::string& token, const std::string& body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    return PostJson(stack_.port(), stack_.path(route), token, body, std::move(headers));
  }

  HttpResponse Request(const std::string& method, const std::string& path,
                       std::vector<std::pair<std::string, std::string>> headers = {},
                       const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.headers = std::move(headers);
    request.body = body;
    return Send(stack_.port(), request);
  }

  static void ExpectError(const HttpResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body << r.error;
    EXPECT_EQ(r.ErrorCode(), code) << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    EXPECT_NE(r.body.find("\"ok\":false"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"message\":\""), std::string::npos) << r.body;
  }

  static void ExpectAccepted(const HttpResponse& r, const IssuedCredential& cred) {
    EXPECT_EQ(r.status, 202) << r.body << r.error;
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    EXPECT_NE(r.body.find("\"ok\":true"), std::string::npos) << r.body;
    EXPECT_FALSE(r.JsonString("id").empty()) << r.body;
    EXPECT_EQ(r.JsonString("credential"), cred.credential.id) << r.body;
  }

  OnepStack stack_{Options()};
};

// --- routes ----------------------------------------------------------------

TEST_F(ModuleApiTest, HealthIsOkWhenRedisAnswers) {
  auto r = Request("GET", "/onep/health");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}");
  EXPECT_EQ(r.Header("Content-Type"), "application/json");

  auto head = Request("HEAD", "/onep/health");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST_F(ModuleApiTest, HealthRefusesPost) {
  ExpectError(Request("POST", "/onep/health", {}, "{}"), 405, "method_not_allowed");
  EXPECT_EQ(Request("POST", "/onep/health", {}, "{}").Header("Allow"), "GET, HEAD");
}

TEST_F(ModuleApiTest, HitsFailuresAndDeploysAreAccepted) {
  auto hits = stack_.Create("acme", "hits");
  auto deploy = stack_.Create("acme", "deploy", "shop");

  auto hit = Post("/hits", hits.token, R"({"app":"web","count":3,"message":"fine"})");
  ExpectAccepted(hit, hits);
  auto failure = Post("/failures", hits.token, R"({"app":"web","error":"boom"})");
  ExpectAccepted(failure, hits);
  auto dep = Post("/deploys", deploy.token, R"({"version":"1.2.0","commit":"abc123"})");
  ExpectAccepted(dep, deploy);

  // The failure opens an incident of web (the default monitor): its entry
  // follows the failure.
  auto events = stack_.Events("acme");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].type, "incident_opened");
  events.erase(events.begin() + 2);
  EXPECT_EQ(events[0].id, hit.JsonString("id"));
  EXPECT_EQ(events[0].type, "hit");
  EXPECT_EQ(events[0].app, "web");
  EXPECT_NE(events[0].fields_json.find("\"count\":3"), std::string::npos);
  EXPECT_EQ(events[1].id, failure.JsonString("id"));
  EXPECT_EQ(events[1].type, "failure");
  EXPECT_NE(events[1].fields_json.find("boom"), std::string::npos);
  EXPECT_EQ(events[2].id, dep.JsonString("id"));
  EXPECT_EQ(events[2].type, "deploy");
  EXPECT_EQ(events[2].app, "shop");
  EXPECT_NE(events[2].fields_json.find("1.2.0"), std::string::npos);
}

TEST_F(ModuleApiTest, RoutesWorkUnderEveryPlainLocationForm) {
  auto hits = stack_.Create("acme", "hits");
  // <Location /slash/> (trailing slash), and /onep/deploys tuned by a nested section.
  ExpectAccepted(PostJson(stack_.port(), "/slash/hits", hits.token, R"({"app":"web"})"), hits);
  EXPECT_EQ(Request("GET", "/slash/health").status, 200);
  auto deploy = stack_.Create("acme", "deploy", "shop");
  ExpectAccepted(Post("/deploys", deploy.token, R"({"version":"1"})"), deploy);
}

// --- 404, 405 ------------------------------------------------------------------

TEST_F(ModuleApiTest, UnknownPathIsNotFound) {
  for (const char* path : {"/onep", "/onep/", "/onep/nope", "/onep/hits/", "/onep/hits/x",
                           "/onep/x/hits", "/onep/HITS", "/slash/x", "/onephits"}) {
    SCOPED_TRACE(path);
    auto r = Request("POST", path, {{"Content-Type", "application/json"}}, "{}");
    if (std::string(path) == "/onephits") {
      EXPECT_NE(r.status, 202);  // outside the location: not ours at all
      continue;
    }
    ExpectError(r, 404, "not_found");
  }
}

TEST_F(ModuleApiTest, WrongMethodIs405WithAllow) {
  for (const char* route : {"/hits", "/failures", "/deploys"}) {
    for (const char* method : {"GET", "PUT", "DELETE", "OPTIONS"}) {
      SCOPED_TRACE(std::string(method) + " " + route);
      auto r = Request(method, stack_.path(route));
      ExpectError(r, 405, "method_not_allowed");
      EXPECT_EQ(r.Header("Allow"), "POST");
    }
  }
}

// --- 401 -------------------------------------------------------------------------

TEST_F(ModuleApiTest, MissingTokenIs401WithBearerChallenge) {
  const std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
      {},
      {{"Authorization", "Basic dXNlcjpwYXNz"}},
      {{"Authorization", "Bearer"}},
      {{"Authorization", "Bearer   "}},
      {{"Authorization", "Token onep_abc"}},
  };
  for (const auto& headers : cases) {
    auto all = headers;
    all.emplace_back("Content-Type", "application/json");
    auto r = Request("POST", "/onep/hits", all, R"({"app":"web"})");
    ExpectError(r, 401, "missing_token");
    EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer");
  }
}

TEST_F(ModuleApiTest, BearerSchemeIsCaseInsensitive) {
  auto hits = stack_.Create("acme", "hits");
  auto r =
      Request("POST", "/onep/hits",
              {{"Authorization", "bearer " + hits.token}, {"Content-Type", "application/json"}},
              R"({"app":"web"})");
  ExpectAccepted(r, hits);
}

TEST_F(ModuleApiTest, MalformedTokenIs401WithoutAskingRedis) {
  ONEP_SINGLE_REDIS_ONLY(
      "it watches the server with MONITOR (module_cluster_test.cc counts per node)");
  auto hits = stack_.Create("acme", "hits");
  std::string bad_checksum = hits.token;
  bad_checksum.back() = bad_checksum.back() == 'A' ? 'B' : 'A';
  std::string truncated = hits.token.substr(0, hits.token.size() - 1);
  std::string wrong_prefix = "xnep_" + hits.token.substr(5);

  const long long evalsha_before = stack_.redis().CommandCalls("evalsha");
  const long long commands_before = stack_.Stat("total_commands_processed");
  {
    RedisMonitor monitor(stack_.redis().server().port());
    for (const std::string& token :
         {bad_checksum, truncated, wrong_prefix, std::string("onep_"), std::string("nonsense")}) {
      auto r = Post("/hits", token, R"({"app":"web"})");
      ExpectError(r, 401, "invalid_token");
    }
    EXPECT_TRUE(monitor.ClientCommands().empty());
  }
  const long long commands_after = stack_.Stat("total_commands_processed");
  EXPECT_EQ(stack_.redis().CommandCalls("evalsha"), evalsha_before);
  // Between the two INFOs: the first INFO and the MONITOR, nothing else.
  EXPECT_EQ(commands_after - commands_before, 2);
  EXPECT_TRUE(stack_.Events("acme").empty());
}

TEST_F(ModuleApiTest, UnknownWellFormedTokenIs401) {
  auto token = GenerateToken(GenerateRoutingTag().value());
  ASSERT_TRUE(token.ok());
  auto r = Post("/hits", *token, R"({"app":"web"})");
  ExpectError(r, 401, "invalid_token");
}

// --- 415, 413 ----------------------------------------------------------------------

TEST_F(ModuleApiTest, ContentTypeMustBeJson) {
  auto hits = stack_.Create("acme", "hits");
  const std::string auth = "Bearer " + hits.token;
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                           "application/json-patch+json", ""}) {
    SCOPED_TRACE(type);
    std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", auth}};
    if (*type) headers.emplace_back("Content-Type", type);
    ExpectError(Request("POST", "/onep/hits", headers, R"({"app":"web"})"), 415,
                "unsupported_media_type");
  }
  for (const char* type :
       {"application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"}) {
    SCOPED_TRACE(type);
    ExpectAccepted(Request("POST", "/onep/hits", {{"Authorization", auth}, {"Content-Type", type}},
                           R"({"app":"web"})"),
                   hits);
  }
}

TEST_F(ModuleApiTest, BodyLargerThanTheLimitIs413) {
  auto hits = stack_.Create("acme", "hits");
  // /limited has OnepMaxBodySize 100.
  std::string fits = R"({"app":"web","message":")" + std::string(60, 'x') + "\"}";
  std::string too_big = R"({"app":"web","message":")" + std::string(100, 'x') + "\"}";
  ASSERT_LE(fits.size(), 100u);
  ExpectAccepted(PostJson(stack_.port(), "/limited/hits", hits.token, fits), hits);
  ExpectError(PostJson(stack_.port(), "/limited/hits", hits.token, too_big), 413,
              "payload_too_large");

  // Chunked: the limit holds while reading, without a Content-Length.
  HttpRequest chunked;
  chunked.method = "POST";
  chunked.path = "/limited/hits";
  chunked.headers = {{"Authorization", "Bearer " + hits.token},
                     {"Content-Type", "application/json"}};
  chunked.body = too_big;
  chunked.chunk_size = 16;
  ExpectError(Send(stack_.port(), chunked), 413, "payload_too_large");
  chunked.body = fits;
  ExpectAccepted(Send(stack_.port(), chunked), hits);
}

TEST_F(ModuleApiTest, AnnouncedHugeBodyIsRefusedBeforeItArrives) {
  auto hits = stack_.Create("acme", "hits");
  HttpRequest request;
  request.method = "POST";
  request.path = "/onep/hits";
  request.headers = {{"Authorization", "Bearer " + hits.token},
                     {"Content-Type", "application/json"}};
  request.body = "{";
  request.content_length = 10LL * 1024 * 1024 * 1024;  // 10 GiB that never come
  auto start = std::chrono::steady_clock::now();
  auto r = Send(stack_.port(), request, 5000);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ExpectError(r, 413, "payload_too_large");
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  // The default limit is 64k.
  std::string big = R"({"app":"web","message":")" + std::string(70 * 1024, 'x') + "\"}";
  ExpectError(Post("/hits", hits.token, big), 413, "payload_too_large");
}

// --- 400, 422 ------------------------------------------------------------------------

TEST_F(ModuleApiTest, InvalidJsonIs400) {
  auto hits = stack_.Create("acme", "hits");
  for (const std::string& body :
       {std::string("{"), std::string("[]"), std::string("\"app\""), std::string("not json"),
        std::string(""), std::string("{\"app\":\"w\xff\"}"),
        std::string("{\"app\":1,\"app\":2}")}) {
    SCOPED_TRACE(body);
    ExpectError(Post("/hits", hits.token, body), 400, "invalid_json");
  }
  EXPECT_TRUE(stack_.Events("acme").empty());
}

TEST_F(ModuleApiTest, InvalidEventIs422NamingTheField) {
  auto hits = stack_.Create("acme", "hits");
  auto deploy = stack_.Create("acme", "deploy", "shop");
  struct Case {
    std::string route, token, body, field;
  };
  const std::vector<Case> cases = {
      {"/hits", hits.token, R"({"app":"web","count":0})", "count"},
      {"/hits", hits.token, R"({"app":"web","count":10001})", "count"},
      {"/hits", hits.token, R"({"app":"web","count":"3"})", "count"},
      {"/hits", hits.token, R"({"app":"Not A Slug"})", "app"},
      {"/hits", hits.token, R"({"app":"web","timestamp":"yesterday"})", "timestamp"},
      {"/failures", hits.token, R"({"app":"web","error":42})", "error"},
      {"/deploys", deploy.token, R"({"environment":"prod"})", "version"},
      {"/deploys", deploy.token, R"({"version":"1","status":"exploded"})", "status"},
      {"/deploys", deploy.token, R"({"version":"1","deploy_id":"has space"})", "deploy_id"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = Post(c.route, c.token, c.body);
    ExpectError(r, 422, "invalid_event");
    EXPECT_NE(r.body.find(c.field), std::string::npos) << r.body;
  }
  EXPECT_TRUE(stack_.Events("acme").empty());
}

TEST_F(ModuleApiTest, InvalidIdempotencyKeyIs422NamingTheHeader) {
  auto hits = stack_.Create("acme", "hits");
  auto r =
      Post("/hits", hits.token, R"({"app":"web"})", {{"Idempotency-Key", std::string(201, 'k')}});
  ExpectError(r, 422, "invalid_event");
  EXPECT_NE(r.body.find("Idempotency-Key"), std::string::npos) << r.body;
  ExpectAccepted(
      Post("/hits", hits.token, R"({"app":"web"})", {{"Idempotency-Key", std::string(200, 'k')}}),
      hits);
}

// --- 403, app binding ------------------------------------------------------------------

TEST_F(ModuleApiTest, TokenOfTheWrongTypeIsForbidden) {
  auto hits = stack_.Create("acme", "hits");
  auto deploy = stack_.Create("acme", "deploy", "shop");
  ExpectError(Post("/deploys", hits.token, R"({"version":"1"})"), 403, "forbidden");
  ExpectError(Post("/hits", deploy.token, R"({"app":"shop"})"), 403, "forbidden");
  ExpectError(Post("/failures", deploy.token, R"({"app":"shop"})"), 403, "forbidden");
  EXPECT_TRUE(stack_.Events("acme").empty());
}

TEST_F(ModuleApiTest, AppBindingIsEnforced) {
  auto bound = stack_.Create("acme", "hits", "web");
  auto unbound = stack_.Create("acme", "hits");
  auto deploy = stack_.Create("acme", "deploy", "shop");

  ExpectError(Post("/hits", bound.token, R"({"app":"api"})"), 403, "forbidden");
  ExpectAccepted(Post("/hits", bound.token, R"({"app":"web"})"), bound);
  ExpectAccepted(Post("/hits", bound.token, R"({})"), bound);  // the credential's app applies

  auto missing = Post("/hits", unbound.token, R"({"count":2})");
  ExpectError(missing, 422, "invalid_event");
  EXPECT_NE(missing.body.find("app"), std::string::npos) << missing.body;

  ExpectError(Post("/deploys", deploy.token, R"({"version":"1","app":"web"})"), 403, "forbidden");
  ExpectAccepted(Post("/deploys", deploy.token, R"({"version":"1","app":"shop"})"), deploy);
  ExpectAccepted(Post("/deploys", deploy.token, R"({"version":"2"})"), deploy);

  auto events = stack_.Events("acme");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].app, "web");
  EXPECT_EQ(events[3].app, "shop");
}

// --- 429 -------------------------------------------------------------------------------

TEST_F(ModuleApiTest, RateLimitGives429WithRetryAfter) {
  auto hits = stack_.Create("acme", "hits");
  int accepted = 0, limited = 0;
  for (int i = 0; i < 8; ++i) {
    auto r = PostJson(stack_.port(), "/limited/hits", hits.token, R"({"app":"web"})");
    if (r.status == 202) {
      ++accepted;
    } else {
      ExpectError(r, 429, "rate_limited");
      EXPECT_GE(std::atoi(r.Header("Retry-After").c_str()), 1) << r.Header("Retry-After");
      ++limited;
    }
  }
  EXPECT_GE(limited, 1);
  EXPECT_GE(accepted, 2);
  EXPECT_EQ(static_cast<int>(stack_.Events("acme").size()), accepted);
  // The other location has no limit.
  for (int i = 0; i < 5; ++i) ExpectAccepted(Post("/hits", hits.token, R"({"app":"web"})"), hits);
}

// --- idempotency, deploy_id, orgs -------------------------------------------------------------

TEST_F(ModuleApiTest, IdempotencyKeyReturnsTheFirstResponseAndRecordsOnce) {
  auto hits = stack_.Create("acme", "hits");
  auto first = Post("/hits", hits.token, R"({"app":"web"})", {{"Idempotency-Key", "job-42"}});
  ExpectAccepted(first, hits);
  auto again = Post("/hits", hits.token, R"({"app":"web"})", {{"Idempotency-Key", "job-42"}});
  ExpectAccepted(again, hits);
  // The first answer again, saying that it is one.
  EXPECT_EQ(again.body, first.body.substr(0, first.body.size() - 1) + ",\"duplicate\":true}");
  EXPECT_EQ(first.body.find("duplicate"), std::string::npos) << first.body;
  EXPECT_EQ(stack_.Events("acme").size(), 1u);

  auto other = Post("/hits", hits.token, R"({"app":"web"})", {{"Idempotency-Key", "job-43"}});
  ExpectAccepted(other, hits);
  EXPECT_NE(other.JsonString("id"), first.JsonString("id"));
  EXPECT_EQ(stack_.Events("acme").size(), 2u);
}

// As Stripe's keys: a key is tied to the request it came with. The same key
// with another body or on another route records nothing and says so.
TEST_F(ModuleApiTest, AnIdempotencyKeyReusedForAnotherRequestIsRefused) {
  auto hits = stack_.Create("acme", "hits");
  const std::vector<std::pair<std::string, std::string>> key = {{"Idempotency-Key", "job-7"}};
  auto first = Post("/hits", hits.token, R"({"app":"web","count":2})", key);
  ExpectAccepted(first, hits);
  ExpectError(Post("/failures", hits.token, R"({"app":"web","count":2})", key), 422,
              "idempotency_key_reused");
  ExpectError(Post("/hits", hits.token, R"({"app":"web","count":3})", key), 422,
              "idempotency_key_reused");
  // Even a body that means the same but is written differently: a retry
  // sends the same bytes.
  ExpectError(Post("/hits", hits.token, R"({"count":2,"app":"web"})", key), 422,
              "idempotency_key_reused");
  EXPECT_EQ(stack_.Events("acme").size(), 1u);
  // The real retry still gets its first answer.
  auto retry = Post("/hits", hits.token, R"({"app":"web","count":2})", key);
  ExpectAccepted(retry, hits);
  EXPECT_EQ(retry.JsonString("id"), first.JsonString("id"));
  EXPECT_EQ(stack_.Events("acme").size(), 1u);
}

TEST_F(ModuleApiTest, RepeatedDeployIdIsNotRecordedTwice) {
  auto deploy = stack_.Create("acme", "deploy", "shop");
  const std::string body = R"({"version":"3.1.0","deploy_id":"pipeline-77:job.1"})";
  auto first = Post("/deploys", deploy.token, body);
  ExpectAccepted(first, deploy);
  auto again = Post("/deploys", deploy.token, body);
  ExpectAccepted(again, deploy);
  EXPECT_EQ(again.JsonString("id"), first.JsonString("id"));
  EXPECT_EQ(stack_.Events("acme").size(), 1u);
  EXPECT_NE(again.body.find("\"duplicate\":true"), std::string::npos) << again.body;
  ExpectAccepted(Post("/deploys", deploy.token, R"({"version":"3.1.1","deploy_id":"other"})"),
                 deploy);
  EXPECT_EQ(stack_.Events("acme").size(), 2u);
}

// A pipeline reports a deployment's start and its end with one deploy_id:
// each new state is recorded, a repeated state is a duplicate of its first
// report, and the deployment counts once in the stats.
TEST_F(ModuleApiTest, ADeploymentsStatesAreRecordedOnceEach) {
  auto deploy = stack_.Create("acme", "deploy", "shop");
  auto report = [&](const std::string& status) {
    return Post("/deploys", deploy.token,
                R"({"version":"4.0","deploy_id":"run-9","status":")" + status + R"("})");
  };
  auto started = report("started");
  ExpectAccepted(started, deploy);
  EXPECT_EQ(started.body.find("duplicate"), std::string::npos);
  auto started_again = report("started");
  ExpectAccepted(started_again, deploy);
  EXPECT_EQ(started_again.JsonString("id"), started.JsonString("id"));
  EXPECT_NE(started_again.body.find("\"duplicate\":true"), std::string::npos);
  auto succeeded = report("succeeded");
  ExpectAccepted(succeeded, deploy);
  EXPECT_NE(succeeded.JsonString("id"), started.JsonString("id"));
  EXPECT_EQ(succeeded.body.find("duplicate"), std::string::npos) << succeeded.body;
  auto succeeded_again = report("succeeded");
  EXPECT_EQ(succeeded_again.JsonString("id"), succeeded.JsonString("id"));
  const auto events = stack_.Events("acme");
  ASSERT_EQ(events.size(), 2u);  // started, succeeded
  EXPECT_NE(events[0].fields_json.find("\"status\":\"started\""), std::string::npos);
  EXPECT_NE(events[1].fields_json.find("\"status\":\"succeeded\""), std::string::npos);
  // Counted once.
  auto stats = EventStore(KeySpace("onep:")).Stats(stack_.client(), "acme", "", 3600 * 1000);
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].deploys, 1);
}

TEST_F(ModuleApiTest, OrganizationsAreIsolated) {
  auto a = stack_.Create("org-a", "hits");
  auto b = stack_.Create("org-b", "hits");
  ExpectAccepted(Post("/hits", a.token, R"({"app":"web"})"), a);
  ExpectAccepted(Post("/hits", b.token, R"({"app":"web"})"), b);
  ExpectAccepted(Post("/hits", b.token, R"({"app":"api"})"), b);
  auto events_a = stack_.Events("org-a");
  auto events_b = stack_.Events("org-b");
  ASSERT_EQ(events_a.size(), 1u);
  ASSERT_EQ(events_b.size(), 2u);
  EXPECT_EQ(events_a[0].credential, a.credential.id);
  for (const auto& e : events_b) EXPECT_EQ(e.credential, b.credential.id);
  // The same Idempotency-Key in two orgs records in each.
  ExpectAccepted(Post("/hits", a.token, R"({"app":"web"})", {{"Idempotency-Key", "k"}}), a);
  ExpectAccepted(Post("/hits", b.token, R"({"app":"web"})", {{"Idempotency-Key", "k"}}), b);
  EXPECT_EQ(stack_.Events("org-a").size(), 2u);
  EXPECT_EQ(stack_.Events("org-b").size(), 3u);
}

// --- cost model, connections, logs ----------------------------------------------------------

TEST_F(ModuleApiTest, OneRedisRoundTripPerAcceptedRequest) {
  ONEP_SINGLE_REDIS_ONLY(
      "it watches the server with MONITOR (module_cluster_test.cc counts per node)");
  auto hits = stack_.Create("acme", "hits");
  ExpectAccepted(Post("/hits", hits.token, R"({"app":"web"})"), hits);  // loads the script
  for (int i = 0; i < 5; ++i) {
    const long long evalsha_before = stack_.redis().CommandCalls("evalsha");
    RedisMonitor monitor(stack_.redis().server().port());
    ExpectAccepted(Post("/hits", hits.token, R"({"app":"web"})"), hits);
    auto commands = monitor.ClientCommands();
    ASSERT_EQ(commands.size(), 1u) << ::testing::PrintToString(commands);
    EXPECT_NE(commands[0].find("\"EVALSHA\""), std::string::npos) << commands[0];
    // CommandCalls opens its own connection and runs INFO: evalsha counts only.
    EXPECT_EQ(stack_.redis().CommandCalls("evalsha") - evalsha_before, 1);
  }
  // A rejected token costs the same single round trip.
  auto unknown = GenerateToken(GenerateRoutingTag().value());
  ASSERT_TRUE(unknown.ok());
  RedisMonitor monitor(stack_.redis().server().port());
  ExpectError(Post("/hits", *unknown, R"({"app":"web"})"), 401, "invalid_token");
  EXPECT_EQ(monitor.ClientCommands().size(), 1u);
}

TEST_F(ModuleApiTest, RedisConnectionsAreReused) {
  ONEP_SINGLE_REDIS_ONLY("it reads one server's connection count");
  auto hits = stack_.Create("acme", "hits");
  for (int i = 0; i < 10; ++i) ExpectAccepted(Post("/hits", hits.token, R"({"app":"web"})"), hits);
  EXPECT_EQ(Request("GET", "/onep/health").status, 200);
  const long long before = stack_.Stat("total_connections_received");
  for (int i = 0; i < 40; ++i) {
    ExpectAccepted(Post("/hits", hits.token, R"({"app":"web"})"), hits);
    EXPECT_EQ(Request("GET", "/onep/health").status, 200);
  }
  const long long after = stack_.Stat("total_connections_received");
  // Sequential requests need one connection per child at most; a child that
  // served none of the warm-up requests may open its first one now.
  EXPECT_LE(after - before, 2);
}

TEST_F(ModuleApiTest, TheErrorLogHoldsNoTokenAndNoTokenHash) {
  auto hits = stack_.Create("acme", "hits");
  ExpectAccepted(Post("/hits", hits.token, R"({"app":"web"})"), hits);
  ExpectError(Post("/deploys", hits.token, R"({"version":"1"})"), 403, "forbidden");
  std::string bad = hits.token;
  bad.back() = bad.back() == 'A' ? 'B' : 'A';
  ExpectError(Post("/hits", bad, R"({"app":"web"})"), 401, "invalid_token");
  const std::string log = stack_.apache().ErrorLog();
  EXPECT_NE(log.find("ONEP0101"), std::string::npos) << log;  // debug decisions are there
  EXPECT_NE(log.find(hits.credential.id), std::string::npos) << log;
  EXPECT_EQ(log.find(hits.token), std::string::npos);
  EXPECT_EQ(log.find(bad), std::string::npos);
  EXPECT_EQ(log.find(hits.token.substr(5, 16)), std::string::npos);
  EXPECT_EQ(log.find(TokenHash(hits.token)), std::string::npos);
}

}  // namespace
}  // namespace onep::testing
