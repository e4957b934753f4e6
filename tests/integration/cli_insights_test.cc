// SPDX-License-Identifier: Apache-2.0
// onepctl insights against a real Redis: the --json keys and the counts that
// do not depend on timing, the table, exit codes; and committed_at in events.
#include <chrono>
#include <regex>

#include "cli_fixture.h"

namespace onep::testing {
namespace {

using CliInsightsTest = CliTest;

const std::vector<std::string> kInsightsKeys = {"app",
                                                "since",
                                                "until",
                                                "uptime",
                                                "downtime_s",
                                                "incidents",
                                                "mttr_s",
                                                "mtbf_s",
                                                "hits",
                                                "failures",
                                                "failure_rate",
                                                "deploys",
                                                "deploys_per_day",
                                                "change_failure_rate",
                                                "recovery_time_s",
                                                "lead_time_s"};
const std::regex kTime("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z");

long long Int(const json_t* object, const char* key) {
  return json_integer_value(json_object_get(object, key));
}
double Number(const json_t* object, const char* key) {
  return json_number_value(json_object_get(object, key));
}
bool IsNull(const json_t* object, const char* key) {
  return json_is_null(json_object_get(object, key));
}

// Until Redis' clock has passed the ms of event `id` (bounded by 10 s), so
// that the next event is recorded later.
void WaitPast(TestRedis& redis, const std::string& id) {
  const long long ms = std::stoll(id.substr(0, id.find('-')));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < give_up) {
    auto time = redis.Command("", {"TIME"});
    ASSERT_TRUE(time.ok());
    if (std::stoll(time->elements[0].str) * 1000 + std::stoll(time->elements[1].str) / 1000 > ms) {
      return;
    }
  }
  FAIL() << "Redis' clock did not pass " << ms;
}

TEST_F(CliInsightsTest, OneObjectPerAppWithTheContractKeysAndATable) {
  Issued api = Create("acme", "hits", "api jobs", "api");
  Issued deploy = Create("acme", "deploy", "api deploys", "api");
  Create("acme", "hits", "quiet", "zz");
  WaitPast(*redis_, Record(deploy.token, EventType::kDeploy,
                           R"({"version":"1.2","deploy_id":"d-1","status":"failed",)"
                           R"("committed_at":"2020-01-02T03:04:05+01:00"})"));
  Record(deploy.token, EventType::kDeploy, R"({"version":"1.3","deploy_id":"d-2"})");
  Record(api.token, EventType::kHit, R"({"count":3})");

  JsonPtr out = CtlJson({"insights", "--org", "acme"});
  ASSERT_TRUE(json_is_array(out.get()));
  ASSERT_EQ(json_array_size(out.get()), 2u);
  json_t* a = json_array_get(out.get(), 0);
  json_t* zz = json_array_get(out.get(), 1);
  EXPECT_EQ(Keys(a), kInsightsKeys);
  EXPECT_EQ(Keys(zz), kInsightsKeys);
  EXPECT_EQ(Str(a, "app"), "api");
  EXPECT_TRUE(std::regex_match(Str(a, "since"), kTime));
  EXPECT_TRUE(std::regex_match(Str(a, "until"), kTime));
  EXPECT_EQ(Number(a, "uptime"), 1.0);
  EXPECT_EQ(Number(a, "downtime_s"), 0.0);
  EXPECT_EQ(Int(a, "incidents"), 0);
  EXPECT_TRUE(IsNull(a, "mttr_s"));
  EXPECT_TRUE(IsNull(a, "mtbf_s"));
  EXPECT_EQ(Int(a, "hits"), 3);
  EXPECT_EQ(Int(a, "failures"), 0);
  EXPECT_EQ(Number(a, "failure_rate"), 0.0);
  EXPECT_EQ(Int(a, "deploys"), 2);
  EXPECT_GT(Number(a, "deploys_per_day"), 0.0);
  EXPECT_EQ(Number(a, "change_failure_rate"), 0.5);
  // d-1 failed and d-2 succeeded after it: recovered.
  EXPECT_GT(Number(a, "recovery_time_s"), 0.0);
  EXPECT_GT(Number(a, "lead_time_s"), 0.0);
  // zz: no event yet.
  EXPECT_EQ(Str(zz, "app"), "zz");
  for (const char* key : {"since", "uptime", "mttr_s", "mtbf_s", "failure_rate",
                          "change_failure_rate", "recovery_time_s", "lead_time_s"}) {
    EXPECT_TRUE(IsNull(zz, key)) << key;
  }
  EXPECT_EQ(Int(zz, "deploys"), 0);

  JsonPtr one = CtlJson(
      {"insights", "--org", "acme", "--app", "api", "--since", "7d", "--change-window", "30m"});
  ASSERT_EQ(json_array_size(one.get()), 1u);
  EXPECT_EQ(Int(json_array_get(one.get(), 0), "deploys"), 2);

  RunResult table = Ctl({"insights", "--org", "acme"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> lines = Lines(table.out);
  ASSERT_EQ(lines.size(), 3u) << table.out;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("APP +SINCE +UPTIME +DOWNTIME +INCIDENTS +MTTR "
                                                    "+MTBF +HITS +FAILURES +FAIL RATE +DEPLOYS +"
                                                    "PER DAY +CHANGE FAIL +RECOVERY +LEAD TIME")))
      << lines[0];
  EXPECT_TRUE(
      std::regex_search(lines[1], std::regex("^api +[0-9T:-]+Z +100\\.000% +0ms +0 +- +- "
                                             "+3 +0 +0(\\.0+)?% +2 +[0-9.]+ +50(\\.0+)?% ")))
      << lines[1];
  EXPECT_TRUE(std::regex_match(lines[2], std::regex("zz +- +- +- +0 +- +- +0 +0 +- +0 +0\\.00 +- "
                                                    "+- +-")))
      << lines[2];

  // committed_at is an event field like the others, normalised to UTC.
  JsonPtr events = CtlJson({"events", "--org", "acme", "--type", "deploy"});
  ASSERT_EQ(json_array_size(events.get()), 2u);
  EXPECT_EQ(Str(json_array_get(events.get(), 0), "committed_at"), "2020-01-02T02:04:05.000Z");
  RunResult event_table = Ctl({"events", "--org", "acme", "--type", "deploy"});
  EXPECT_NE(event_table.out.find("committed_at=2020-01-02T02:04:05.000Z"), std::string::npos)
      << event_table.out;
}

TEST_F(CliInsightsTest, ExitCodesForBadInputAndUnknownOrgsAndApps) {
  Create("acme", "hits", "api jobs", "api");
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--since", "31d"},
                                              {"--since", "yesterday"},
                                              {"--change-window", "8d"},
                                              {"--change-window", "0"},
                                              {"--app", "Not An App"}}) {
    std::vector<std::string> args = {"insights", "--org", "acme"};
    args.insert(args.end(), bad.begin(), bad.end());
    RunResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << " " << bad[1] << ": " << r.err;
    ExpectOneErrorLine(r);
  }
  RunResult since = Ctl({"insights", "--org", "acme", "--since", "31d"});
  EXPECT_NE(since.err.find("invalid --since \"31d\": it must be within the last 30d"),
            std::string::npos)
      << since.err;
  RunResult no_org = Ctl({"insights", "--org", "ghost"});
  EXPECT_EQ(no_org.exit_code, 3);
  EXPECT_EQ(no_org.err,
            "onepctl: no organization ghost; run 'onepctl orgs' to see the organizations\n");
  RunResult no_app = Ctl({"insights", "--org", "acme", "--app", "nope"});
  EXPECT_EQ(no_app.exit_code, 3);
  EXPECT_EQ(no_app.err,
            "onepctl: no app nope in organization acme; run 'onepctl apps --org ORG' to see the "
            "applications\n");
  RunResult missing = Ctl({"insights"});
  EXPECT_EQ(missing.exit_code, 2);
  ExpectOneErrorLine(missing);
}

}  // namespace
}  // namespace onep::testing
