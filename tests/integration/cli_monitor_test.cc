// SPDX-License-Identifier: Apache-2.0
// apps, monitor, incidents, and incidents in events, against a real Redis:
// exact --json keys and values, the tables, exit codes.
#include <regex>

#include "cli_fixture.h"

namespace onep::testing {
namespace {

using CliMonitorTest = CliTest;

const std::vector<std::string> kAppKeys = {"app",
                                           "state",
                                           "since",
                                           "open_incident",
                                           "last_event_at",
                                           "last_deploy",
                                           "failures_to_open",
                                           "hits_to_close",
                                           "severity",
                                           "expect_every",
                                           "grace",
                                           "paused",
                                           "paused_until"};
const std::vector<std::string> kIncidentKeys = {
    "id",          "org",         "app",        "cause",    "severity",    "opened_at",
    "detected_at", "resolved_at", "duration_s", "failures", "first_error", "deploy"};

bool IsNull(const json_t* object, const char* key) {
  return json_is_null(json_object_get(object, key));
}
long long Int(const json_t* object, const char* key) {
  return json_integer_value(json_object_get(object, key));
}
const std::regex kTime("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z");

TEST_F(CliMonitorTest, AppsListsTheDownOnesFirstWithTheContractKeys) {
  Issued api = Create("acme", "hits", "api jobs", "api");
  Issued web = Create("acme", "hits", "web jobs", "web");
  Issued deploy = Create("acme", "deploy", "web deploys", "web");
  Create("acme", "hits", "quiet", "zz");
  Record(api.token, EventType::kHit, "{}");
  Record(deploy.token, EventType::kDeploy, R"({"version":"1.2","deploy_id":"d-7"})");
  Record(web.token, EventType::kFailure, R"({"error":"boom"})");

  JsonPtr out = CtlJson({"apps", "--org", "acme"});
  ASSERT_TRUE(json_is_array(out.get()));
  ASSERT_EQ(json_array_size(out.get()), 3u);
  std::vector<std::string> order;
  for (std::size_t i = 0; i < 3; ++i) {
    json_t* a = json_array_get(out.get(), i);
    EXPECT_EQ(Keys(a), kAppKeys);
    order.push_back(Str(a, "app") + ":" + Str(a, "state"));
    EXPECT_EQ(Int(a, "failures_to_open"), 1);
    EXPECT_EQ(Int(a, "hits_to_close"), 1);
    EXPECT_EQ(Str(a, "severity"), "none");
    EXPECT_EQ(Str(a, "expect_every"), "off");
    EXPECT_TRUE(IsNull(a, "grace"));
    EXPECT_TRUE(json_is_false(json_object_get(a, "paused")));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"web:down", "api:up", "zz:new"}));
  json_t* web_json = json_array_get(out.get(), 0);
  EXPECT_EQ(Str(web_json, "open_incident").rfind("in_", 0), 0u);
  EXPECT_TRUE(std::regex_match(Str(web_json, "since"), kTime));
  json_t* last_deploy = json_object_get(web_json, "last_deploy");
  EXPECT_EQ(Keys(last_deploy), (std::vector<std::string>{"id", "version", "at"}));
  EXPECT_EQ(Str(last_deploy, "id"), "d-7");
  EXPECT_EQ(Str(last_deploy, "version"), "1.2");
  json_t* zz = json_array_get(out.get(), 2);
  for (const char* key : {"since", "open_incident", "last_event_at", "last_deploy"}) {
    EXPECT_TRUE(IsNull(zz, key)) << key;
  }

  RunResult table = Ctl({"apps", "--org", "acme"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> lines = Lines(table.out);
  ASSERT_EQ(lines.size(), 4u) << table.out;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("STATE +APP +SINCE +INCIDENT +LAST EVENT +"
                                                    "LAST DEPLOY +MONITOR")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], std::regex("DOWN +web +[-0-9T:Z]+ +in_[-0-9]+ +[-0-9T:Z]+ "
                                                    "+1\\.2 at [-0-9T:Z]+ +open after 1, close "
                                                    "after 1")))
      << lines[1];
  EXPECT_TRUE(std::regex_match(lines[2], std::regex("up +api +.* +- +[-0-9T:Z]+ +- +open after 1, "
                                                    "close after 1")))
      << lines[2];
  EXPECT_TRUE(std::regex_match(lines[3], std::regex("new +zz +- +- +- +- +open after 1, close "
                                                    "after 1")))
      << lines[3];
}

TEST_F(CliMonitorTest, AppsOfAnOrgWithNoneAndOfNoOrg) {
  RunResult none = Ctl({"apps", "--org", "ghost"});
  EXPECT_EQ(none.exit_code, 3);
  ExpectOneErrorLine(none);
  EXPECT_EQ(none.err,
            "onepctl: no organization ghost; run 'onepctl orgs' to see the organizations\n");
  Create("acme", "hits", "any app");  // an org without apps
  RunResult empty = Ctl({"apps", "--org", "acme"});
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_EQ(empty.out,
            "No applications yet: an event or a credential bound to an app names one.\n");
  RunResult json = Ctl({"apps", "--org", "acme", "--json"});
  EXPECT_EQ(json.out, "[]\n");
}

TEST_F(CliMonitorTest, MonitorChangesTheGivenSettingsAndShowsTheApp) {
  Create("acme", "hits", "web jobs", "web");
  JsonPtr set = CtlJson({"monitor", "acme", "web", "--failures-to-open", "3", "--hits-to-close",
                         "2", "--severity", "sev2", "--expect-every", "10m"});
  EXPECT_EQ(Keys(set.get()), kAppKeys);
  EXPECT_EQ(Str(set.get(), "state"), "new");
  EXPECT_EQ(Int(set.get(), "failures_to_open"), 3);
  EXPECT_EQ(Int(set.get(), "hits_to_close"), 2);
  EXPECT_EQ(Str(set.get(), "severity"), "sev2");
  EXPECT_EQ(Str(set.get(), "expect_every"), "10m");
  EXPECT_EQ(Str(set.get(), "grace"), "2m");  // a fifth of 10m
  // Only what is given changes.
  JsonPtr graced = CtlJson({"monitor", "acme", "web", "--grace", "90s"});
  EXPECT_EQ(Int(graced.get(), "failures_to_open"), 3);
  EXPECT_EQ(Str(graced.get(), "severity"), "sev2");
  EXPECT_EQ(Str(graced.get(), "grace"), "90s");
  JsonPtr paused = CtlJson({"monitor", "acme", "web", "--pause"});
  EXPECT_EQ(Str(paused.get(), "state"), "paused");
  EXPECT_TRUE(json_is_true(json_object_get(paused.get(), "paused")));
  JsonPtr off = CtlJson({"monitor", "acme", "web", "--resume", "--expect-every", "off"});
  EXPECT_EQ(Str(off.get(), "state"), "new");
  EXPECT_EQ(Str(off.get(), "expect_every"), "off");
  EXPECT_TRUE(IsNull(off.get(), "grace"));

  // Each change is in the audit trail: what was given, and who gave it.
  JsonPtr audit = CtlJson({"audit", "--org", "acme"});
  ASSERT_EQ(json_array_size(audit.get()), 5u);  // create, then 4 changes
  json_t* first = json_array_get(audit.get(), 1);
  EXPECT_EQ(Str(first, "action"), "monitor");
  EXPECT_EQ(Str(first, "app"), "web");
  EXPECT_EQ(Str(first, "actor"), LocalUser());
  EXPECT_EQ(
      JsonDump(json_object_get(first, "changes")),
      R"({"failures_to_open":3,"hits_to_close":2,"severity":"sev2","expect_every_ms":600000})");
  EXPECT_EQ(JsonDump(json_object_get(json_array_get(audit.get(), 4), "changes")),
            R"({"expect_every_ms":0,"paused":false})");
  RunResult trail = Ctl({"audit", "--org", "acme"});
  EXPECT_TRUE(std::regex_search(trail.out, std::regex("monitor +" + LocalUser() +
                                                      " +app web, failures_to_open 3, "
                                                      "hits_to_close 2, severity sev2, "
                                                      "expect_every_ms 600000\n")))
      << trail.out;
  EXPECT_TRUE(std::regex_search(trail.out, std::regex("app web, expect_every_ms 0, resumed\n")))
      << trail.out;

  RunResult shown = Ctl({"monitor", "acme", "web"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out,
            "app:               web\n"
            "state:             new\n"
            "since:             -\n"
            "open_incident:     -\n"
            "last_event_at:     -\n"
            "last_deploy:       -\n"
            "failures_to_open:  3\n"
            "hits_to_close:     2\n"
            "severity:          sev2\n"
            "expect_every:      off\n"
            "grace:             -\n"
            "paused:            no\n");
}

TEST_F(CliMonitorTest, MonitorRefusesOutOfRangeSettingsAndUnknownApps) {
  Create("acme", "hits", "web jobs", "web");
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--failures-to-open", "0"},
       "invalid --failures-to-open \"0\": it must be a whole number "
       "from 1 to 100"},
      {{"--hits-to-close", "101"},
       "invalid --hits-to-close \"101\": it must be a whole number "
       "from 1 to 100"},
      {{"--severity", "sev6"},
       "invalid --severity \"sev6\": use sev1, sev2, sev3, sev4, sev5 or "
       "none"},
      {{"--expect-every", "500ms"}, "invalid --expect-every \"500ms\": it must be from 1s to 30d"},
      {{"--grace", "31d"}, "invalid --grace \"31d\": it must be from 1s to 30d"},
      {{"--pause", "--resume"}, "--resume and --pause cannot be used together"},
  };
  for (const auto& [options, message] : bad) {
    std::vector<std::string> args = {"monitor", "acme", "web"};
    args.insert(args.end(), options.begin(), options.end());
    RunResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 2) << options[0];
    ExpectOneErrorLine(r);
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  JsonPtr unchanged = CtlJson({"monitor", "acme", "web"});
  EXPECT_EQ(Int(unchanged.get(), "failures_to_open"), 1);
  EXPECT_TRUE(json_is_false(json_object_get(unchanged.get(), "paused")));

  RunResult no_app = Ctl({"monitor", "acme", "nope", "--pause"});
  EXPECT_EQ(no_app.exit_code, 3);
  EXPECT_EQ(no_app.err,
            "onepctl: no app nope in organization acme; run 'onepctl apps --org ORG' to see the "
            "applications\n");
  RunResult no_org = Ctl({"monitor", "ghost", "web"});
  EXPECT_EQ(no_org.exit_code, 3);
  ExpectOneErrorLine(no_org);
  RunResult bad_slug = Ctl({"monitor", "acme", "Not A Slug"});
  EXPECT_EQ(bad_slug.exit_code, 2);
  ExpectOneErrorLine(bad_slug);
}

TEST_F(CliMonitorTest, IncidentsNewestFirstWithTheContractKeysAndFilters) {
  Issued api = Create("acme", "hits", "api jobs", "api");
  Issued web = Create("acme", "hits", "web jobs", "web");
  Issued deploy = Create("acme", "deploy", "api deploys", "api");
  Record(deploy.token, EventType::kDeploy, R"({"version":"1.2","deploy_id":"d-7"})");
  Record(api.token, EventType::kFailure, R"({"error":"boom","count":2})");  // opens
  Record(api.token, EventType::kHit, "{}");                                 // resolves
  Record(web.token, EventType::kFailure, "{}");                             // opens

  JsonPtr all = CtlJson({"incidents", "--org", "acme"});
  ASSERT_EQ(json_array_size(all.get()), 2u);
  json_t* newest = json_array_get(all.get(), 0);
  json_t* oldest = json_array_get(all.get(), 1);
  EXPECT_EQ(Keys(newest), kIncidentKeys);
  EXPECT_EQ(Keys(oldest), kIncidentKeys);
  EXPECT_EQ(Str(newest, "app"), "web");
  EXPECT_EQ(Str(newest, "org"), "acme");
  EXPECT_EQ(Str(newest, "cause"), "failures");
  EXPECT_EQ(Str(newest, "severity"), "none");
  for (const char* key : {"resolved_at", "duration_s", "first_error", "deploy"}) {
    EXPECT_TRUE(IsNull(newest, key)) << key;
  }
  EXPECT_EQ(Int(newest, "failures"), 1);
  EXPECT_EQ(Str(oldest, "app"), "api");
  EXPECT_EQ(Int(oldest, "failures"), 2);
  EXPECT_EQ(Str(oldest, "first_error"), "boom");
  EXPECT_TRUE(std::regex_match(Str(oldest, "resolved_at"), kTime));
  EXPECT_TRUE(json_is_number(json_object_get(oldest, "duration_s")));
  json_t* deployed = json_object_get(oldest, "deploy");
  EXPECT_EQ(Keys(deployed), (std::vector<std::string>{"id", "version", "at"}));
  EXPECT_EQ(Str(deployed, "id"), "d-7");

  JsonPtr open = CtlJson({"incidents", "--org", "acme", "--open"});
  ASSERT_EQ(json_array_size(open.get()), 1u);
  EXPECT_EQ(Str(json_array_get(open.get(), 0), "app"), "web");
  JsonPtr of_api = CtlJson({"incidents", "--org", "acme", "--app", "api"});
  ASSERT_EQ(json_array_size(of_api.get()), 1u);
  EXPECT_EQ(Str(json_array_get(of_api.get(), 0), "id"), Str(oldest, "id"));
  JsonPtr one = CtlJson({"incidents", "--org", "acme", "--limit", "1"});
  ASSERT_EQ(json_array_size(one.get()), 1u);
  EXPECT_EQ(Str(json_array_get(one.get(), 0), "app"), "web");
  JsonPtr future = CtlJson({"incidents", "--org", "acme", "--since", "2999-01-01T00:00:00Z"});
  EXPECT_EQ(json_array_size(future.get()), 0u);

  RunResult table = Ctl({"incidents", "--org", "acme"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> lines = Lines(table.out);
  ASSERT_EQ(lines.size(), 3u) << table.out;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("OPENED +APP +STATE +DURATION +SEVERITY +"
                                                    "FAILURES +DEPLOY +ID +FIRST ERROR")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], std::regex("[-0-9T:Z]+ +web +OPEN +open +none +1 +- +" +
                                                    Str(newest, "id") + " +-")))
      << lines[1];
  EXPECT_TRUE(std::regex_match(
      lines[2], std::regex("[-0-9T:Z]+ +api +resolved +[0-9]+(ms|s) +none +2 +1\\.2 +" +
                           Str(oldest, "id") + " +boom")))
      << lines[2];

  RunResult none = Ctl({"incidents", "--org", "ghost"});
  EXPECT_EQ(none.exit_code, 3);
  ExpectOneErrorLine(none);
  RunResult bad = Ctl({"incidents", "--org", "acme", "--limit", "0"});
  EXPECT_EQ(bad.exit_code, 2);
  ExpectOneErrorLine(bad);
}

TEST_F(CliMonitorTest, EventsShowsIncidentsBetweenTheEventsAndFiltersThemByType) {
  Issued api = Create("acme", "hits", "api jobs", "api");
  const std::string failure = Record(api.token, EventType::kFailure, R"({"error":"boom"})");
  const std::string hit = Record(api.token, EventType::kHit, "{}");
  JsonPtr incidents = CtlJson({"incidents", "--org", "acme"});
  const std::string incident = Str(json_array_get(incidents.get(), 0), "id");

  JsonPtr all = CtlJson({"events", "--org", "acme"});
  ASSERT_EQ(json_array_size(all.get()), 4u);
  std::vector<std::string> types;
  for (std::size_t i = 0; i < 4; ++i) types.push_back(Str(json_array_get(all.get(), i), "type"));
  EXPECT_EQ(types,
            (std::vector<std::string>{"failure", "incident_opened", "hit", "incident_resolved"}));
  EXPECT_EQ(Str(json_array_get(all.get(), 0), "id"), failure);
  EXPECT_EQ(Str(json_array_get(all.get(), 2), "id"), hit);

  JsonPtr opened = CtlJson({"events", "--org", "acme", "--type", "incident_opened"});
  ASSERT_EQ(json_array_size(opened.get()), 1u);
  json_t* flip = json_array_get(opened.get(), 0);
  EXPECT_EQ(Keys(flip),
            (std::vector<std::string>{"id", "type", "credential", "app", "time", "incident"}));
  EXPECT_EQ(Str(flip, "credential"), api.id);
  EXPECT_EQ(Str(flip, "app"), "api");
  json_t* body = json_object_get(flip, "incident");
  EXPECT_EQ(Keys(body), kIncidentKeys);
  EXPECT_EQ(Str(body, "id"), incident);
  EXPECT_TRUE(IsNull(body, "resolved_at"));  // as it was when it opened
  JsonPtr resolved = CtlJson({"events", "--org", "acme", "--type", "incident_resolved"});
  ASSERT_EQ(json_array_size(resolved.get()), 1u);
  EXPECT_TRUE(std::regex_match(
      Str(json_object_get(json_array_get(resolved.get(), 0), "incident"), "resolved_at"), kTime));

  RunResult table = Ctl({"events", "--org", "acme", "--type", "incident_opened"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> lines = Lines(table.out);
  ASSERT_EQ(lines.size(), 2u) << table.out;
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex("[-0-9]+ +[-0-9T:Z]+ +incident_opened +api +" + api.id +
                           " +incident=" + incident + " failures=1 first_error=\"?boom\"?")))
      << lines[1];
  RunResult bad = Ctl({"events", "--org", "acme", "--type", "incident"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("use hit, failure, deploy, incident_opened or incident_resolved"),
            std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace onep::testing
