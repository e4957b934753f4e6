// SPDX-License-Identifier: Apache-2.0
// The admin API (SetHandler onep-admin) on the real module, behind Apache's
// own Basic authentication: every route, status and error code, the CSRF
// defence, the audit actor, OnepAdminOrgs, and the same JSON as onepctl's
// --json for the same data.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "onep/clock.h"
#include "onep/keys.h"
#include "onep/parse.h"
#include "onep/token.h"
#include "support/admin_site.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/load.h"
#include "support/process.h"

namespace onep::testing {
namespace {

ApacheOptions AdminOptions(const PasswordFile& passwords) {
  ApacheOptions options;
  options.extra_config = BasicAuthModules() + AdminLocation("/admin", passwords.path()) +
                         AdminLocation("/admin-acme", passwords.path(), {"OnepAdminOrgs acme"}) +
                         AdminLocation("/the admin", passwords.path()) +
                         AdminLocation("/admin-public", passwords.path(),
                                       {"OnepPublicURL https://hooks.example.com/in"}) +
                         "<Location \"/open-admin\">\n  SetHandler onep-admin\n"
                         "  Require all granted\n</Location>\n";
  return options;
}

JsonPtr Parse(const std::string& text) {
  JsonPtr value(json_loads(text.c_str(), 0, nullptr));
  EXPECT_TRUE(value) << text;
  return value;
}

class ModuleAdminTest : public ::testing::Test {
 protected:
  ModuleAdminTest()
      : passwords_({{"alice", "alice-pw"}, {"bob", "bob-pw"}}), stack_(AdminOptions(passwords_)) {}

  void SetUp() override { ASSERT_TRUE(stack_.Start()); }

  // A request to the admin API as `user`, with the CSRF token of the
  // location's api/session on changes unless `csrf` says otherwise ("" for
  // none).
  HttpResponse Api(const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& user = "alice",
                   std::optional<std::string> csrf = std::nullopt,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.headers = std::move(headers);
    request.headers.push_back(BasicAuth(user, user + "-pw"));
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    if (method != "GET" && method != "HEAD") {
      // The token of the path's own admin location (it holds there only).
      const std::string token = csrf ? *csrf : Csrf(user, path.substr(0, path.find("/api/")));
      if (!token.empty()) request.headers.emplace_back("X-CSRF-Token", token);
    }
    return Send(stack_.port(), request);
  }

  // The CSRF token api/session gives `user` at the admin location `at`.
  std::string Csrf(const std::string& user, const std::string& at = "/admin") {
    HttpResponse session = Api("GET", at + "/api/session", "", user);
    EXPECT_EQ(session.status, 200) << session.body;
    return session.JsonString("csrf");
  }

  // A new credential through the API: its JSON object.
  JsonPtr Create(const std::string& org, const std::string& body) {
    HttpResponse created = Api("POST", "/admin/api/orgs/" + org + "/credentials", body);
    EXPECT_EQ(created.status, 201) << created.body;
    return Parse(created.body);
  }

  // onepctl's --json output for `args`, parsed.
  JsonPtr Cli(std::vector<std::string> args) {
    args.insert(args.begin(), ONEPCTL_PATH);
    args.push_back("--json");
    RunResult r = ::onep::testing::Run(
        args, {{"ONEP_REDIS_URL", stack_.redis().url()}, {"ONEP_KEY_PREFIX", "onep:"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Parse(r.out);
  }

  int Post(const std::string& token) {
    return PostJson(stack_.port(), "/onep/hits", token, R"({"app":"web"})").status;
  }

  PasswordFile passwords_;
  OnepStack stack_;
};

std::string Str(const JsonPtr& object, const char* key) {
  const char* value = json_string_value(json_object_get(object.get(), key));
  return value ? value : "";
}

void ExpectSameJson(const JsonPtr& api, const JsonPtr& cli) {
  EXPECT_TRUE(json_equal(api.get(), cli.get()))
      << "API: " << JsonDump(api.get()) << "\nCLI: " << JsonDump(cli.get());
}

TEST_F(ModuleAdminTest, ALocationWithoutAuthenticationServesNoOne) {
  for (const char* path : {"/open-admin/api/session", "/open-admin/", "/open-admin/api/orgs"}) {
    HttpResponse r = Get(stack_.port(), path);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.ErrorCode(), "forbidden") << r.body;
    EXPECT_NE(r.ErrorMessage().find("must be protected by Apache authentication"),
              std::string::npos)
        << r.body;
  }
  EXPECT_NE(stack_.apache().ErrorLog().find("ONEP0113"), std::string::npos);
  // Apache's own authentication answers first where it is configured.
  EXPECT_EQ(Get(stack_.port(), "/admin/api/session").status, 401);
  HttpRequest wrong;
  wrong.path = "/admin/api/session";
  wrong.headers = {BasicAuth("alice", "not-her-password")};
  EXPECT_EQ(Send(stack_.port(), wrong).status, 401);
}

TEST_F(ModuleAdminTest, TheSessionNamesTheUserAndItsCsrfToken) {
  HttpResponse session = Api("GET", "/admin/api/session");
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(session.JsonString("user"), "alice");
  const std::string csrf = session.JsonString("csrf");
  EXPECT_EQ(csrf.size(), 43u) << csrf;
  // The same in every child within its hour (onep/csrf.h): when the hour
  // turned between two fetches, the next two agree.
  const std::string again = Csrf("alice");
  EXPECT_EQ(again == csrf ? again : Csrf("alice"), again);
  EXPECT_NE(Csrf("bob"), csrf);
  EXPECT_EQ(session.Header("Cache-Control"), "no-store");
  EXPECT_EQ(session.Header("X-Frame-Options"), "DENY");
  EXPECT_NE(session.Header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
}

TEST_F(ModuleAdminTest, TheConsoleIsServedFromTheModule) {
  HttpResponse page = Api("GET", "/admin/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("console.js"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);  // no inline script
  EXPECT_EQ(page.Header("X-Frame-Options"), "DENY");
  EXPECT_NE(page.Header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  HttpResponse script = Api("GET", "/admin/console.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(Api("GET", "/admin/console.css").Header("Content-Type"), "text/css; charset=utf-8");
  HttpResponse bare = Api("GET", "/admin");
  EXPECT_EQ(bare.status, 301);
  EXPECT_NE(bare.Header("Location").find("/admin/"), std::string::npos);
  EXPECT_EQ(Api("GET", "/admin/secret.txt").ErrorCode(), "not_found");
  HttpResponse post = Api("POST", "/admin/", "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("Allow"), "GET, HEAD");
}

// The redirect to the location's own slash is built as mod_dir builds its
// own: the path escaped again (it was decoded), the query kept, absolute.
TEST_F(ModuleAdminTest, TheSlashRedirectEscapesThePathAndKeepsTheQuery) {
  HttpResponse bare = Api("GET", "/the%20admin?tab=events&x=%3C");
  EXPECT_EQ(bare.status, 301);
  const std::string location = bare.Header("Location");
  EXPECT_EQ(location,
            "http://127.0.0.1:" + std::to_string(stack_.port()) + "/the%20admin/?tab=events&x=%3C");
  EXPECT_EQ(Api("GET", location.substr(location.find("/the%20admin/"))).status, 200);
}

// A failure that is not Redis being unavailable is a 500 that says nothing
// of its cause, which goes to the error log (ONEP0114): here the org's
// audit stream is not a stream, so the rotate script fails inside Redis.
TEST_F(ModuleAdminTest, AnInternalErrorIsA500WithoutItsCauseWhichIsLogged) {
  JsonPtr created = Create("acme", R"({"type":"hits","name":"web","app":"web"})");
  const std::string id = Str(created, "id");
  const std::string tag(CredentialIdRoutingTag(id));
  const std::string audit = KeySpace("onep:").Audit(tag);
  auto redis = stack_.redis().Client();
  ASSERT_TRUE(redis->Command(KeySpace::SlotKey(tag), {"DEL", audit}).ok());
  ASSERT_TRUE(redis->Command(KeySpace::SlotKey(tag), {"SET", audit, "not a stream"}).ok());
  HttpResponse rotated = Api("POST", "/admin/api/credentials/" + id + "/rotate", "{}");
  EXPECT_EQ(rotated.status, 500) << rotated.body;
  EXPECT_EQ(rotated.ErrorCode(), "internal_error") << rotated.body;
  EXPECT_EQ(rotated.body.find("WRONGTYPE"), std::string::npos) << rotated.body;
  EXPECT_EQ(rotated.body.find("redis"), std::string::npos) << rotated.body;
  EXPECT_EQ(rotated.Header("Retry-After"), "");
  const std::string message = rotated.ErrorMessage();
  const std::string prefix = "an internal error; see the server's error log (ONEP0114, request ";
  ASSERT_EQ(message.rfind(prefix, 0), 0u) << message;
  const std::string request_id = message.substr(prefix.size(), message.size() - prefix.size() - 1);
  const std::string log = stack_.apache().ErrorLog();
  const auto logged = log.find("ONEP0114: admin POST /admin/api/credentials/" + id + "/rotate");
  ASSERT_NE(logged, std::string::npos) << log;
  const std::string line = log.substr(logged, log.find('\n', logged) - logged);
  EXPECT_NE(line.find("WRONGTYPE"), std::string::npos) << line;
  EXPECT_NE(line.find("(request " + request_id + ")"), std::string::npos) << line;
}

TEST_F(ModuleAdminTest, CredentialsAreManagedAsWithOnepctlAndTheActorIsTheApacheUser) {
  JsonPtr created = Create("acme", R"({"type":"hits","name":"web","app":"web"})");
  const std::string id = Str(created, "id");
  const std::string token = Str(created, "token");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(Str(created, "org"), "acme");
  EXPECT_EQ(Str(created, "token_hint"), "\xE2\x80\xA6" + token.substr(token.size() - 4));
  const std::string curl = Str(created, "curl");
  EXPECT_NE(curl.find("http://127.0.0.1:" + std::to_string(stack_.port()) + "/onep/hits"),
            std::string::npos)
      << curl;
  EXPECT_EQ(Post(token), 202);
  // The token never reaches a log line.
  EXPECT_EQ(stack_.apache().ErrorLog().find(token), std::string::npos);

  // The same objects as onepctl's.
  ExpectSameJson(Parse(Api("GET", "/admin/api/orgs/acme/credentials").body),
                 Cli({"list", "--org", "acme"}));
  ExpectSameJson(Parse(Api("GET", "/admin/api/credentials/" + id).body), Cli({"show", id}));
  ExpectSameJson(Parse(Api("GET", "/admin/api/orgs").body), Cli({"orgs"}));
  EXPECT_EQ(
      json_array_size(Parse(Api("GET", "/admin/api/orgs/acme/credentials?type=deploy").body).get()),
      0u);

  // Rotate: the old token stops at once; with a grace period it works on.
  HttpResponse rotated = Api("POST", "/admin/api/credentials/" + id + "/rotate", "{}");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string second = rotated.JsonString("token");
  EXPECT_TRUE(json_is_null(json_object_get(Parse(rotated.body).get(), "old_token_valid_until")));
  EXPECT_EQ(Post(token), 401);
  EXPECT_EQ(Post(second), 202);
  HttpResponse graced =
      Api("POST", "/admin/api/credentials/" + id + "/rotate", R"({"grace":"1h"})");
  ASSERT_EQ(graced.status, 200) << graced.body;
  EXPECT_FALSE(graced.JsonString("old_token_valid_until").empty());
  EXPECT_EQ(Post(second), 202);
  const std::string third = graced.JsonString("token");

  // Rename: a new name and a new token.
  HttpResponse renamed =
      Api("POST", "/admin/api/credentials/" + id + "/rename", R"({"name":"web-2"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.JsonString("name"), "web-2");
  EXPECT_EQ(Post(third), 401);
  EXPECT_EQ(Post(renamed.JsonString("token")), 202);

  // Delete: 204, the token fails, the credential is gone.
  HttpResponse deleted = Api("DELETE", "/admin/api/credentials/" + id);
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_TRUE(deleted.body.empty());
  EXPECT_EQ(Post(renamed.JsonString("token")), 401);
  EXPECT_EQ(Api("GET", "/admin/api/credentials/" + id).ErrorCode(), "not_found");

  // Who did it: the Apache user, in the same trail onepctl reads.
  JsonPtr audit = Parse(Api("GET", "/admin/api/orgs/acme/audit").body);
  ExpectSameJson(audit, Cli({"audit", "--org", "acme"}));
  std::vector<std::string> actions;
  for (std::size_t i = 0; i < json_array_size(audit.get()); ++i) {
    json_t* entry = json_array_get(audit.get(), i);
    actions.push_back(json_string_value(json_object_get(entry, "action")));
    EXPECT_STREQ(json_string_value(json_object_get(entry, "actor")), "alice");
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "rotate", "rotate", "rename", "delete"}));
}

TEST_F(ModuleAdminTest, ExpireSetsTheExpiryKeepsTheTokenAndIsAuditedWithTheUser) {
  JsonPtr created = Create("acme", R"({"type":"hits","name":"web","app":"web"})");
  const std::string id = Str(created, "id");
  const std::string token = Str(created, "token");
  // The issued object carries a test command per route and the reply to expect.
  const json_t* curls = json_object_get(created.get(), "curls");
  ASSERT_EQ(json_object_size(curls), 2u) << JsonDump(created.get());
  EXPECT_EQ(json_string_value(json_object_get(curls, "hits")), Str(created, "curl"));
  EXPECT_NE(std::string(json_string_value(json_object_get(curls, "failures")))
                .find(R"(--data '{"test":true,"error":"test failure"}')"),
            std::string::npos);
  EXPECT_EQ(Str(created, "expected_reply"),
            R"(HTTP 202 {"ok":true,"id":"...","credential":"...","test":true,"note":"..."})");
  EXPECT_TRUE(json_is_null(json_object_get(created.get(), "expires_at")));

  const std::string route = "/admin/api/credentials/" + id + "/expire";
  const int64_t before = NowMs();
  HttpResponse set = Api("POST", route, R"({"expires":"90d"})", "bob");
  ASSERT_EQ(set.status, 200) << set.body;
  JsonPtr shown = Parse(set.body);
  ExpectSameJson(shown, Cli({"show", id}));
  auto expires_at = ParseRfc3339Ms(Str(shown, "expires_at"));
  ASSERT_TRUE(expires_at.ok()) << set.body;
  const int64_t ninety_days = 90LL * 24 * 3600 * 1000;
  EXPECT_GE(*expires_at, before + ninety_days - 1000);
  EXPECT_LE(*expires_at, NowMs() + ninety_days + 1000);
  EXPECT_EQ(Str(shown, "state"), "active");
  EXPECT_EQ(Post(token), 202);  // the same token

  HttpResponse never = Api("POST", route, R"({"expires":"never"})");
  ASSERT_EQ(never.status, 200) << never.body;
  EXPECT_TRUE(json_is_null(json_object_get(Parse(never.body).get(), "expires_at")));
  EXPECT_EQ(Post(token), 202);

  // Mistakes: a bad or missing duration, an unknown id, another location's
  // org (not found there, as for every credential route), no CSRF token.
  std::string unknown = id;
  unknown.back() = unknown.back() == 'A' ? 'B' : 'A';
  const struct {
    std::string path, body, user;
    int status;
    const char* code;
  } cases[] = {
      {route, R"({"expires":"soon"})", "alice", 422, "invalid_request"},
      {route, R"({"expires":"-1d"})", "alice", 422, "invalid_request"},
      {route, "{}", "alice", 422, "invalid_request"},
      {route, R"({"expires":"90d","grace":"1h"})", "alice", 422, "invalid_request"},
      {"/admin/api/credentials/" + unknown + "/expire", R"({"expires":"1d"})", "alice", 404,
       "not_found"},
  };
  for (const auto& c : cases) {
    HttpResponse r = Api("POST", c.path, c.body, c.user);
    EXPECT_EQ(r.status, c.status) << c.body << " " << r.body;
    EXPECT_EQ(r.ErrorCode(), c.code) << c.body << " " << r.body;
  }
  JsonPtr other = Create("other", R"({"type":"hits","name":"o"})");
  HttpResponse elsewhere = Api(
      "POST", "/admin-acme/api/credentials/" + Str(other, "id") + "/expire", R"({"expires":"1d"})");
  EXPECT_EQ(elsewhere.status, 404) << elsewhere.body;
  HttpResponse no_csrf = Api("POST", route, R"({"expires":"1d"})", "alice", "");
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  EXPECT_EQ(no_csrf.ErrorCode(), "csrf") << no_csrf.body;
  EXPECT_TRUE(json_is_null(json_object_get(Cli({"show", id}).get(), "expires_at")));
  EXPECT_TRUE(json_is_null(json_object_get(Cli({"show", Str(other, "id")}).get(), "expires_at")));

  // Audited as onepctl expire is, with the Apache user.
  JsonPtr audit = Parse(Api("GET", "/admin/api/orgs/acme/audit").body);
  std::vector<std::string> trail;
  for (std::size_t i = 0; i < json_array_size(audit.get()); ++i) {
    json_t* entry = json_array_get(audit.get(), i);
    trail.push_back(std::string(json_string_value(json_object_get(entry, "action"))) + " " +
                    json_string_value(json_object_get(entry, "actor")));
  }
  EXPECT_EQ(trail, (std::vector<std::string>{"create alice", "expire bob", "expire alice"}));
}

TEST_F(ModuleAdminTest, ASecondDeployCredentialNamesTheFirstByNameAndId) {
  JsonPtr first = Create("acme", R"({"type":"deploy","name":"CI deploys","app":"shop"})");
  HttpResponse again = Api("POST", "/admin/api/orgs/acme/credentials",
                           R"({"type":"deploy","name":"other","app":"shop"})");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.ErrorCode(), "conflict");
  JsonPtr body = Parse(again.body);
  EXPECT_EQ(Str(JsonPtr(json_incref(json_object_get(body.get(), "error"))), "message"),
            "the application \"shop\" already has a deploy credential: \"CI deploys\" (" +
                Str(first, "id") + ")");
  HttpResponse no_app =
      Api("POST", "/admin/api/orgs/acme/credentials", R"({"type":"deploy","name":"x"})");
  EXPECT_EQ(no_app.status, 422) << no_app.body;
  EXPECT_NE(no_app.body.find("a deploy credential needs an application"), std::string::npos)
      << no_app.body;
}

TEST_F(ModuleAdminTest, EventsAndStatsAreOnepctlsWithQueryParametersForOptions) {
  JsonPtr created = Create("acme", R"({"type":"hits","name":"web","app":"web"})");
  const std::string token = Str(created, "token");
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Post(token), 202);
  ASSERT_EQ(PostJson(stack_.port(), "/onep/failures", token, R"({"app":"web","error":"x"})").status,
            202);
  JsonPtr events = Parse(Api("GET", "/admin/api/orgs/acme/events").body);
  // The 6 events, and the incident the failure opened (the default monitor).
  ASSERT_EQ(json_array_size(events.get()), 7u);
  ExpectSameJson(events, Cli({"events", "--org", "acme"}));
  ExpectSameJson(Parse(Api("GET", "/admin/api/orgs/acme/events?type=failure&limit=1").body),
                 Cli({"events", "--org", "acme", "--type", "failure", "--limit", "1"}));
  // Paging: the two after the second.
  const std::string second =
      json_string_value(json_object_get(json_array_get(events.get(), 1), "id"));
  JsonPtr page = Parse(Api("GET", "/admin/api/orgs/acme/events?after=" + second + "&limit=2").body);
  ASSERT_EQ(json_array_size(page.get()), 2u);
  EXPECT_TRUE(json_equal(json_array_get(page.get(), 0), json_array_get(events.get(), 2)));
  JsonPtr stats = Parse(Api("GET", "/admin/api/orgs/acme/stats?since=1h").body);
  ExpectSameJson(stats, Cli({"stats", "--org", "acme", "--since", "1h"}));
  EXPECT_EQ(json_integer_value(json_object_get(json_array_get(stats.get(), 0), "hits")), 5);
  EXPECT_EQ(json_integer_value(json_object_get(json_array_get(stats.get(), 0), "failures")), 1);
}

// insights: onepctl's objects (but for what moves with the clock: until and
// deploys per day), its options as query parameters, its mistakes.
TEST_F(ModuleAdminTest, InsightsAreOnepctlsWithQueryParametersForOptions) {
  JsonPtr hits = Create("acme", R"({"type":"hits","name":"web","app":"web"})");
  JsonPtr deploys = Create("acme", R"({"type":"deploy","name":"ci","app":"web"})");
  ASSERT_EQ(PostJson(stack_.port(), "/onep/deploys", Str(deploys, "token"),
                     R"({"version":"2","deploy_id":"r-2","committed_at":"2020-01-01T00:00:00Z"})")
                .status,
            202);
  ASSERT_EQ(Post(Str(hits, "token")), 202);
  auto steady = [](JsonPtr array) {
    for (std::size_t i = 0; i < json_array_size(array.get()); ++i) {
      json_object_del(json_array_get(array.get(), i), "until");
      json_object_del(json_array_get(array.get(), i), "deploys_per_day");
    }
    return array;
  };
  HttpResponse all = Api("GET", "/admin/api/orgs/acme/insights");
  ASSERT_EQ(all.status, 200) << all.body;
  JsonPtr insights = Parse(all.body);
  ASSERT_EQ(json_array_size(insights.get()), 1u);
  json_t* web = json_array_get(insights.get(), 0);
  EXPECT_EQ(json_integer_value(json_object_get(web, "hits")), 1);
  EXPECT_EQ(json_integer_value(json_object_get(web, "deploys")), 1);
  EXPECT_EQ(json_real_value(json_object_get(web, "change_failure_rate")), 0.0);
  EXPECT_GT(json_real_value(json_object_get(web, "lead_time_s")), 0.0);
  ExpectSameJson(steady(std::move(insights)), steady(Cli({"insights", "--org", "acme"})));
  ExpectSameJson(
      steady(Parse(
          Api("GET", "/admin/api/orgs/acme/insights?app=web&since=7d&change_window=30m").body)),
      steady(Cli({"insights", "--org", "acme", "--app", "web", "--since", "7d", "--change-window",
                  "30m"})));
  const std::vector<std::tuple<std::string, int, std::string, std::string>> mistakes = {
      {"/admin/api/orgs/nobody/insights", 404, "not_found", "no organization"},
      {"/admin/api/orgs/acme/insights?app=nope", 404, "not_found", "no app nope"},
      {"/admin/api/orgs/acme/insights?since=31d", 422, "invalid_request", "invalid since"},
      {"/admin/api/orgs/acme/insights?change_window=8d", 422, "invalid_request",
       "invalid change_window"},
      {"/admin/api/orgs/acme/insights?change-window=1h", 422, "invalid_request",
       "unknown parameter"},
      {"/admin-acme/api/orgs/other/insights", 403, "forbidden", "not managed here"},
  };
  for (const auto& [path, status, code, message] : mistakes) {
    HttpResponse r = Api("GET", path);
    EXPECT_EQ(r.status, status) << path << ": " << r.body;
    EXPECT_EQ(r.ErrorCode(), code) << path;
    EXPECT_NE(r.ErrorMessage().find(message), std::string::npos) << path << ": " << r.body;
  }
}

TEST_F(ModuleAdminTest, EveryMistakeGetsItsStatusAndCode) {
  JsonPtr deploy = Create("acme", R"({"type":"deploy","name":"shop","app":"shop"})");
  const std::string id = Str(deploy, "id");
  struct Case {
    std::string method, path, body;
    int status;
    std::string code, message;
  };
  const std::vector<Case> cases = {
      {"POST", "/admin/api/orgs/acme/credentials", R"({"type":"pushes","name":"x"})", 422,
       "invalid_request", "invalid type"},
      {"POST", "/admin/api/orgs/acme/credentials", R"({"type":"deploy","name":"x"})", 422,
       "invalid_request", "needs an application"},
      {"POST", "/admin/api/orgs/acme/credentials", R"({"type":"hits"})", 422, "invalid_request",
       "missing name"},
      {"POST", "/admin/api/orgs/acme/credentials", R"({"type":"hits","name":"x","colour":"red"})",
       422, "invalid_request", "unknown field"},
      {"POST", "/admin/api/orgs/acme/credentials", R"({"type":"hits","name":7})", 422,
       "invalid_request", "must be a string"},
      {"POST", "/admin/api/orgs/acme/credentials", R"({"type":"hits","name":"x","expires":"soon"})",
       422, "invalid_request", "invalid expires"},
      {"POST", "/admin/api/orgs/acme/credentials", R"({"type":"hits","name":"x","url":"ftp://x"})",
       422, "invalid_request", "url"},
      {"POST", "/admin/api/orgs/acme/credentials", R"({"type":"deploy","name":"y","app":"shop"})",
       409, "conflict", ""},
      {"POST", "/admin/api/orgs/Acme!/credentials", R"({"type":"hits","name":"x"})", 422,
       "invalid_request", "invalid organization"},
      {"POST", "/admin/api/orgs/acme/credentials", "[1,2]", 400, "invalid_json", ""},
      {"POST", "/admin/api/orgs/acme/credentials", "{", 400, "invalid_json", ""},
      {"GET", "/admin/api/orgs/nobody/credentials", "", 404, "not_found", "no organization"},
      {"GET", "/admin/api/orgs/nobody/events", "", 404, "not_found", "no organization"},
      {"GET", "/admin/api/orgs/nobody/audit", "", 404, "not_found", "no organization"},
      {"GET", "/admin/api/credentials/wh_bad", "", 422, "invalid_request", "invalid credential id"},
      {"GET", "/admin/api/credentials/wh_" + std::string(20, 'A'), "", 404, "not_found", ""},
      {"POST", "/admin/api/credentials/" + id + "/rotate", R"({"grace":"8d"})", 422,
       "invalid_request", "longer than 7 days"},
      {"POST", "/admin/api/credentials/" + id + "/rename", R"({"grace":"1h"})", 422,
       "invalid_request", "missing name"},
      {"GET", "/admin/api/orgs/acme/events?limit=0", "", 422, "invalid_request", "invalid limit"},
      {"GET", "/admin/api/orgs/acme/events?type=hits", "", 422, "invalid_request", "invalid type"},
      {"GET", "/admin/api/orgs/acme/events?colour=red", "", 422, "invalid_request",
       "unknown parameter"},
      {"GET", "/admin/api/orgs/acme/events?limit=1&limit=2", "", 422, "invalid_request",
       "repeated"},
      {"GET", "/admin/api/orgs/acme/stats?since=31d", "", 422, "invalid_request",
       "longer than 30d"},
      {"GET", "/admin/api/nothing", "", 404, "not_found", ""},
      {"PUT", "/admin/api/credentials/" + id, "", 405, "method_not_allowed", "GET, HEAD, DELETE"},
      {"GET", "/admin/api/credentials/" + id + "/rotate", "", 405, "method_not_allowed", "POST"},
  };
  for (const Case& c : cases) {
    HttpResponse r = Api(c.method, c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << " " << c.body << "\n" << r.body;
    EXPECT_EQ(r.ErrorCode(), c.code) << c.method << " " << c.path << " " << c.body;
    EXPECT_NE(r.ErrorMessage().find(c.message), std::string::npos)
        << c.method << " " << c.path << " " << c.body << ": " << r.body;
  }
  HttpResponse text = Api("POST", "/admin/api/orgs/acme/credentials", "", "alice", std::nullopt,
                          {{"Content-Type", "text/plain"}});
  EXPECT_EQ(text.status, 422) << text.body;  // no body: the type is missing
  HttpRequest plain;
  plain.method = "POST";
  plain.path = "/admin/api/orgs/acme/credentials";
  plain.body = R"({"type":"hits","name":"x"})";
  plain.headers = {BasicAuth("alice", "alice-pw"),
                   {"X-CSRF-Token", Csrf("alice")},
                   {"Content-Type", "text/plain"}};
  HttpResponse unsupported = Send(stack_.port(), plain);
  EXPECT_EQ(unsupported.status, 415);
  EXPECT_EQ(unsupported.ErrorCode(), "unsupported_media_type");
  // Nothing of the refused requests was stored: shop is alone.
  EXPECT_EQ(json_array_size(Parse(Api("GET", "/admin/api/orgs/acme/credentials").body).get()), 1u);
}

TEST_F(ModuleAdminTest, ChangesNeedTheCsrfTokenFromThisOrigin) {
  const std::string body = R"({"type":"hits","name":"web"})";
  const std::string path = "/admin/api/orgs/acme/credentials";
  const std::string csrf = Csrf("alice");
  const std::string origin = "http://127.0.0.1:" + std::to_string(stack_.port());
  for (const auto& [token, headers] :
       std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>{
           {"", {}},
           {"not-the-token", {}},
           {Csrf("bob"), {}},  // another user's
           {csrf, {{"Origin", "http://evil.example"}}},
           {csrf, {{"Origin", "null"}}},
           {csrf, {{"Sec-Fetch-Site", "cross-site"}}},
           {csrf, {{"Sec-Fetch-Site", "same-site"}}},
       }) {
    HttpResponse r = Api("POST", path, body, "alice", token, headers);
    EXPECT_EQ(r.status, 403) << token << " " << r.body;
    EXPECT_EQ(r.ErrorCode(), "csrf") << r.body;
  }
  HttpResponse refused = Api("DELETE", "/admin/api/credentials/wh_" + std::string(20, 'A'), "",
                             "alice", std::string(""));
  EXPECT_EQ(refused.ErrorCode(), "csrf");
  EXPECT_EQ(json_array_size(Parse(Api("GET", "/admin/api/orgs").body).get()), 0u);
  HttpResponse ok = Api("POST", path, body, "alice", csrf,
                        {{"Origin", origin}, {"Sec-Fetch-Site", "same-origin"}});
  EXPECT_EQ(ok.status, 201) << ok.body;
}

// A CSRF token is for its user at its admin location only: one location's
// token does not make a change at another, even for the same user and the
// same realm, and one user's token does not serve another.
TEST_F(ModuleAdminTest, ACsrfTokenHoldsForItsUserAndLocationOnly) {
  const std::string body = R"({"type":"hits","name":"web"})";
  const std::string at_admin = Csrf("alice", "/admin");
  const std::string at_acme = Csrf("alice", "/admin-acme");
  EXPECT_NE(at_admin, at_acme);
  for (const auto& [path, token] : std::vector<std::pair<std::string, std::string>>{
           {"/admin/api/orgs/acme/credentials", at_acme},
           {"/admin-acme/api/orgs/acme/credentials", at_admin},
           {"/admin-acme/api/orgs/acme/credentials", Csrf("bob", "/admin-acme")},
       }) {
    HttpResponse r = Api("POST", path, body, "alice", token);
    EXPECT_EQ(r.status, 403) << path << " " << r.body;
    EXPECT_EQ(r.ErrorCode(), "csrf") << r.body;
  }
  EXPECT_EQ(json_array_size(Parse(Api("GET", "/admin/api/orgs").body).get()), 0u);
  EXPECT_EQ(Api("POST", "/admin-acme/api/orgs/acme/credentials", body, "alice", at_acme).status,
            201);
  EXPECT_EQ(Api("POST", "/admin/api/orgs/acme/credentials", body, "alice", at_admin).status, 201);
}

// The curl command names this server as configured (ServerName 127.0.0.1
// and the port the request came in on), not the Host header the client
// sent; OnepPublicURL names it explicitly.
TEST_F(ModuleAdminTest, TheCurlCommandNamesTheConfiguredServerNotTheHostHeader) {
  const std::string csrf = Csrf("alice");
  const std::string body = R"({"type":"hits","name":"web"})";
  const std::string request =
      "POST /admin/api/orgs/acme/credentials HTTP/1.1\r\n"
      "Host: evil.example\r\n"
      "Authorization: " +
      BasicAuth("alice", "alice-pw").second +
      "\r\n"
      "X-CSRF-Token: " +
      csrf +
      "\r\n"
      "Content-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  HttpResponse created = SendRaw(stack_.port(), request);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string curl = Str(Parse(created.body), "curl");
  EXPECT_NE(curl.find("'http://127.0.0.1:" + std::to_string(stack_.port()) + "/onep/hits'"),
            std::string::npos)
      << curl;
  EXPECT_EQ(curl.find("evil.example"), std::string::npos) << curl;

  HttpResponse public_url = Api("POST", "/admin-public/api/orgs/acme/credentials", body, "alice",
                                Csrf("alice", "/admin-public"));
  ASSERT_EQ(public_url.status, 201) << public_url.body;
  EXPECT_NE(Str(Parse(public_url.body), "curl").find("'https://hooks.example.com/in/hits'"),
            std::string::npos)
      << public_url.body;

  // A url the client gives is parsed: a newline, a user, a fragment refused.
  for (const char* bad : {"http://127.0.0.1/onep\nX-Evil: 1", "http://user:pw@127.0.0.1/onep",
                          "http://127.0.0.1/onep#x", "javascript://x", "http:///onep"}) {
    JsonPtr input(json_pack("{s:s, s:s, s:s}", "type", "hits", "name", "web", "url", bad));
    HttpResponse r = Api("POST", "/admin/api/orgs/acme/credentials", JsonDump(input.get()));
    EXPECT_EQ(r.status, 422) << bad << " " << r.body;
    EXPECT_EQ(r.ErrorCode(), "invalid_request") << r.body;
  }
}

TEST_F(ModuleAdminTest, OnepAdminOrgsLimitsTheOrgsALocationServes) {
  JsonPtr acme = Create("acme", R"({"type":"hits","name":"a"})");
  JsonPtr other = Create("other", R"({"type":"hits","name":"o"})");
  const std::string other_id = Str(other, "id");
  const std::string other_token = Str(other, "token");
  JsonPtr orgs = Parse(Api("GET", "/admin-acme/api/orgs").body);
  ASSERT_EQ(json_array_size(orgs.get()), 1u) << JsonDump(orgs.get());
  EXPECT_STREQ(json_string_value(json_object_get(json_array_get(orgs.get(), 0), "org")), "acme");
  EXPECT_EQ(json_array_size(Parse(Api("GET", "/admin/api/orgs").body).get()), 2u);
  for (const char* route : {"credentials", "events", "stats", "audit"}) {
    HttpResponse r = Api("GET", std::string("/admin-acme/api/orgs/other/") + route);
    EXPECT_EQ(r.status, 403) << route;
    EXPECT_EQ(r.ErrorCode(), "forbidden") << r.body;
  }
  HttpResponse create =
      Api("POST", "/admin-acme/api/orgs/other/credentials", R"({"type":"hits","name":"x"})");
  EXPECT_EQ(create.ErrorCode(), "forbidden");
  // Another org's credential is not found here, and stays as it is.
  EXPECT_EQ(Api("GET", "/admin-acme/api/credentials/" + other_id).ErrorCode(), "not_found");
  EXPECT_EQ(Api("POST", "/admin-acme/api/credentials/" + other_id + "/rotate", "{}").ErrorCode(),
            "not_found");
  EXPECT_EQ(Api("DELETE", "/admin-acme/api/credentials/" + other_id).ErrorCode(), "not_found");
  EXPECT_EQ(Post(other_token), 202);
  EXPECT_EQ(Api("GET", "/admin-acme/api/credentials/" + Str(acme, "id")).status, 200);
}

// Redis unavailable: 503 with a message that names no address, only the
// log line and the request to look for; the error log has the cause. Both
// before any child has checked the keyspace layout (ONEP0111) and after
// (ONEP0115).
TEST_F(ModuleAdminTest, AStoppedRedisIs503WithoutItsAddress) {
  ONEP_SINGLE_REDIS_ONLY("it stops the one Redis server");
  const std::string port = std::to_string(stack_.redis().server().port());
  auto expect_generic = [&](const HttpResponse& r, const char* log_id) {
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.ErrorCode(), "store_unavailable") << r.body;
    EXPECT_EQ(r.Header("Retry-After"), "1");
    for (const std::string& secret : {std::string("127.0.0.1"), port, std::string("redis://"),
                                      std::string("redis"), std::string("onep:")}) {
      EXPECT_EQ(r.body.find(secret), std::string::npos) << secret << " in " << r.body;
    }
    const std::string message = r.ErrorMessage();
    const std::string prefix = "the store is unavailable; see the server's error log (" +
                               std::string(log_id) + ", request ";
    ASSERT_EQ(message.rfind(prefix, 0), 0u) << message;
    const std::string request_id =
        message.substr(prefix.size(), message.size() - prefix.size() - 1);
    EXPECT_FALSE(request_id.empty()) << message;
    // The error log's line for that request has the cause: Redis' address.
    const std::string log = stack_.apache().ErrorLog();
    const auto line_at = log.find("(request " + request_id + ")");
    ASSERT_NE(line_at, std::string::npos) << request_id << "\n" << log;
    const std::string line = log.substr(log.rfind('\n', line_at) + 1,
                                        log.find('\n', line_at) - log.rfind('\n', line_at));
    EXPECT_NE(line.find(std::string(log_id) + ": admin"), std::string::npos) << line;
    EXPECT_NE(line.find("127.0.0.1:" + port), std::string::npos) << line;
  };
  stack_.redis().server().Stop();
  expect_generic(Api("GET", "/admin-acme/api/orgs/acme/credentials"), "ONEP0111");
  stack_.redis().server().Start();
  Create("acme", R"({"type":"hits","name":"a"})");  // every child that served has checked
  stack_.Disconnect();
  stack_.redis().server().Stop();
  // Until each child that answers has checked the layout, either id may
  // answer; a checked child answers ONEP0115. Ask until one has.
  bool seen_checked = false;
  for (int i = 0; i < 20 && !seen_checked; ++i) {
    HttpResponse r = Api("GET", "/admin-acme/api/orgs/acme/credentials");
    seen_checked = r.ErrorMessage().find("ONEP0115") != std::string::npos;
    expect_generic(r, seen_checked ? "ONEP0115" : "ONEP0111");
  }
  EXPECT_TRUE(seen_checked);
  stack_.redis().server().Start();
}

TEST(ModuleAdminConfigTest, OnepAdminOrgsIsCheckedByConfigtest) {
  ApacheOptions bad;
  bad.location_directives = {"OnepAdminOrgs acme Not_An_Org"};
  RunResult r = ApacheConfigTest(bad);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("OnepAdminOrgs"), std::string::npos) << r.out << r.err;
  ApacheOptions server_level;
  server_level.server_directives = {"OnepAdminOrgs acme"};
  EXPECT_NE(ApacheConfigTest(server_level).exit_code, 0);
  ApacheOptions good;
  good.location_directives = {"OnepAdminOrgs acme beta"};
  RunResult fine = ApacheConfigTest(good);
  EXPECT_EQ(fine.exit_code, 0) << fine.out << fine.err;
}

TEST_F(ModuleAdminTest, AppsMonitorsAndIncidentsAreOnepctlsAndAMonitorChangeIsAudited) {
  const std::string token = Str(Create("acme", R"({"type":"hits","name":"probe"})"), "token");
  // "web" goes down, "api" stays up: the list is down first, not by name.
  ASSERT_EQ(PostJson(stack_.port(), "/onep/hits", token, R"({"app":"api"})").status, 202);
  ASSERT_EQ(PostJson(stack_.port(), "/onep/hits", token, R"({"app":"web"})").status, 202);
  ASSERT_EQ(PostJson(stack_.port(), "/onep/failures", token, R"({"app":"web","error":"x"})").status,
            202);
  HttpResponse apps = Api("GET", "/admin/api/orgs/acme/apps");
  ASSERT_EQ(apps.status, 200) << apps.body;
  JsonPtr list = Parse(apps.body);
  ASSERT_EQ(json_array_size(list.get()), 2u);
  EXPECT_EQ(json_string_value(json_object_get(json_array_get(list.get(), 0), "app")),
            std::string("web"));
  EXPECT_EQ(json_string_value(json_object_get(json_array_get(list.get(), 0), "state")),
            std::string("down"));
  ExpectSameJson(list, Cli({"apps", "--org", "acme"}));
  ExpectSameJson(Parse(Api("GET", "/admin/api/orgs/acme/apps/web").body),
                 Cli({"monitor", "acme", "web"}));
  JsonPtr incidents = Parse(Api("GET", "/admin/api/orgs/acme/incidents?app=web&open").body);
  ASSERT_EQ(json_array_size(incidents.get()), 1u);
  ExpectSameJson(incidents, Cli({"incidents", "--org", "acme", "--app", "web", "--open"}));
  ExpectSameJson(Parse(Api("GET", "/admin/api/orgs/acme/incidents?open=false&limit=5").body),
                 Cli({"incidents", "--org", "acme", "--limit", "5"}));
  JsonPtr none = Parse(Api("GET", "/admin/api/orgs/acme/incidents?app=api&open=true").body);
  EXPECT_EQ(json_array_size(none.get()), 0u);

  // A change: numbers and booleans as JSON has them; the answer is the app after it.
  HttpResponse changed = Api("PATCH", "/admin/api/orgs/acme/apps/web",
                             R"({"failures_to_open":3,"severity":"sev2","paused":true})", "bob");
  ASSERT_EQ(changed.status, 200) << changed.body;
  JsonPtr after = Parse(changed.body);
  EXPECT_EQ(json_integer_value(json_object_get(after.get(), "failures_to_open")), 3);
  EXPECT_EQ(Str(after, "severity"), "sev2");
  EXPECT_TRUE(json_is_true(json_object_get(after.get(), "paused")));
  ExpectSameJson(after, Cli({"monitor", "acme", "web"}));
  // Audited with the signed-in user as the actor, and what was set.
  JsonPtr audit = Parse(Api("GET", "/admin/api/orgs/acme/audit").body);
  const json_t* last = json_array_get(audit.get(), json_array_size(audit.get()) - 1);
  EXPECT_STREQ(json_string_value(json_object_get(last, "action")), "monitor");
  EXPECT_STREQ(json_string_value(json_object_get(last, "actor")), "bob");
  EXPECT_STREQ(json_string_value(json_object_get(last, "app")), "web");
  EXPECT_EQ(
      json_integer_value(json_object_get(json_object_get(last, "changes"), "failures_to_open")), 3)
      << JsonDump(last);

  // The timeline: every hour of the window, this hour's counts last.
  JsonPtr hours = Parse(Api("GET", "/admin/api/orgs/acme/apps/web/timeline?since=24h").body);
  ASSERT_GE(json_array_size(hours.get()), 25u);
  ASSERT_LE(json_array_size(hours.get()), 26u);
  const json_t* now_hour = json_array_get(hours.get(), json_array_size(hours.get()) - 1);
  EXPECT_EQ(json_integer_value(json_object_get(now_hour, "hits")), 1) << JsonDump(now_hour);
  EXPECT_EQ(json_integer_value(json_object_get(now_hour, "failures")), 1);
}

TEST_F(ModuleAdminTest, AMonitorChangeGetsTheMonitorsRangesAndCodes) {
  const std::string token = Str(Create("acme", R"({"type":"hits","name":"probe"})"), "token");
  ASSERT_EQ(PostJson(stack_.port(), "/onep/hits", token, R"({"app":"web"})").status, 202);
  struct Case {
    const char* method;
    const char* path;
    const char* body;
    int status;
    const char* code;
    const char* message;
  };
  const Case cases[] = {
      {"PATCH", "/admin/api/orgs/acme/apps/web", R"({"failures_to_open":0})", 422,
       "invalid_request",
       R"(invalid failures_to_open \"0\": it must be a whole number from 1 to 100)"},
      {"PATCH", "/admin/api/orgs/acme/apps/web", R"({"hits_to_close":101})", 422, "invalid_request",
       "hits_to_close"},
      {"PATCH", "/admin/api/orgs/acme/apps/web", R"({"severity":"sev9"})", 422, "invalid_request",
       "use sev1"},
      {"PATCH", "/admin/api/orgs/acme/apps/web", R"({"expect_every":"10s"})", 422,
       "invalid_request", "invalid expect_every"},
      {"PATCH", "/admin/api/orgs/acme/apps/web", R"({"paused":"yes"})", 422, "invalid_request",
       "paused"},
      {"PATCH", "/admin/api/orgs/acme/apps/web", R"({"failures_to_open":1.5})", 422,
       "invalid_request", "whole number"},
      {"PATCH", "/admin/api/orgs/acme/apps/web", R"({"colour":"red"})", 422, "invalid_request",
       "unknown field"},
      {"PATCH", "/admin/api/orgs/acme/apps/web", "{}", 422, "invalid_request", "nothing to change"},
      {"PATCH", "/admin/api/orgs/acme/apps/web", "[1", 400, "invalid_json", "JSON object"},
      {"PATCH", "/admin/api/orgs/acme/apps/nope", R"({"hits_to_close":2})", 404, "not_found", ""},
      {"PATCH", "/admin/api/orgs/nobody/apps/web", R"({"hits_to_close":2})", 404, "not_found", ""},
      {"PATCH", "/admin/api/orgs/acme/apps/Bad_App", R"({"hits_to_close":2})", 422,
       "invalid_request", "app"},
      {"GET", "/admin/api/orgs/acme/apps/nope", "", 404, "not_found", ""},
      {"GET", "/admin/api/orgs/nobody/apps", "", 404, "not_found", ""},
      {"GET", "/admin/api/orgs/nobody/incidents", "", 404, "not_found", ""},
      {"GET", "/admin/api/orgs/acme/incidents?open=maybe", "", 422, "invalid_request", "open"},
      {"GET", "/admin/api/orgs/acme/incidents?limit=0", "", 422, "invalid_request", "limit"},
      {"GET", "/admin/api/orgs/acme/apps/web/timeline?since=31d", "", 422, "invalid_request",
       "30d"},
      {"DELETE", "/admin/api/orgs/acme/apps/web", "", 405, "method_not_allowed", "PATCH"},
  };
  for (const Case& c : cases) {
    HttpResponse r = Api(c.method, c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << " " << c.body << ": " << r.body;
    EXPECT_EQ(r.ErrorCode(), c.code) << c.path << " " << c.body << ": " << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.body << ": " << r.body;
  }
  // Without the CSRF token a change is refused, and nothing changed.
  EXPECT_EQ(
      Api("PATCH", "/admin/api/orgs/acme/apps/web", R"({"hits_to_close":2})", "alice", "").status,
      403);
  EXPECT_EQ(json_integer_value(json_object_get(
                Parse(Api("GET", "/admin/api/orgs/acme/apps/web").body).get(), "hits_to_close")),
            1);
  // Another location's org is forbidden.
  EXPECT_EQ(Api("PATCH", "/admin-acme/api/orgs/other/apps/web", R"({"hits_to_close":2})").status,
            403);
}

}  // namespace
}  // namespace onep::testing
