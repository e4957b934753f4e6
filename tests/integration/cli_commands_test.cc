// SPDX-License-Identifier: Apache-2.0
// Every onepctl command against a real Redis: output shapes and exact --json keys.
#include <signal.h>
#include <sys/wait.h>

#include <iterator>
#include <regex>
#include <set>
#include <thread>

#include "cli_fixture.h"
#include "onep/curl_command.h"
#include "onep/text.h"
#include "terminal.h"

namespace onep::testing {
namespace {

using CliCommandsTest = CliTest;

const char* const kCommands[] = {"create",  "list",      "show",     "rotate",    "rename",
                                 "delete",  "orgs",      "events",   "expire",    "verify",
                                 "doctor",  "migrate",   "stats",    "audit",     "apps",
                                 "monitor", "incidents", "insights", "deliveries"};

TEST_F(CliCommandsTest, GlobalHelpListsEveryCommand) {
  for (const char* flag : {"--help", "-h"}) {
    RunResult r = Exec({ONEPCTL_PATH, flag});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.err, "");
    for (const char* command : kCommands) {
      EXPECT_NE(r.out.find(std::string("\n  ") + command + " "), std::string::npos) << command;
    }
    for (const char* option : {"--redis URL", "--prefix STRING", "--json", "--version"}) {
      EXPECT_NE(r.out.find(option), std::string::npos) << option;
    }
  }
}

TEST_F(CliCommandsTest, CommandHelpShowsUsageAndExample) {
  for (const char* command : kCommands) {
    for (bool before : {false, true}) {
      RunResult r = before ? Exec({ONEPCTL_PATH, "--help", command})
                           : Exec({ONEPCTL_PATH, command, "--help"});
      EXPECT_EQ(r.exit_code, 0) << command;
      EXPECT_EQ(r.out.rfind(std::string("Usage: onepctl ") + command, 0), 0u) << r.out;
      EXPECT_NE(r.out.find("Example"), std::string::npos) << command;
      EXPECT_NE(r.out.find(std::string("  onepctl ") + command), std::string::npos) << command;
    }
  }
  RunResult r = Exec({ONEPCTL_PATH, "create", "--help"});
  for (const char* option : {"--org ORG", "--type hits|deploy", "--name NAME", "--app APP",
                             "--expires DURATION", "--url BASE_URL"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
  }
}

// docs/cli.md documents exactly the commands the binary has, each with the
// synopsis its --help prints.
TEST_F(CliCommandsTest, DocsMatchTheCommandTable) {
  const std::string docs = ReadFile(std::string(ONEP_SOURCE_DIR) + "/docs/cli.md");
  ASSERT_FALSE(docs.empty());
  std::set<std::string> documented;
  std::smatch m;
  std::string rest = docs;
  while (std::regex_search(rest, m, std::regex("\n### ([a-z]+)\n"))) {
    documented.insert(m[1]);
    rest = m.suffix();
  }
  EXPECT_EQ(documented, std::set<std::string>(std::begin(kCommands), std::end(kCommands)));
  for (const char* command : kCommands) {
    RunResult help = Exec({ONEPCTL_PATH, command, "--help"});
    std::string usage = Lines(help.out).at(0);
    ASSERT_EQ(usage.rfind("Usage: ", 0), 0u);
    EXPECT_NE(docs.find("\n" + usage.substr(7) + "\n"), std::string::npos)
        << "docs/cli.md lacks the synopsis: " << usage.substr(7);
  }
  RunResult global = Exec({ONEPCTL_PATH, "--help"});
  for (const char* text : {"--redis URL", "--prefix STRING", "--json", "--version",
                           "ONEP_REDIS_URL", "ONEP_KEY_PREFIX", "ONEP_URL"}) {
    EXPECT_NE(global.out.find(text), std::string::npos) << text;
    EXPECT_NE(docs.find(text), std::string::npos) << text;
  }
}

TEST_F(CliCommandsTest, VersionPrintsTheProjectVersion) {
  RunResult r = Exec({ONEPCTL_PATH, "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::regex_match(r.out, std::regex("onepctl [0-9]+\\.[0-9]+\\.[0-9]+\n"))) << r.out;
}

TEST_F(CliCommandsTest, CreatePrintsTheTokenOnceWithAWarningAndACurlCommand) {
  RunResult r = Ctl({"create", "--org", "acme", "--type", "hits", "--name", "nightly jobs"},
                    {{"ONEP_URL", "https://hooks.example.com/onep"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("token: +(onep_[A-Za-z0-9]+)"))) << r.out;
  const std::string token = m[1];
  EXPECT_TRUE(CheckTokenFormat(token).ok());
  EXPECT_NE(r.out.find("will not be shown again"), std::string::npos);
  EXPECT_NE(r.out.find("curl -sS -X POST 'https://hooks.example.com/onep/hits' \\\n  -H "
                       "'Authorization: Bearer " +
                       token + "' \\\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("curl -sS -X POST 'https://hooks.example.com/onep/failures' \\\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nExpected reply: HTTP 202 with {\"ok\":true,...,\"test\":true}"),
            std::string::npos)
      << r.out;
  for (const char* key :
       {"id:", "org:", "type:", "name:", "app:", "token_hint:", "created_at:", "state:"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key;
  }
  EXPECT_FALSE(AuthenticatedId(token).empty());
}

TEST_F(CliCommandsTest, CreateJsonHasTheContractKeysAndKeepsStdoutPure) {
  RunResult r = Ctl({"create", "--json", "--org", "acme", "--type", "deploy", "--name",
                     "CI deploys", "--app", "api", "--url", "http://127.0.0.1:8080/hooks/"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  JsonPtr out = ParseJson(r.out);
  ASSERT_TRUE(json_is_object(out.get()));
  std::vector<std::string> expected = kCredentialKeys;
  expected.insert(expected.end(), {"token", "curl", "curls", "expected_reply"});
  EXPECT_EQ(Keys(out.get()), expected);
  EXPECT_EQ(Str(out.get(), "org"), "acme");
  EXPECT_EQ(Str(out.get(), "type"), "deploy");
  EXPECT_EQ(Str(out.get(), "name"), "CI deploys");
  EXPECT_EQ(Str(out.get(), "app"), "api");
  EXPECT_EQ(Str(out.get(), "state"), "active");
  EXPECT_TRUE(json_is_null(json_object_get(out.get(), "rotated_at")));
  EXPECT_TRUE(json_is_null(json_object_get(out.get(), "expires_at")));
  const std::string token = Str(out.get(), "token");
  EXPECT_TRUE(CheckTokenFormat(token).ok());
  EXPECT_EQ(Str(out.get(), "token_hint"), TokenHint(token));
  EXPECT_NE(Str(out.get(), "curl").find("'http://127.0.0.1:8080/hooks/deploys'"),
            std::string::npos);
  EXPECT_TRUE(std::regex_match(Str(out.get(), "created_at"),
                               std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z")));
  EXPECT_NE(r.err.find("will not be shown again"), std::string::npos);
  EXPECT_EQ(AuthenticatedId(token), Str(out.get(), "id"));
}

TEST_F(CliCommandsTest, ListAndShowNeverPrintATokenAndHaveTheContractKeys) {
  Issued hits = Create("acme", "hits", "nightly jobs");
  Issued deploy = Create("acme", "deploy", "CI deploys", "api");
  Create("other", "hits", "elsewhere");

  JsonPtr list = CtlJson({"list", "--org", "acme"});
  ASSERT_TRUE(json_is_array(list.get()));
  ASSERT_EQ(json_array_size(list.get()), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(Keys(json_array_get(list.get(), i)), kCredentialKeys);
  EXPECT_EQ(Str(json_array_get(list.get(), 0), "id"), hits.id);  // oldest first
  EXPECT_TRUE(json_is_null(json_object_get(json_array_get(list.get(), 0), "app")));
  EXPECT_EQ(Str(json_array_get(list.get(), 1), "app"), "api");

  JsonPtr only_deploy = CtlJson({"list", "--org", "acme", "--type", "deploy"});
  ASSERT_EQ(json_array_size(only_deploy.get()), 1u);
  EXPECT_EQ(Str(json_array_get(only_deploy.get(), 0), "id"), deploy.id);
  JsonPtr by_app = CtlJson({"list", "--org", "acme", "--app", "api"});
  ASSERT_EQ(json_array_size(by_app.get()), 1u);
  EXPECT_EQ(Str(json_array_get(by_app.get(), 0), "id"), deploy.id);
  JsonPtr none = CtlJson({"list", "--org", "acme", "--app", "web"});
  EXPECT_EQ(json_array_size(none.get()), 0u);

  JsonPtr show = CtlJson({"show", deploy.id});
  ASSERT_TRUE(json_is_object(show.get()));
  EXPECT_EQ(Keys(show.get()), kCredentialKeys);
  EXPECT_EQ(Str(show.get(), "token_hint"), TokenHint(deploy.token));

  RunResult human = Ctl({"list", "--org", "acme"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_EQ(human.out.rfind("ID ", 0), 0u) << human.out;
  for (const char* column : {"NAME", "TYPE", "APP", "TOKEN", "CREATED", "LAST USED", "STATE"}) {
    EXPECT_NE(human.out.find(column), std::string::npos) << column;
  }
  EXPECT_NE(human.out.find("nightly jobs"), std::string::npos);
  RunResult human_show = Ctl({"show", hits.id});
  EXPECT_NE(human_show.out.find("id:            " + hits.id), std::string::npos) << human_show.out;
  for (const RunResult& r : {human, human_show}) {
    EXPECT_EQ(r.out.find("onep_"), std::string::npos) << r.out;
  }
}

TEST_F(CliCommandsTest, RotateRenameAndDeletePrintTheContractKeys) {
  Issued cred = Create("acme", "hits", "jobs", "batch");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"rotate", cred.id},
                                             {"rename", cred.id, "batch jobs"},
                                             {"rotate", cred.id, "--grace", "1h"}}) {
    JsonPtr out = CtlJson(args);
    ASSERT_TRUE(json_is_object(out.get()));
    for (const char* key : {"id", "org", "type", "name", "app", "token", "curl"}) {
      EXPECT_TRUE(json_object_get(out.get(), key) != nullptr) << key;
    }
    EXPECT_EQ(Str(out.get(), "id"), cred.id);
    EXPECT_EQ(Str(out.get(), "app"), "batch");
    EXPECT_TRUE(CheckTokenFormat(Str(out.get(), "token")).ok());
    EXPECT_FALSE(json_is_null(json_object_get(out.get(), "rotated_at")));
    bool graced = args.size() == 4;
    EXPECT_EQ(json_is_null(json_object_get(out.get(), "old_token_valid_until")), !graced);
  }
  JsonPtr show = CtlJson({"show", cred.id});
  EXPECT_EQ(Str(show.get(), "name"), "batch jobs");

  RunResult human = Ctl({"rotate", cred.id});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("Rotated credential " + cred.id), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("The old token stopped working"), std::string::npos);

  JsonPtr deleted = CtlJson({"delete", cred.id, "--yes"});
  EXPECT_EQ(Str(deleted.get(), "id"), cred.id);
  EXPECT_TRUE(json_is_true(json_object_get(deleted.get(), "deleted")));
}

TEST_F(CliCommandsTest, OrgsCountsCredentialsAndEvents) {
  Issued acme = Create("acme", "hits", "jobs");
  Create("acme", "deploy", "CI", "api");
  Create("beta", "hits", "jobs");
  for (int i = 0; i < 3; ++i) Record(acme.token, EventType::kHit, R"({"app":"api"})");

  JsonPtr orgs = CtlJson({"orgs"});
  ASSERT_TRUE(json_is_array(orgs.get()));
  ASSERT_EQ(json_array_size(orgs.get()), 2u);
  const json_t* first = json_array_get(orgs.get(), 0);
  const json_t* second = json_array_get(orgs.get(), 1);
  EXPECT_EQ(Keys(first), (std::vector<std::string>{"org", "credentials", "events"}));
  EXPECT_EQ(Str(first, "org"), "acme");
  EXPECT_EQ(json_integer_value(json_object_get(first, "credentials")), 2);
  EXPECT_EQ(json_integer_value(json_object_get(first, "events")), 3);
  EXPECT_EQ(Str(second, "org"), "beta");
  EXPECT_EQ(json_integer_value(json_object_get(second, "credentials")), 1);
  EXPECT_EQ(json_integer_value(json_object_get(second, "events")), 0);

  RunResult human = Ctl({"orgs"});
  EXPECT_TRUE(std::regex_search(human.out, std::regex("acme +2 +3\n"))) << human.out;
  EXPECT_TRUE(std::regex_search(human.out, std::regex("beta +1 +0\n"))) << human.out;
}

TEST_F(CliCommandsTest, EventsListsNewestLastWithTheEventsOwnFields) {
  Issued hits = Create("acme", "hits", "jobs");
  Issued deploy = Create("acme", "deploy", "CI", "api");
  std::string hit_id =
      Record(hits.token, EventType::kHit, R"({"app":"api","count":3,"message":"ok"})");
  Record(hits.token, EventType::kFailure, R"({"app":"web","error":"disk full"})");
  std::string deploy_id = Record(deploy.token, EventType::kDeploy, R"({"version":"1.2.0"})");

  // The failure opens an incident of web (the default monitor): its flip
  // follows it.
  JsonPtr all = CtlJson({"events", "--org", "acme"});
  ASSERT_TRUE(json_is_array(all.get()));
  ASSERT_EQ(json_array_size(all.get()), 4u);
  const json_t* hit = json_array_get(all.get(), 0);
  std::vector<std::string> keys = Keys(hit);
  ASSERT_GE(keys.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + 5),
            (std::vector<std::string>{"id", "type", "credential", "app", "time"}));
  EXPECT_EQ(Str(hit, "id"), hit_id);
  EXPECT_EQ(Str(hit, "type"), "hit");
  EXPECT_EQ(Str(hit, "credential"), hits.id);
  EXPECT_EQ(Str(hit, "app"), "api");
  EXPECT_EQ(json_integer_value(json_object_get(hit, "count")), 3);
  EXPECT_EQ(Str(hit, "message"), "ok");
  EXPECT_EQ(Str(json_array_get(all.get(), 1), "error"), "disk full");
  EXPECT_EQ(Str(json_array_get(all.get(), 2), "type"), "incident_opened");
  EXPECT_EQ(Str(json_array_get(all.get(), 2), "app"), "web");
  const json_t* dep = json_array_get(all.get(), 3);
  EXPECT_EQ(Str(dep, "id"), deploy_id);
  EXPECT_EQ(Str(dep, "version"), "1.2.0");
  EXPECT_EQ(Str(dep, "app"), "api");

  EXPECT_EQ(json_array_size(CtlJson({"events", "--org", "acme", "--type", "failure"}).get()), 1u);
  EXPECT_EQ(json_array_size(CtlJson({"events", "--org", "acme", "--app", "api"}).get()), 2u);
  EXPECT_EQ(json_array_size(CtlJson({"events", "--org", "acme", "--since", "1h"}).get()), 4u);
  JsonPtr newest = CtlJson({"events", "--org", "acme", "--limit", "1"});
  ASSERT_EQ(json_array_size(newest.get()), 1u);
  EXPECT_EQ(Str(json_array_get(newest.get(), 0), "id"), deploy_id);

  RunResult human = Ctl({"events", "--org", "acme"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_EQ(human.out.rfind("ID ", 0), 0u) << human.out;
  EXPECT_NE(human.out.find("count=3 message=ok"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("error=\"disk full\""), std::string::npos) << human.out;
  EXPECT_LT(human.out.find(hit_id), human.out.find(deploy_id));
}

// Event text is the sender's: what could act on a terminal or hide text
// (U+009B CSI, U+202E override, U+2028 line separator, U+200B, U+200F)
// never reaches stdout raw: '?' in tables, \uXXXX in JSON.
TEST_F(CliCommandsTest, EventTextCannotDriveTheTerminalInAnyOutputMode) {
  Issued hits = Create("acme", "hits", "jobs", "web");
  const std::string message =
      R"(a\u009Bb\u202Ec\u2028d\u200Be\u200Ff\u001Bg)";  // as the sender writes it in JSON
  ASSERT_FALSE(Record(hits.token, EventType::kHit, R"({"message":")" + message + R"("})").empty());
  const char* const raw[] = {"\xC2\x9B",     "\xE2\x80\xAE", "\xE2\x80\xA8",
                             "\xE2\x80\x8B", "\xE2\x80\x8F", "\x1B"};
  RunResult table = Ctl({"events", "--org", "acme"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  RunResult json = Ctl({"events", "--org", "acme", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  for (const char* bytes : raw) {
    EXPECT_EQ(table.out.find(bytes), std::string::npos) << table.out;
    EXPECT_EQ(json.out.find(bytes), std::string::npos) << json.out;
  }
  EXPECT_NE(table.out.find("a?b?c?d?e?f?g"), std::string::npos) << table.out;
  for (const char* escaped : {"\\u009B", "\\u202E", "\\u2028", "\\u200B", "\\u200F"}) {
    EXPECT_NE(json.out.find(escaped), std::string::npos) << escaped << " in " << json.out;
  }
  // Still the same text for a program reading the JSON.
  JsonPtr events = ParseJson(json.out);
  ASSERT_EQ(json_array_size(events.get()), 1u);
  EXPECT_EQ(Str(json_array_get(events.get(), 0), "message"),
            "a\xC2\x9B"
            "b\xE2\x80\xAE"
            "c\xE2\x80\xA8"
            "d\xE2\x80\x8B"
            "e\xE2\x80\x8F"
            "f\x1Bg");
}

TEST_F(CliCommandsTest, EventsFollowPrintsNewEventsUntilSigint) {
  Issued hits = Create("acme", "hits", "jobs");
  Record(hits.token, EventType::kHit, R"({"app":"api","message":"before"})");
  std::string dir = MakeTempDir("cli-follow");
  std::string log = dir + "/follow.log";
  pid_t pid = Spawn(Argv({"events", "--org", "acme", "--type", "hit", "--json", "--follow"}), log);
  ASSERT_GT(pid, 0);
  auto wait_for_lines = [&](size_t n) {
    for (int i = 0; i < 100 && Lines(ReadFile(log)).size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Lines(ReadFile(log));
  };
  EXPECT_EQ(wait_for_lines(1).size(), 1u);
  Record(hits.token, EventType::kFailure, R"({"app":"api","error":"filtered out"})");
  std::string live_id = Record(hits.token, EventType::kHit, R"({"app":"api","message":"after"})");
  std::vector<std::string> lines = wait_for_lines(2);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  lines = Lines(ReadFile(log));
  ASSERT_EQ(lines.size(), 2u) << ReadFile(log);
  JsonPtr first = ParseJson(lines[0]);
  JsonPtr second = ParseJson(lines[1]);
  EXPECT_EQ(Str(first.get(), "message"), "before");
  EXPECT_EQ(Str(second.get(), "message"), "after");
  EXPECT_EQ(Str(second.get(), "id"), live_id);
  RemoveTree(dir);
}

TEST_F(CliCommandsTest, EventsFollowInATableStopsOnSigterm) {
  Issued hits = Create("acme", "hits", "jobs");
  std::string dir = MakeTempDir("cli-follow");
  std::string log = dir + "/follow.log";
  pid_t pid = Spawn(Argv({"events", "--org", "acme", "--follow"}), log);
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 100 && ReadFile(log).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string id = Record(hits.token, EventType::kFailure, R"({"app":"api","error":"boom"})");
  // The failure, and the incident it opened (the default monitor).
  for (int i = 0; i < 100 && ReadFile(log).find("incident_opened") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::vector<std::string> lines = Lines(ReadFile(log));
  ASSERT_EQ(lines.size(), 3u) << ReadFile(log);
  EXPECT_EQ(lines[0].rfind("ID ", 0), 0u);
  EXPECT_TRUE(std::regex_search(
      lines[1], std::regex(id + " +\\S+ +failure +api +" + hits.id + " +count=1 error=boom$")))
      << lines[1];
  EXPECT_TRUE(std::regex_search(
      lines[2], std::regex(" +incident_opened +api +" + hits.id + " +incident=in_" + id +
                           " failures=1 first_error=boom$")))
      << lines[2];
  RemoveTree(dir);
}

TEST_F(CliCommandsTest, StatsReportsHitsFailuresRateAndDeploysPerApp) {
  Issued hits = Create("acme", "hits", "jobs");
  Issued deploy = Create("acme", "deploy", "CI", "api");
  Record(hits.token, EventType::kHit, R"({"app":"api","count":2})");
  Record(hits.token, EventType::kHit, R"({"app":"api","count":1})");
  Record(hits.token, EventType::kFailure, R"({"app":"api"})");
  Record(hits.token, EventType::kHit, R"({"app":"web"})");
  Record(deploy.token, EventType::kDeploy, R"({"version":"2.0.0"})");

  JsonPtr stats = CtlJson({"stats", "--org", "acme"});
  ASSERT_TRUE(json_is_array(stats.get()));
  ASSERT_EQ(json_array_size(stats.get()), 2u);
  const json_t* api = json_array_get(stats.get(), 0);
  EXPECT_EQ(Keys(api),
            (std::vector<std::string>{"app", "hits", "failures", "failure_rate", "deploys"}));
  EXPECT_EQ(Str(api, "app"), "api");
  EXPECT_EQ(json_integer_value(json_object_get(api, "hits")), 3);
  EXPECT_EQ(json_integer_value(json_object_get(api, "failures")), 1);
  EXPECT_DOUBLE_EQ(json_number_value(json_object_get(api, "failure_rate")), 0.25);
  EXPECT_EQ(json_integer_value(json_object_get(api, "deploys")), 1);
  const json_t* web = json_array_get(stats.get(), 1);
  EXPECT_DOUBLE_EQ(json_number_value(json_object_get(web, "failure_rate")), 0.0);

  JsonPtr only_web = CtlJson({"stats", "--org", "acme", "--app", "web", "--since", "1h"});
  ASSERT_EQ(json_array_size(only_web.get()), 1u);
  EXPECT_EQ(Str(json_array_get(only_web.get(), 0), "app"), "web");

  RunResult human = Ctl({"stats", "--org", "acme"});
  EXPECT_TRUE(std::regex_search(human.out, std::regex("api +3 +1 +25% +1\n"))) << human.out;
}

TEST_F(CliCommandsTest, StatsFailureRateIsNullWithoutHitsOrFailures) {
  Issued deploy = Create("acme", "deploy", "CI", "api");
  Record(deploy.token, EventType::kDeploy, R"({"version":"2.0.0"})");
  JsonPtr stats = CtlJson({"stats", "--org", "acme"});
  ASSERT_EQ(json_array_size(stats.get()), 1u);
  EXPECT_TRUE(json_is_null(json_object_get(json_array_get(stats.get(), 0), "failure_rate")));
}

TEST_F(CliCommandsTest, AuditShowsEachChangeWithTheLocalUser) {
  Issued cred = Create("acme", "hits", "jobs");
  // The org must outlive the deletion below: it exists while it has
  // credentials or events.
  ASSERT_EQ(Record(cred.token, EventType::kHit, R"({"app":"api"})").empty(), false);
  ASSERT_EQ(Ctl({"rotate", cred.id}).exit_code, 0);
  ASSERT_EQ(Ctl({"rename", cred.id, "renamed"}).exit_code, 0);
  ASSERT_EQ(Ctl({"delete", cred.id, "--yes"}).exit_code, 0);

  JsonPtr audit = CtlJson({"audit", "--org", "acme"});
  ASSERT_TRUE(json_is_array(audit.get()));
  ASSERT_EQ(json_array_size(audit.get()), 4u);
  const char* actions[] = {"create", "rotate", "rename", "delete"};  // newest last
  for (size_t i = 0; i < 4; ++i) {
    const json_t* entry = json_array_get(audit.get(), i);
    EXPECT_EQ(Keys(entry), (std::vector<std::string>{"time", "action", "credential", "actor",
                                                     "name", "previous_name", "grace_ms",
                                                     "expires_at", "app", "changes"}));
    EXPECT_EQ(Str(entry, "action"), actions[i]);
    EXPECT_EQ(Str(entry, "credential"), cred.id);
    EXPECT_EQ(Str(entry, "actor"), LocalUser());
  }
  JsonPtr last_two = CtlJson({"audit", "--org", "acme", "--limit", "2"});
  // --limit keeps the newest entries, still printed newest last.
  ASSERT_EQ(json_array_size(last_two.get()), 2u);
  EXPECT_EQ(Str(json_array_get(last_two.get(), 1), "action"), "delete");

  RunResult human = Ctl({"audit", "--org", "acme"});
  EXPECT_TRUE(std::regex_search(human.out, std::regex("rename +" + cred.id + " +" + LocalUser())))
      << human.out;
}

// Long and wide names keep the table usable: cut to 32 columns, and CJK
// characters counted as the two columns they take.
TEST_F(CliCommandsTest, ListColumnsStayAlignedWithLongAndWideNames) {
  Create("acme", "hits", std::string(100, 'n'));
  Create(
      "acme", "hits",
      "\xE6\x97\xA5\xE6\x9C\xAC\xE3\x81\xAE\xE3\x82\xB8\xE3\x83\xA7\xE3\x83\x96");  // 日本のジョブ
  Create("acme", "hits", "plain");
  RunResult r = Ctl({"list", "--org", "acme"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(std::string(100, 'n')), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::string(31, 'n') + "\xE2\x80\xA6"), std::string::npos) << r.out;
  // The TYPE column starts at the same terminal column on every line.
  std::set<std::size_t> type_columns;
  for (const std::string& line : Lines(r.out)) {
    const std::size_t at = line.find(line.rfind("ID", 0) == 0 ? "TYPE" : "hits");
    ASSERT_NE(at, std::string::npos) << line;
    type_columns.insert(cli::TerminalWidth(line.substr(0, at)));
  }
  EXPECT_EQ(type_columns.size(), 1u) << r.out;
}

// An audit trail worth auditing: what changed, and the person who changed it
// even under sudo, or the one a wrapper names.
TEST_F(CliCommandsTest, AuditSaysWhatChangedAndWhoReallyDidIt) {
  Issued cred = Create("acme", "hits", "jobs");
  Issued other = Create("acme", "hits", "other");
  ASSERT_EQ(Ctl({"rename", cred.id, "nightly jobs", "--grace", "1h"}).exit_code, 0);
  ASSERT_EQ(Ctl({"expire", cred.id, "30d"}, {{"SUDO_USER", "alice"}}).exit_code, 0);
  ASSERT_EQ(Ctl({"--actor", "deploy-bot", "rotate", cred.id}).exit_code, 0);

  JsonPtr audit = CtlJson({"audit", "--org", "acme", "--credential", cred.id});
  ASSERT_EQ(json_array_size(audit.get()), 4u);  // other's create is filtered out
  const json_t* created = json_array_get(audit.get(), 0);
  EXPECT_EQ(Str(created, "name"), "jobs");
  EXPECT_TRUE(json_is_null(json_object_get(created, "expires_at")));
  const json_t* renamed = json_array_get(audit.get(), 1);
  EXPECT_EQ(Str(renamed, "action"), "rename");
  EXPECT_EQ(Str(renamed, "previous_name"), "jobs");
  EXPECT_EQ(Str(renamed, "name"), "nightly jobs");
  EXPECT_EQ(json_integer_value(json_object_get(renamed, "grace_ms")), 3600000);
  const json_t* expired = json_array_get(audit.get(), 2);
  EXPECT_EQ(Str(expired, "action"), "expire");
  EXPECT_NE(Str(expired, "expires_at"), "");
  // Under sudo (as root), the person is SUDO_USER.
  EXPECT_EQ(Str(expired, "actor"), geteuid() == 0 ? "alice" : LocalUser());
  EXPECT_EQ(Str(json_array_get(audit.get(), 3), "actor"), "deploy-bot");

  RunResult human = Ctl({"audit", "--org", "acme"});
  EXPECT_NE(human.out.find("name \"jobs\" -> \"nightly jobs\", old token kept 3600s"),
            std::string::npos)
      << human.out;
  // Time bounds: nothing before the first change, nothing after now.
  EXPECT_EQ(json_array_size(CtlJson({"audit", "--org", "acme", "--until", "1h"}).get()), 0u);
  EXPECT_EQ(json_array_size(CtlJson({"audit", "--org", "acme", "--since", "1h"}).get()), 5u);
  EXPECT_EQ(Ctl({"audit", "--org", "acme", "--since", "later"}).exit_code, 2);
  EXPECT_EQ(Ctl({"audit", "--org", "acme", "--credential", "wh_bad"}).exit_code, 2);
  (void)other;
}

TEST_F(CliCommandsTest, AnOrgWithoutCredentialsOrEventsNoLongerExists) {
  Issued cred = Create("acme", "hits", "jobs");
  ASSERT_EQ(Ctl({"delete", cred.id, "--yes"}).exit_code, 0);
  // The contract: an organization exists while it has credentials or events.
  EXPECT_EQ(Ctl({"list", "--org", "acme"}).exit_code, 3);
  // Its audit trail stays readable, down to the delete.
  JsonPtr audit = CtlJson({"audit", "--org", "acme"});
  ASSERT_EQ(json_array_size(audit.get()), 2u);
  EXPECT_STREQ(json_string_value(json_object_get(json_array_get(audit.get(), 1), "action")),
               "delete");
  EXPECT_EQ(Ctl({"audit", "--org", "never-existed"}).exit_code, 3);
  JsonPtr orgs = CtlJson({"orgs"});
  EXPECT_EQ(json_array_size(orgs.get()), 0u);
}

TEST_F(CliCommandsTest, GlobalOptionsWorkBeforeAndAfterTheCommand) {
  Create("acme", "hits", "jobs");
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {ONEPCTL_PATH, "--json", "--redis", redis_->url(), "list", "--org", "acme"},
           {ONEPCTL_PATH, "list", "--org", "acme", "--redis", redis_->url(), "--json"},
           {ONEPCTL_PATH, "list", "--redis=" + redis_->url(), "--org=acme", "--json"}}) {
    RunResult r = Exec(argv, {{"ONEP_KEY_PREFIX", "onep:"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    JsonPtr out = ParseJson(r.out);
    EXPECT_EQ(json_array_size(out.get()), 1u);
  }
}

TEST_F(CliCommandsTest, EnvironmentChoosesRedisAndPrefix) {
  std::map<std::string, std::string> env = {{"ONEP_REDIS_URL", redis_->url()},
                                            {"ONEP_KEY_PREFIX", "alt:"}};
  RunResult create =
      Exec({ONEPCTL_PATH, "create", "--org", "acme", "--type", "hits", "--name", "jobs"}, env);
  ASSERT_EQ(create.exit_code, 0) << create.err;
  EXPECT_EQ(Exec({ONEPCTL_PATH, "list", "--org", "acme"}, env).exit_code, 0);
  // The default prefix does not see the credential: its org does not exist there.
  EXPECT_EQ(Exec({ONEPCTL_PATH, "--prefix", "onep:", "list", "--org", "acme"}, env).exit_code, 3);
  EXPECT_NE(redis_->DumpAll().find("alt:"), std::string::npos);
}

}  // namespace
}  // namespace onep::testing
