// SPDX-License-Identifier: Apache-2.0
// The admin API's notification routes on the real module: each route's
// status and body, the same JSON as onepctl's --json, the CSRF defence, the
// cap of endpoints, http:// refused unless OnepNotifyAllowHttp On, no
// endpoint without OnepSecretKeyFile, OnepAdminOrgs, the audit actor, and
// the secret shown once and never again.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "onep/json.h"
#include "support/admin_site.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/process.h"

namespace onep::testing {
namespace {

constexpr const char* kKeyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
// A loopback address: the deliverer refuses it (no OnepNotifyAllowPrivate),
// so its one delivery is a "failed" that never changes.
constexpr const char* kUrl = "https://127.0.0.1:9/hooks/onep";

JsonPtr Parse(const std::string& text) {
  JsonPtr value(json_loads(text.c_str(), 0, nullptr));
  EXPECT_TRUE(value) << text;
  return value;
}

std::string Str(const json_t* object, const char* key) {
  const char* value = json_string_value(json_object_get(object, key));
  return value ? value : "";
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

struct Server {
  bool key_file = true;
  bool allow_http = false;
};

class ModuleNotifyAdminTest : public ::testing::Test {
 protected:
  ModuleNotifyAdminTest()
      : passwords_({std::make_pair(std::string("alice"), std::string("alice-pw"))}),
        dir_(MakeTempDir("notifyadmin")) {
    key_file_ = dir_ + "/secret.key";
    WriteFile(key_file_, std::string(kKeyHex) + "\n");
    chmod(key_file_.c_str(), 0600);
  }
  ~ModuleNotifyAdminTest() override {
    stack_.reset();
    RemoveTree(dir_);
  }

  void Start(Server server = {}) {
    ApacheOptions options;
    if (server.key_file) options.server_directives.push_back("OnepSecretKeyFile " + key_file_);
    if (server.allow_http) options.server_directives.push_back("OnepNotifyAllowHttp On");
    options.extra_config = BasicAuthModules() + AdminLocation("/admin", passwords_.path()) +
                           AdminLocation("/admin-acme", passwords_.path(), {"OnepAdminOrgs acme"});
    stack_ = std::make_unique<OnepStack>(options);
    ASSERT_TRUE(stack_->Start());
    // An org exists once it has a credential.
    stack_->Create("acme", "hits", "web");
    stack_->Create("other", "hits", "web");
  }

  // As alice, with the CSRF token of the path's admin location on changes
  // unless `csrf` says otherwise ("" for none).
  HttpResponse Api(const std::string& method, const std::string& path, const std::string& body = "",
                   std::optional<std::string> csrf = std::nullopt) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.headers.push_back(BasicAuth("alice", "alice-pw"));
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    if (method != "GET") {
      const std::string token = csrf ? *csrf : Csrf(path.substr(0, path.find("/api/")));
      if (!token.empty()) request.headers.emplace_back("X-CSRF-Token", token);
    }
    return Send(stack_->port(), request);
  }

  std::string Csrf(const std::string& at) {
    HttpResponse session = Api("GET", at + "/api/session");
    EXPECT_EQ(session.status, 200) << session.body;
    return session.JsonString("csrf");
  }

  HttpResponse Add(const std::string& org, const std::string& url,
                   const std::string& at = "/admin") {
    return Api("POST", at + "/api/orgs/" + org + "/notify", R"({"url":")" + url + R"("})");
  }

  JsonPtr Cli(std::vector<std::string> args) {
    args.insert(args.begin(), ONEPCTL_PATH);
    args.push_back("--json");
    RunResult r = ::onep::testing::Run(
        args, {{"ONEP_REDIS_URL", stack_->redis().url()}, {"ONEP_KEY_PREFIX", "onep:"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Parse(r.out);
  }

  void ExpectSameJson(const JsonPtr& api, const JsonPtr& cli) {
    EXPECT_TRUE(json_equal(api.get(), cli.get()))
        << "API: " << JsonDump(api.get()) << "\nCLI: " << JsonDump(cli.get());
  }

  PasswordFile passwords_;
  std::string dir_;
  std::string key_file_;
  std::unique_ptr<OnepStack> stack_;
};

TEST_F(ModuleNotifyAdminTest, EachRouteAnswersAsOnepctlDoesAndTheSecretIsShownOnce) {
  Start();
  HttpResponse added = Add("acme", kUrl);
  ASSERT_EQ(added.status, 201) << added.body;
  JsonPtr endpoint = Parse(added.body);
  const std::string id = Str(endpoint.get(), "id");
  const std::string secret = Str(endpoint.get(), "secret");
  EXPECT_EQ(id.rfind("ne_", 0), 0u) << added.body;
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u) << added.body;
  EXPECT_EQ(Str(endpoint.get(), "org"), "acme");
  EXPECT_EQ(Str(endpoint.get(), "url"), kUrl);
  EXPECT_FALSE(Str(endpoint.get(), "created_at").empty()) << added.body;
  EXPECT_EQ(json_object_size(endpoint.get()), 5u) << added.body;

  // The list: the endpoint, never its secret; the same as onepctl's.
  HttpResponse list = Api("GET", "/admin/api/orgs/acme/notify");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(secret), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find("\"secret\""), std::string::npos) << list.body;
  JsonPtr listed = Parse(list.body);
  ASSERT_EQ(json_array_size(listed.get()), 1u) << list.body;
  EXPECT_EQ(Str(json_array_get(listed.get(), 0), "id"), id);
  ExpectSameJson(listed, Cli({"notify", "list", "--org", "acme"}));

  // A test: 202 and the outbox entry's id, which is in the org's outbox.
  HttpResponse test = Api("POST", "/admin/api/notify/" + id + "/test");
  ASSERT_EQ(test.status, 202) << test.body;
  const std::string outbox_id = test.JsonString("outbox_id");
  const std::string outbox = "onep:{" + stack_->Tag("acme") + "}:outbox";
  auto entry = stack_->redis().Command(outbox, {"XRANGE", outbox, outbox_id, outbox_id});
  ASSERT_TRUE(entry.ok());
  ASSERT_EQ(entry->elements.size(), 1u) << outbox_id;

  // Its delivery (refused: a loopback address), newest first, as onepctl's.
  HttpResponse deliveries;
  ASSERT_TRUE(WaitUntil(
      [&] {
        deliveries = Api("GET", "/admin/api/orgs/acme/deliveries");
        return deliveries.status == 200 && deliveries.body.find("\"failed\"") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << deliveries.status << " " << deliveries.body;
  JsonPtr delivered = Parse(deliveries.body);
  ASSERT_EQ(json_array_size(delivered.get()), 1u) << deliveries.body;
  const json_t* d = json_array_get(delivered.get(), 0);
  EXPECT_EQ(Str(d, "endpoint"), id);
  EXPECT_EQ(Str(d, "type"), "test");
  ExpectSameJson(delivered, Cli({"deliveries", "--org", "acme"}));
  HttpResponse filtered = Api("GET", "/admin/api/orgs/acme/deliveries?endpoint=" + id + "&limit=1");
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  ExpectSameJson(Parse(filtered.body),
                 Cli({"deliveries", "--org", "acme", "--endpoint", id, "--limit", "1"}));
  HttpResponse bad = Api("GET", "/admin/api/orgs/acme/deliveries?endpoint=cr_nope");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.ErrorCode(), "invalid_request");
  EXPECT_EQ(Api("GET", "/admin/api/orgs/acme/deliveries?limit=0").status, 422);
  EXPECT_EQ(Api("GET", "/admin/api/orgs/nosuchorg/deliveries").status, 404);

  // Removed: 204, then gone (404), and the list is empty.
  HttpResponse removed = Api("DELETE", "/admin/api/notify/" + id);
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_EQ(removed.body, "");
  HttpResponse again = Api("DELETE", "/admin/api/notify/" + id);
  EXPECT_EQ(again.status, 404) << again.body;
  EXPECT_EQ(again.ErrorCode(), "not_found");
  EXPECT_EQ(Api("POST", "/admin/api/notify/" + id + "/test").status, 404);
  EXPECT_EQ(Api("GET", "/admin/api/orgs/acme/notify").body, "[]");

  // The audit trail has the three changes, by the Apache user.
  const std::string audit = "onep:{" + stack_->Tag("acme") + "}:audit";
  auto trail = stack_->redis().Command(audit, {"XRANGE", audit, "-", "+"});
  ASSERT_TRUE(trail.ok());
  std::vector<std::pair<std::string, std::string>> actions;  // action, actor
  for (const Reply& e : trail->elements) {
    std::string action, actor;
    const auto& fields = e.elements[1].elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "action") action = fields[i + 1].str;
      if (fields[i].str == "actor") actor = fields[i + 1].str;
      EXPECT_EQ(fields[i + 1].str.find(secret), std::string::npos);
    }
    if (action.rfind("notify_", 0) == 0) actions.emplace_back(action, actor);
  }
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"notify_add", "alice"}, {"notify_test", "alice"}, {"notify_remove", "alice"}};
  EXPECT_EQ(actions, expected);
  // Nor did the secret reach a log line.
  EXPECT_EQ(stack_->apache().ErrorLog().find(secret), std::string::npos);
}

TEST_F(ModuleNotifyAdminTest, EveryChangeNeedsTheCsrfToken) {
  Start();
  HttpResponse added = Add("acme", kUrl);
  ASSERT_EQ(added.status, 201) << added.body;
  const std::string id = added.JsonString("id");
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/admin/api/orgs/acme/notify"},
           {"DELETE", "/admin/api/notify/" + id},
           {"POST", "/admin/api/notify/" + id + "/test"}}) {
    const std::string body =
        path.find("/orgs/") != std::string::npos ? R"({"url":"https://192.0.2.11/x"})" : "";
    HttpResponse refused = Api(method, path, body, "");
    EXPECT_EQ(refused.status, 403) << method << " " << path << " " << refused.body;
    EXPECT_EQ(refused.ErrorCode(), "csrf") << refused.body;
  }
  // Nothing changed.
  JsonPtr listed = Parse(Api("GET", "/admin/api/orgs/acme/notify").body);
  ASSERT_EQ(json_array_size(listed.get()), 1u);
  EXPECT_EQ(Str(json_array_get(listed.get(), 0), "id"), id);
}

TEST_F(ModuleNotifyAdminTest, TheEleventhEndpointIsAConflict) {
  Start();
  for (int i = 0; i < 10; ++i) {
    HttpResponse added = Add("acme", "https://192.0.2.20/hook/" + std::to_string(i));
    ASSERT_EQ(added.status, 201) << i << " " << added.body;
  }
  HttpResponse eleventh = Add("acme", "https://192.0.2.20/hook/10");
  EXPECT_EQ(eleventh.status, 409) << eleventh.body;
  EXPECT_EQ(eleventh.ErrorCode(), "conflict");
  EXPECT_NE(eleventh.ErrorMessage().find("10 notification endpoints already"), std::string::npos)
      << eleventh.body;
  EXPECT_EQ(json_array_size(Parse(Api("GET", "/admin/api/orgs/acme/notify").body).get()), 10u);
}

TEST_F(ModuleNotifyAdminTest, HttpIsRefusedUnlessTheServerAllowsIt) {
  Start();
  HttpResponse refused = Add("acme", "http://192.0.2.30/hook");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(refused.ErrorCode(), "invalid_request");
  EXPECT_NE(refused.ErrorMessage().find("OnepNotifyAllowHttp On"), std::string::npos)
      << refused.body;
  EXPECT_EQ(refused.ErrorMessage().find("--allow-http"), std::string::npos) << refused.body;
  HttpResponse missing = Api("POST", "/admin/api/orgs/acme/notify", R"({"url":""})");
  EXPECT_EQ(missing.status, 422) << missing.body;
  HttpResponse unknown =
      Api("POST", "/admin/api/orgs/acme/notify", R"({"url":"https://192.0.2.30/","x":"y"})");
  EXPECT_EQ(unknown.status, 422) << unknown.body;
  EXPECT_EQ(Api("GET", "/admin/api/orgs/acme/notify").body, "[]");

  stack_.reset();
  Start({.key_file = true, .allow_http = true});
  HttpResponse allowed = Add("acme", "http://192.0.2.30/hook");
  EXPECT_EQ(allowed.status, 201) << allowed.body;
  EXPECT_EQ(allowed.JsonString("url"), "http://192.0.2.30/hook");
}

TEST_F(ModuleNotifyAdminTest, WithoutASecretKeyFileNoEndpointIsAdded) {
  Start({.key_file = false, .allow_http = false});
  HttpResponse refused = Add("acme", kUrl);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.ErrorCode(), "conflict");
  EXPECT_NE(refused.ErrorMessage().find("no OnepSecretKeyFile"), std::string::npos) << refused.body;
  EXPECT_EQ(Api("GET", "/admin/api/orgs/acme/notify").body, "[]");
}

TEST_F(ModuleNotifyAdminTest, AnEndpointOfAnOrgTheLocationDoesNotServeIsNotFound) {
  Start();
  HttpResponse added = Add("other", kUrl);
  ASSERT_EQ(added.status, 201) << added.body;
  const std::string id = added.JsonString("id");
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"DELETE", "/admin-acme/api/notify/" + id},
           {"POST", "/admin-acme/api/notify/" + id + "/test"}}) {
    HttpResponse hidden = Api(method, path);
    EXPECT_EQ(hidden.status, 404) << method << " " << path << " " << hidden.body;
    EXPECT_EQ(hidden.ErrorCode(), "not_found") << hidden.body;
  }
  // The org's own routes are refused as every org route is there.
  EXPECT_EQ(Api("GET", "/admin-acme/api/orgs/other/notify").status, 403);
  EXPECT_EQ(Api("GET", "/admin-acme/api/orgs/other/deliveries").status, 403);
  EXPECT_EQ(Add("other", kUrl, "/admin-acme").status, 403);
  // The endpoint is still there, untested.
  JsonPtr listed = Parse(Api("GET", "/admin/api/orgs/other/notify").body);
  ASSERT_EQ(json_array_size(listed.get()), 1u);
  const std::string outbox = "onep:{" + stack_->Tag("other") + "}:outbox";
  auto length = stack_->redis().Command(outbox, {"XLEN", outbox});
  ASSERT_TRUE(length.ok());
  EXPECT_EQ(length->integer, 0);
  // Where the org is served, the same endpoint is removed.
  EXPECT_EQ(Api("DELETE", "/admin/api/notify/" + id).status, 204);
}

}  // namespace
}  // namespace onep::testing
