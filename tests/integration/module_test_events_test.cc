// SPDX-License-Identifier: Apache-2.0
// Test events ("test": true) through the real module and onepctl: recorded in
// the stream and listed, but never counted in stats, apps, monitors,
// incidents or the deploy index; and the curl commands onepctl prints post
// exactly such events.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "onep/json.h"
#include "onep/keys.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/process.h"

namespace onep::testing {
namespace {

constexpr const char kTestNote[] =
    "test event: recorded and listed in events; not counted in stats, monitors or incidents";

JsonPtr Parse(const std::string& text) {
  JsonPtr value(json_loads(text.c_str(), 0, nullptr));
  EXPECT_TRUE(value) << text;
  return value;
}

std::string Str(const json_t* object, const char* key) {
  const char* value = json_string_value(json_object_get(object, key));
  return value ? value : "";
}

class ModuleTestEventsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(stack_.Start()); }

  HttpResponse Post(const std::string& route, const std::string& token, const std::string& body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    return PostJson(stack_.port(), stack_.path(route), token, body, std::move(headers));
  }

  RunResult Onepctl(std::vector<std::string> args) {
    args.insert(args.begin(), ONEPCTL_PATH);
    return ::onep::testing::Run(
        args, {{"ONEP_REDIS_URL", stack_.redis().url()}, {"ONEP_KEY_PREFIX", "onep:"}});
  }

  // onepctl's --json output for `args`, parsed.
  JsonPtr Cli(std::vector<std::string> args) {
    args.push_back("--json");
    RunResult r = Onepctl(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Parse(r.out);
  }

  // The exact 202 body of an accepted test event.
  static void ExpectTestAccepted(const HttpResponse& r, const std::string& credential) {
    ASSERT_EQ(r.status, 202) << r.body << r.error;
    const std::string id = r.JsonString("id");
    EXPECT_FALSE(id.empty()) << r.body;
    EXPECT_EQ(r.body, "{\"ok\":true,\"id\":\"" + id + "\",\"credential\":\"" + credential +
                          "\",\"test\":true,\"note\":\"" + kTestNote + "\"}");
  }

  // The names of acme's apps, as `onepctl apps --json` lists them.
  std::vector<std::string> AppNames() {
    JsonPtr apps = Cli({"apps", "--org", "acme"});
    std::vector<std::string> names;
    for (std::size_t i = 0; i < json_array_size(apps.get()); ++i) {
      names.push_back(Str(json_array_get(apps.get(), i), "app"));
    }
    return names;
  }

  // The size of one of acme's keys (ZCARD or HLEN).
  long long Size(const char* command, const std::string& key) {
    auto reply = stack_.redis().Command(key, {command, key});
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? reply->integer : -1;
  }

  OnepStack stack_;
  KeySpace keys_{"onep:"};
};

TEST_F(ModuleTestEventsTest, ATestHitOfAnUnboundCredentialIsListedAndCountedNowhere) {
  auto worker = stack_.Create("acme", "hits");
  ASSERT_EQ(Post("/hits", worker.token, R"({"app":"web","count":2})").status, 202);
  const std::string stats_before = JsonDump(Cli({"stats", "--org", "acme"}).get());
  ASSERT_NE(stats_before.find("\"hits\":2"), std::string::npos) << stats_before;
  ASSERT_EQ(AppNames(), std::vector<std::string>{"web"});

  auto probe = stack_.Create("acme", "hits");
  const std::string probe_id = probe.credential.id;
  EXPECT_TRUE(json_is_null(json_object_get(Cli({"show", probe_id}).get(), "last_used_at")));

  // No app: a test event needs none. A failure naming an app creates none.
  auto hit = Post("/hits", probe.token, R"({"test":true})");
  ExpectTestAccepted(hit, probe_id);
  auto failure = Post("/failures", probe.token, R"({"test":true,"app":"shop","error":"t"})");
  ExpectTestAccepted(failure, probe_id);

  // Listed, with "test": true among the event's keys.
  JsonPtr events = Cli({"events", "--org", "acme"});
  ASSERT_EQ(json_array_size(events.get()), 3u) << JsonDump(events.get());
  const json_t* listed_hit = json_array_get(events.get(), 1);
  EXPECT_EQ(Str(listed_hit, "id"), hit.JsonString("id"));
  EXPECT_EQ(Str(listed_hit, "type"), "hit");
  EXPECT_TRUE(json_is_null(json_object_get(listed_hit, "app")));
  EXPECT_TRUE(json_is_true(json_object_get(listed_hit, "test")));
  const json_t* listed_failure = json_array_get(events.get(), 2);
  EXPECT_EQ(Str(listed_failure, "type"), "failure");
  EXPECT_EQ(Str(listed_failure, "app"), "shop");
  EXPECT_TRUE(json_is_true(json_object_get(listed_failure, "test")));
  EXPECT_EQ(json_object_get(json_array_get(events.get(), 0), "test"), nullptr);

  // The table marks them.
  RunResult table = Onepctl({"events", "--org", "acme"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(" test count=1\n"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(" test count=1 error=t\n"), std::string::npos) << table.out;

  // Used, but counted nowhere: stats, apps, incidents, insights.
  EXPECT_FALSE(json_is_null(json_object_get(Cli({"show", probe_id}).get(), "last_used_at")));
  EXPECT_EQ(JsonDump(Cli({"stats", "--org", "acme"}).get()), stats_before);
  EXPECT_EQ(AppNames(), std::vector<std::string>{"web"});
  EXPECT_EQ(Size("HLEN", keys_.AppsSeen(stack_.Tag("acme"))), 1);
  EXPECT_EQ(json_array_size(Cli({"incidents", "--org", "acme"}).get()), 0u);
  JsonPtr insights = Cli({"insights", "--org", "acme"});
  ASSERT_EQ(json_array_size(insights.get()), 1u) << JsonDump(insights.get());
  EXPECT_EQ(json_integer_value(json_object_get(json_array_get(insights.get(), 0), "hits")), 2);
  EXPECT_EQ(json_integer_value(json_object_get(json_array_get(insights.get(), 0), "failures")), 0);
}

TEST_F(ModuleTestEventsTest, ATestFailureOpensNoIncidentAndATestHitResolvesNone) {
  auto web = stack_.Create("acme", "hits", "web");
  ASSERT_EQ(
      json_integer_value(json_object_get(
          Cli({"monitor", "acme", "web", "--failures-to-open", "1"}).get(), "failures_to_open")),
      1);
  ExpectTestAccepted(Post("/failures", web.token, R"({"test":true,"error":"test failure"})"),
                     web.credential.id);
  EXPECT_EQ(json_array_size(Cli({"incidents", "--org", "acme"}).get()), 0u);
  JsonPtr app = Cli({"monitor", "acme", "web"});
  EXPECT_EQ(Str(app.get(), "state"), "new") << JsonDump(app.get());
  EXPECT_TRUE(json_is_null(json_object_get(app.get(), "last_event_at"))) << JsonDump(app.get());

  // A real failure opens one (the monitor was armed); a test hit resolves nothing.
  ASSERT_EQ(Post("/failures", web.token, R"({"error":"boom"})").status, 202);
  JsonPtr incidents = Cli({"incidents", "--org", "acme"});
  ASSERT_EQ(json_array_size(incidents.get()), 1u);
  ExpectTestAccepted(Post("/hits", web.token, R"({"test":true})"), web.credential.id);
  EXPECT_EQ(Str(Cli({"monitor", "acme", "web"}).get(), "state"), "down");
  incidents = Cli({"incidents", "--org", "acme", "--open"});
  EXPECT_EQ(json_array_size(incidents.get()), 1u);
  std::vector<std::string> types;
  for (const StoredEvent& e : stack_.Events("acme")) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::string>{"failure", "failure", "incident_opened", "hit"}));
}

TEST_F(ModuleTestEventsTest, ATestDeployIsNotIndexedAndLeavesItsDeployIdToARealOne) {
  auto shop = stack_.Create("acme", "deploy", "shop");
  const std::string tag = stack_.Tag("acme");
  // No version needed; the deploy_id is neither checked nor remembered.
  auto first = Post("/deploys", shop.token, R"({"test":true,"deploy_id":"d-1"})");
  ExpectTestAccepted(first, shop.credential.id);
  auto again = Post("/deploys", shop.token, R"({"test":true,"deploy_id":"d-1"})");
  ExpectTestAccepted(again, shop.credential.id);
  EXPECT_NE(again.JsonString("id"), first.JsonString("id"));
  EXPECT_EQ(Size("ZCARD", keys_.DeployIndex(tag)), 0);
  EXPECT_EQ(Size("HLEN", keys_.DeployIds(tag)), 0);
  EXPECT_TRUE(json_is_null(json_object_get(Cli({"monitor", "acme", "shop"}).get(), "last_deploy")));
  EXPECT_EQ(JsonDump(Cli({"stats", "--org", "acme"}).get()), "[]");

  auto real = Post("/deploys", shop.token, R"({"version":"1.0.0","deploy_id":"d-1"})");
  ASSERT_EQ(real.status, 202) << real.body;
  EXPECT_EQ(real.body, "{\"ok\":true,\"id\":\"" + real.JsonString("id") + "\",\"credential\":\"" +
                           shop.credential.id + "\"}");
  EXPECT_EQ(Size("ZCARD", keys_.DeployIndex(tag)), 1);
  JsonPtr last = Cli({"monitor", "acme", "shop"});
  EXPECT_EQ(Str(json_object_get(last.get(), "last_deploy"), "version"), "1.0.0");
  // The real one's deploy_id is remembered: its retry is a duplicate.
  auto retry = Post("/deploys", shop.token, R"({"version":"1.0.0","deploy_id":"d-1"})");
  EXPECT_NE(retry.body.find("\"duplicate\":true"), std::string::npos) << retry.body;
  EXPECT_EQ(retry.JsonString("id"), real.JsonString("id"));
}

TEST_F(ModuleTestEventsTest, TheTestFlagIsABooleanAndFalseIsAsIfAbsent) {
  auto probe = stack_.Create("acme", "hits");
  for (const char* body : {R"({"test":"yes"})", R"({"test":1})", R"({"test":null})"}) {
    HttpResponse r = Post("/hits", probe.token, body);
    EXPECT_EQ(r.status, 422) << body << r.body;
    EXPECT_EQ(r.ErrorCode(), "invalid_event") << r.body;
    EXPECT_NE(r.body.find("test must be true or false"), std::string::npos) << r.body;
  }
  HttpResponse no_app = Post("/hits", probe.token, R"({"test":false})");
  EXPECT_EQ(no_app.status, 422) << no_app.body;
  EXPECT_NE(no_app.body.find("app is required"), std::string::npos) << no_app.body;
  HttpResponse bad_field = Post("/hits", probe.token, R"({"test":true,"count":0})");
  EXPECT_EQ(bad_field.status, 422) << bad_field.body;
  EXPECT_TRUE(stack_.Events("acme").empty());
}

TEST_F(ModuleTestEventsTest, ATestEventHonoursTheIdempotencyKey) {
  auto probe = stack_.Create("acme", "hits");
  auto first = Post("/hits", probe.token, R"({"test":true})", {{"Idempotency-Key", "k-1"}});
  ExpectTestAccepted(first, probe.credential.id);
  auto retry = Post("/hits", probe.token, R"({"test":true})", {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(retry.status, 202) << retry.body;
  EXPECT_EQ(retry.JsonString("id"), first.JsonString("id"));
  EXPECT_NE(retry.body.find("\"duplicate\":true,\"test\":true"), std::string::npos) << retry.body;
  EXPECT_EQ(stack_.Events("acme").size(), 1u);
  auto other =
      Post("/hits", probe.token, R"({"test":true,"count":2})", {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(other.ErrorCode(), "idempotency_key_reused") << other.body;
}

// The commands `onepctl create` prints, run by /bin/sh as a user would paste
// them: each posts a test event, answered 202 with "test":true.
TEST_F(ModuleTestEventsTest, TheCurlCommandsOnepctlPrintsPostTestEvents) {
  const std::string base = "http://127.0.0.1:" + std::to_string(stack_.port()) + "/onep";
  struct Case {
    std::vector<std::string> create;
    std::vector<std::string> routes;
  };
  const std::vector<Case> cases = {
      {{"--type", "hits", "--name", "unbound"}, {"hits", "failures"}},
      {{"--type", "hits", "--name", "bound", "--app", "web"}, {"hits", "failures"}},
      {{"--type", "deploy", "--name", "CI", "--app", "shop"}, {"deploys"}},
  };
  std::size_t posted = 0;
  for (const Case& c : cases) {
    std::vector<std::string> args = {"create", "--org", "acme", "--url", base};
    args.insert(args.end(), c.create.begin(), c.create.end());
    JsonPtr created = Cli(args);
    const json_t* curls = json_object_get(created.get(), "curls");
    ASSERT_EQ(json_object_size(curls), c.routes.size()) << JsonDump(created.get());
    EXPECT_EQ(Str(created.get(), "curl"), Str(curls, c.routes[0].c_str()));
    EXPECT_EQ(Str(created.get(), "expected_reply"),
              R"(HTTP 202 {"ok":true,"id":"...","credential":"...","test":true,"note":"..."})");
    for (const std::string& route : c.routes) {
      const std::string command = Str(curls, route.c_str());
      RunResult sh = ::onep::testing::Run({"/bin/sh", "-c", command});
      ASSERT_EQ(sh.exit_code, 0) << command << sh.err;
      JsonPtr reply = Parse(sh.out);
      EXPECT_TRUE(json_is_true(json_object_get(reply.get(), "ok"))) << route << sh.out;
      EXPECT_TRUE(json_is_true(json_object_get(reply.get(), "test"))) << route << sh.out;
      EXPECT_EQ(Str(reply.get(), "credential"), Str(created.get(), "id"));
      EXPECT_EQ(Str(reply.get(), "note"), kTestNote);
      ++posted;
    }
  }
  // The human output: the same commands, line by line, and what to expect.
  RunResult human =
      Onepctl({"create", "--org", "acme", "--type", "hits", "--name", "human", "--url", base});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  for (const char* route : {"hits", "failures"}) {
    const std::size_t at = human.out.find("curl -sS -X POST '" + base + "/" + route + "'");
    ASSERT_NE(at, std::string::npos) << human.out;
    const std::size_t end = human.out.find("}'\n", at);
    ASSERT_NE(end, std::string::npos) << human.out;
    const std::string command = human.out.substr(at, end + 2 - at);
    EXPECT_NE(command.find(" \\\n  -H 'Authorization: Bearer onep_"), std::string::npos) << command;
    RunResult sh = ::onep::testing::Run({"/bin/sh", "-c", command});
    ASSERT_EQ(sh.exit_code, 0) << command << sh.err;
    EXPECT_NE(sh.out.find("\"test\":true"), std::string::npos) << sh.out;
    ++posted;
  }
  EXPECT_NE(human.out.find("\nExpected reply: HTTP 202 with {\"ok\":true,...,\"test\":true}"),
            std::string::npos)
      << human.out;

  // All listed as tests; nothing counted, and no app beyond the credentials' own.
  const std::vector<StoredEvent> events = stack_.Events("acme");
  ASSERT_EQ(events.size(), posted);
  for (const StoredEvent& e : events) {
    EXPECT_NE(e.fields_json.find("\"test\":true"), std::string::npos) << e.fields_json;
  }
  EXPECT_EQ(JsonDump(Cli({"stats", "--org", "acme"}).get()), "[]");
  EXPECT_EQ(AppNames(), (std::vector<std::string>{"shop", "web"}));
  EXPECT_EQ(Size("ZCARD", keys_.DeployIndex(stack_.Tag("acme"))), 0);
}

}  // namespace
}  // namespace onep::testing
