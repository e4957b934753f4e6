// SPDX-License-Identifier: Apache-2.0
// onepctl's command line: parsing, the command table, help, and the usage
// errors that need no Redis.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "args.h"
#include "context.h"

namespace onep::cli {
namespace {

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs onepctl in-process with no environment and stdin not a terminal.
Outcome RunCli(const std::vector<std::string>& argv) {
  std::ostringstream out, err;
  std::istringstream in;
  Io io{out, err, in, false, [](const std::string&) { return std::optional<std::string>(); }};
  int code = Run(argv, io);
  return {code, out.str(), err.str()};
}

TEST(CliArgsTest, GlobalOptionsGoBeforeOrAfterTheCommand) {
  Invocation a = ParseArgs({"--json", "--redis", "redis://h:1/0", "list", "--org", "acme"});
  Invocation b = ParseArgs({"list", "--org", "acme", "--redis", "redis://h:1/0", "--json"});
  for (const Invocation& inv : {a, b}) {
    EXPECT_EQ(inv.error, "");
    ASSERT_NE(inv.command, nullptr);
    EXPECT_EQ(inv.command->name, "list");
    EXPECT_TRUE(inv.json);
    EXPECT_EQ(inv.redis_url, "redis://h:1/0");
    ASSERT_NE(inv.Get("--org"), nullptr);
    EXPECT_EQ(*inv.Get("--org"), "acme");
  }
}

TEST(CliArgsTest, EqualsFormAndDoubleDash) {
  Invocation inv = ParseArgs({"rename", "--prefix=x:", "wh_1", "--grace=5s", "--", "--odd name"});
  EXPECT_EQ(inv.error, "");
  EXPECT_EQ(inv.prefix, "x:");
  EXPECT_EQ(*inv.Get("--grace"), "5s");
  EXPECT_EQ(inv.args, (std::vector<std::string>{"wh_1", "--odd name"}));
}

TEST(CliArgsTest, AValueMayStartWithOneDashButNotTwo) {
  EXPECT_EQ(*ParseArgs({"rotate", "x", "--grace", "-1s"}).Get("--grace"), "-1s");
  Invocation inv = ParseArgs({"list", "--org", "--type", "hits"});
  EXPECT_NE(inv.error.find("--org needs a value"), std::string::npos) << inv.error;
}

TEST(CliArgsTest, ReportsTheFirstUsageError) {
  EXPECT_NE(ParseArgs({"frobnicate"}).error.find("unknown command \"frobnicate\""),
            std::string::npos);
  EXPECT_NE(ParseArgs({"list", "--bogus"}).error.find("unknown option \"--bogus\" for 'list'"),
            std::string::npos);
  EXPECT_NE(ParseArgs({"--org", "x", "list"}).error.find("goes after the command name"),
            std::string::npos);
  EXPECT_NE(ParseArgs({"list", "--org", "a", "--org", "b"}).error.find("more than once"),
            std::string::npos);
  EXPECT_NE(ParseArgs({"orgs", "--json=1"}).error.find("takes no value"), std::string::npos);
  EXPECT_NE(ParseArgs({"orgs", "-x"}).error.find("unknown option \"-x\""), std::string::npos);
}

TEST(CliArgsTest, HelpWinsOverOtherErrors) {
  Invocation inv = ParseArgs({"create", "--bogus", "--help"});
  EXPECT_TRUE(inv.help);
  Outcome o = RunCli({"create", "--bogus", "-h"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.out.rfind("Usage: onepctl create --org ORG --type hits|deploy --name NAME", 0), 0u)
      << o.out;
}

TEST(CliArgsTest, EveryCommandHasAHandlerHelpAndAnExample) {
  const std::vector<std::string> expected = {
      "create",      "list",          "show",        "rotate",     "rename",    "delete",
      "orgs",        "events",        "expire",      "verify",     "doctor",    "migrate",
      "stats",       "audit",         "apps",        "monitor",    "incidents", "notify add",
      "notify list", "notify remove", "notify test", "deliveries", "insights"};
  ASSERT_EQ(Commands().size(), expected.size());
  const std::string global = GlobalHelp();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const CommandSpec& c = Commands()[i];
    EXPECT_EQ(c.name, expected[i]);
    EXPECT_NE(c.handler, nullptr);
    EXPECT_FALSE(c.summary.empty());
    EXPECT_FALSE(c.examples.empty());
    for (const auto& example : c.examples) {
      EXPECT_EQ(example.rfind("onepctl " + expected[i], 0), 0u) << example;
    }
    EXPECT_EQ(FindCommand(expected[i]), &c);
    EXPECT_NE(global.find("  " + expected[i] + " "), std::string::npos);
    EXPECT_NE(CommandHelp(c).find(Synopsis(c)), std::string::npos);
  }
}

TEST(CliArgsTest, SynopsisMatchesTheContract) {
  EXPECT_EQ(Synopsis(*FindCommand("create")),
            "onepctl create --org ORG --type hits|deploy --name NAME [--app APP] "
            "[--expires DURATION] [--url BASE_URL]");
  EXPECT_EQ(Synopsis(*FindCommand("list")),
            "onepctl list --org ORG [--app APP] [--type hits|deploy]");
  EXPECT_EQ(Synopsis(*FindCommand("show")), "onepctl show ID");
  EXPECT_EQ(Synopsis(*FindCommand("rotate")),
            "onepctl rotate ID [--grace DURATION] [--expires DURATION] [--no-expiry]");
  EXPECT_EQ(Synopsis(*FindCommand("rename")),
            "onepctl rename ID NAME [--grace DURATION] [--expires DURATION] [--no-expiry]");
  EXPECT_EQ(Synopsis(*FindCommand("delete")), "onepctl delete ID [--yes]");
  EXPECT_EQ(Synopsis(*FindCommand("orgs")), "onepctl orgs");
  EXPECT_EQ(Synopsis(*FindCommand("events")),
            "onepctl events --org ORG [--app APP] "
            "[--type hit|failure|deploy|incident_opened|incident_resolved] "
            "[--credential ID] [--since DURATION|TIME] [--until DURATION|TIME] [--after ID] "
            "[--before ID] [--limit N|--all] [--follow]");
  EXPECT_EQ(Synopsis(*FindCommand("apps")), "onepctl apps --org ORG");
  EXPECT_EQ(Synopsis(*FindCommand("monitor")),
            "onepctl monitor ORG APP [--failures-to-open N] [--hits-to-close N] [--severity S] "
            "[--expect-every DURATION|off] [--grace DURATION] [--pause [DURATION]|--resume]");
  EXPECT_EQ(Synopsis(*FindCommand("incidents")),
            "onepctl incidents --org ORG [--app APP] [--open] [--since DURATION|TIME] "
            "[--limit N]");
  EXPECT_EQ(Synopsis(*FindCommand("insights")),
            "onepctl insights --org ORG [--app APP] [--since DURATION|TIME] "
            "[--change-window DURATION]");
  EXPECT_EQ(Synopsis(*FindCommand("stats")),
            "onepctl stats --org ORG [--app APP] [--since DURATION]");
  EXPECT_EQ(Synopsis(*FindCommand("audit")),
            "onepctl audit --org ORG [--credential ID] [--since DURATION|TIME] "
            "[--until DURATION|TIME] [--limit N]");
}

TEST(CliArgsTest, UsageErrorsExitTwoWithOneLine) {
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{},
                                             {"bogus"},
                                             {"list"},
                                             {"show"},
                                             {"show", "a", "b"},
                                             {"list", "--org", "A!"},
                                             {"rotate", "wh_x", "--grace", "8d"},
                                             {"delete", "wh_x"},
                                             {"stats", "--org", "a", "--since", "31d"}}) {
    Outcome o = RunCli(argv);
    EXPECT_EQ(o.exit_code, 2) << (argv.empty() ? "" : argv[0]) << ": " << o.err;
    EXPECT_EQ(o.out, "");
    EXPECT_EQ(o.err.rfind("onepctl: ", 0), 0u) << o.err;
    EXPECT_EQ(o.err.find('\n'), o.err.size() - 1) << o.err;
    EXPECT_NE(o.err.find("; "), std::string::npos) << o.err;
  }
}

TEST(CliArgsTest, ExitCodesFollowTheStatus) {
  EXPECT_EQ(ExitCodeFor(Code::kOk), 0);
  EXPECT_EQ(ExitCodeFor(Code::kUnavailable), 1);
  EXPECT_EQ(ExitCodeFor(Code::kInternal), 1);
  EXPECT_EQ(ExitCodeFor(Code::kInvalidArgument), 2);
  EXPECT_EQ(ExitCodeFor(Code::kConflict), 2);
  EXPECT_EQ(ExitCodeFor(Code::kInvalidEvent), 2);
  EXPECT_EQ(ExitCodeFor(Code::kNotFound), 3);
}

TEST(CliArgsTest, VersionAndGlobalHelp) {
  Outcome v = RunCli({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("onepctl ", 0), 0u);
  Outcome h = RunCli({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("Exit status"), std::string::npos);
  EXPECT_NE(h.out.find("ONEP_REDIS_URL"), std::string::npos);
}

}  // namespace
}  // namespace onep::cli
