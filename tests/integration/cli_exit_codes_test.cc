// SPDX-License-Identifier: Apache-2.0
// onepctl exit codes: 0 success, 1 Redis unreachable / runtime failure,
// 2 usage error or invalid input, 3 no such credential or organization; and
// the one-line error on stderr.
#include "cli_fixture.h"

namespace onep::testing {
namespace {

using CliExitCodesTest = CliTest;

struct Case {
  std::vector<std::string> args;
  const char* says;  // part of the error line
};

TEST_F(CliExitCodesTest, SuccessIsZero) {
  Issued cred = Create("acme", "hits", "jobs");
  for (const auto& args : std::vector<std::vector<std::string>>{{"list", "--org", "acme"},
                                                                {"show", cred.id},
                                                                {"orgs"},
                                                                {"events", "--org", "acme"},
                                                                {"stats", "--org", "acme"},
                                                                {"audit", "--org", "acme"}}) {
    RunResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(r.err, "") << args[0];
  }
}

TEST_F(CliExitCodesTest, UnreachableRedisIsOne) {
  const int closed = FreePort();
  const std::string url = "redis://127.0.0.1:" + std::to_string(closed) + "/0";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"list", "--org", "acme"},
           {"show", "wh_AAAAAAAAAAAAAAAA"},
           {"create", "--org", "acme", "--type", "hits", "--name", "jobs"},
           {"rotate", "wh_AAAAAAAAAAAAAAAA"},
           {"delete", "wh_AAAAAAAAAAAAAAAA", "--yes"},
           {"orgs"},
           {"events", "--org", "acme"},
           {"stats", "--org", "acme"},
           {"audit", "--org", "acme"}}) {
    std::vector<std::string> argv = {ONEPCTL_PATH, "--redis", url};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = Exec(argv);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
    ExpectOneErrorLine(r);
    EXPECT_EQ(r.err.rfind("onepctl: cannot reach Redis at " + url + ": ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("; check --redis or ONEP_REDIS_URL"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  // The environment variable is used, and named in the advice too.
  RunResult r = Exec({ONEPCTL_PATH, "orgs"}, {{"ONEP_REDIS_URL", url}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(url), std::string::npos) << r.err;
}

TEST_F(CliExitCodesTest, TheRedisPasswordIsNeverPrinted) {
  const std::string url = "redis://:hunter2-secret@127.0.0.1:" + std::to_string(FreePort()) + "/0";
  RunResult r = Exec({ONEPCTL_PATH, "--redis", url, "orgs"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r);
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("***"), std::string::npos) << r.err;
}

TEST_F(CliExitCodesTest, UsageErrorsAndInvalidInputAreTwo) {
  Issued cred = Create("acme", "deploy", "CI", "api");
  const std::vector<Case> cases = {
      {{}, "no command given"},
      {{"bogus"}, "unknown command \"bogus\""},
      {{"list", "--org", "acme", "--bogus"}, "unknown option \"--bogus\""},
      {{"--org", "acme", "list"}, "goes after the command name"},
      {{"list", "--org"}, "--org needs a value"},
      {{"list"}, "missing --org ORG"},
      {{"show"}, "missing ID"},
      {{"show", cred.id, "extra"}, "unexpected argument \"extra\""},
      {{"rename", cred.id}, "missing NAME"},
      {{"list", "--org", "Acme!"}, "invalid organization"},
      {{"list", "--org", "acme", "--type", "hit"}, "invalid --type"},
      {{"create", "--org", "acme", "--type", "pushes", "--name", "x"}, "invalid --type"},
      {{"create", "--org", "acme", "--type", "hits", "--name", ""}, "invalid --name"},
      {{"create", "--org", "acme", "--type", "deploy", "--name", "x"}, "needs an application"},
      {{"create", "--org", "acme", "--type", "hits", "--name", "x", "--expires", "soon"},
       "invalid --expires"},
      // Bounded before any arithmetic: this used to overflow into a credential
      // that was expired when created.
      {{"create", "--org", "acme", "--type", "hits", "--name", "x", "--expires", "106751991167d"},
       "too large"},
      {{"create", "--org", "acme", "--type", "hits", "--name", "x", "--expires", "36501d"},
       "too large"},
      {{"create", "--org", "acme", "--type", "hits", "--name", "x", "--url", "ftp://x"},
       "not an http"},
      {{"create", "--org", "acme", "--type", "deploy", "--name", "again", "--app", "api"},
       "already has a deploy credential"},
      {{"rotate", cred.id, "--grace", "8d"}, "longer than 7 days"},
      {{"rotate", cred.id, "--grace", "-1s"}, "invalid --grace"},
      {{"rename", cred.id, "bad\x01name"}, "invalid NAME"},
      // A malformed id is a usage error, not an unknown credential.
      {{"show", "wh_bad"}, "invalid credential id"},
      {{"show", "not-an-id"}, "invalid credential id"},
      {{"rotate", "wh_" + std::string(21, 'A')}, "invalid credential id"},
      {{"rename", "wh_bad", "x"}, "invalid credential id"},
      {{"delete", "wh_b-d", "--yes"}, "invalid credential id"},
      {{"delete", cred.id}, "pass --yes"},
      {{"events", "--org", "acme", "--limit", "0"}, "invalid --limit"},
      {{"events", "--org", "acme", "--limit", "10001"}, "invalid --limit"},
      {{"events", "--org", "acme", "--type", "hits"}, "invalid --type"},
      {{"events", "--org", "acme", "--since", "yesterday"}, "invalid --since"},
      {{"stats", "--org", "acme", "--since", "31d"}, "longer than 30d"},
      {{"audit", "--org", "acme", "--limit", "many"}, "invalid --limit"},
      {{"orgs", "--json=yes"}, "takes no value"},
      {{"--prefix", "bad prefix", "orgs"}, "invalid key prefix"},
      {{"--redis", "http://127.0.0.1/", "orgs"}, "invalid Redis URL"},
  };
  for (const Case& c : cases) {
    RunResult r = Ctl(c.args);
    std::string label = c.args.empty() ? "(none)" : c.args[0];
    EXPECT_EQ(r.exit_code, 2) << label << ": " << r.err;
    ExpectOneErrorLine(r);
    EXPECT_NE(r.err.find(c.says), std::string::npos)
        << "expected \"" << c.says << "\" in: " << r.err;
    EXPECT_EQ(r.out, "") << label;
  }
  // Said once, not "invalid Redis URL: invalid Redis URL: ...".
  RunResult url = Ctl({"--redis", "redis://127.0.0.1:99999/0", "orgs"});
  EXPECT_EQ(url.err.find("invalid Redis URL"), url.err.rfind("invalid Redis URL")) << url.err;
  // Nothing changed: the credential still works with its first token.
  EXPECT_EQ(AuthenticatedId(cred.token), cred.id);
}

// Nothing is lost silently: when stdout cannot take the output (a full disk:
// /dev/full), the command fails, and a credential change says that it
// happened and what to do about the token nobody saw.
TEST_F(CliExitCodesTest, OutputThatCannotBeWrittenIsAFailureThatSaysWhatHappened) {
  auto to_full = [&](std::vector<std::string> args) {
    std::string command = "exec";
    for (const std::string& arg : Argv(args)) command += " '" + arg + "'";
    return Exec({"/bin/sh", "-c", command + " >/dev/full"});
  };
  RunResult created =
      to_full({"create", "--org", "acme", "--type", "hits", "--name", "x", "--json"});
  EXPECT_EQ(created.exit_code, 1) << created.err;
  ExpectOneErrorLine(created);
  EXPECT_NE(created.err.find("Created credential wh_"), std::string::npos) << created.err;
  EXPECT_NE(created.err.find("is lost"), std::string::npos) << created.err;
  EXPECT_NE(created.err.find("onepctl rotate wh_"), std::string::npos) << created.err;
  // It was created: the id in the message is listed.
  const std::size_t at = created.err.find("wh_");
  const std::string id = created.err.substr(at, kCredentialIdLength);
  JsonPtr listed = CtlJson({"list", "--org", "acme"});
  ASSERT_EQ(json_array_size(listed.get()), 1u);
  EXPECT_EQ(Str(json_array_get(listed.get(), 0), "id"), id);

  RunResult rotated = to_full({"rotate", id, "--grace", "1h"});
  EXPECT_EQ(rotated.exit_code, 1);
  ExpectOneErrorLine(rotated);
  EXPECT_NE(rotated.err.find("Rotated credential " + id), std::string::npos) << rotated.err;
  EXPECT_NE(rotated.err.find("grace period"), std::string::npos) << rotated.err;

  for (const std::vector<std::string>& read : {std::vector<std::string>{"list", "--org", "acme"},
                                               {"show", id},
                                               {"orgs", "--json"},
                                               {"audit", "--org", "acme"}}) {
    RunResult r = to_full(read);
    EXPECT_EQ(r.exit_code, 1) << read[0] << ": " << r.err;
    ExpectOneErrorLine(r);
    EXPECT_NE(r.err.find("cannot write the output"), std::string::npos) << r.err;
  }
}

// A Redis that answers but wants a password is not "unreachable".
TEST_F(CliExitCodesTest, AMissingPasswordIsSaidAsSuch) {
  ONEP_SINGLE_REDIS_ONLY("it sets a password on the server");
  auto conn = redis_->server().Connect();
  ASSERT_TRUE(conn->Command({"CONFIG", "SET", "requirepass", "pw-7"}).ok());
  RunResult r = Ctl({"orgs"});
  ASSERT_TRUE(conn->Command({"AUTH", "pw-7"}).ok());
  ASSERT_TRUE(conn->Command({"CONFIG", "SET", "requirepass", ""}).ok());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r);
  EXPECT_NE(r.err.find("refused onepctl"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("NOAUTH"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("password"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("cannot reach"), std::string::npos) << r.err;
}

TEST_F(CliExitCodesTest, UsageErrorsWinOverAnUnreachableRedis) {
  const std::string url = "redis://127.0.0.1:" + std::to_string(FreePort()) + "/0";
  RunResult r = Exec({ONEPCTL_PATH, "--redis", url, "list", "--org", "NOT A SLUG"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = Exec({ONEPCTL_PATH, "--redis", url, "rotate", "wh_AAAAAAAAAAAAAAAA", "--grace", "30d"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST_F(CliExitCodesTest, NoSuchCredentialOrOrganizationIsThree) {
  Create("acme", "hits", "jobs");
  const std::string missing = "wh_AAAAAAAAAAAAAAAAAAAA";
  const std::string missing_legacy = "wh_AAAAAAAAAAAAAAAA";
  const std::vector<Case> cases = {
      {{"show", missing}, "no credential \"wh_AAAAAAAAAAAAAAAAAAAA\""},
      {{"show", missing_legacy}, "no credential"},
      {{"rotate", missing}, "no credential"},
      {{"rename", missing, "new name"}, "no credential"},
      {{"delete", missing, "--yes"}, "no credential"},
      {{"list", "--org", "nope"}, "no organization \"nope\""},
      {{"events", "--org", "nope"}, "no organization"},
      {{"events", "--org", "nope", "--follow"}, "no organization"},
      {{"stats", "--org", "nope"}, "no organization"},
      {{"audit", "--org", "nope"}, "no organization"},
  };
  for (const Case& c : cases) {
    RunResult r = Ctl(c.args);
    EXPECT_EQ(r.exit_code, 3) << c.args[0] << ": " << r.err;
    ExpectOneErrorLine(r);
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(CliExitCodesTest, ATokenGivenByMistakeIsNotEchoed) {
  Issued cred = Create("acme", "hits", "jobs");
  for (const auto& args : std::vector<std::vector<std::string>>{{"show", cred.token},
                                                                {"show", cred.id, cred.token},
                                                                {"list", "--org", cred.token},
                                                                {"bogus", cred.token},
                                                                {cred.token}}) {
    RunResult r = Ctl(args);
    EXPECT_NE(r.exit_code, 0);
    ExpectOneErrorLine(r);
    EXPECT_EQ(r.err.find(cred.token.substr(5, 16)), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find(cred.token.substr(5, 16)), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace onep::testing
