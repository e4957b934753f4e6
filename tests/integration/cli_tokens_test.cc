// SPDX-License-Identifier: Apache-2.0
// Token lifecycle through onepctl, checked against the store the module uses:
// rotation, renaming, grace periods, deletion, concurrent admins, secrecy.
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "cli_fixture.h"

namespace onep::testing {
namespace {

using CliTokensTest = CliTest;
using std::chrono::milliseconds;

std::string TokenOf(const RunResult& r) {
  JsonPtr out = ParseJson(r.out);
  return Str(out.get(), "token");
}

TEST_F(CliTokensTest, RotateInvalidatesTheOldTokenAtOnce) {
  Issued cred = Create("acme", "hits", "jobs");
  ASSERT_EQ(AuthenticatedId(cred.token), cred.id);
  RunResult r = Ctl({"rotate", cred.id, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string fresh = TokenOf(r);
  EXPECT_NE(fresh, cred.token);
  EXPECT_EQ(AuthenticatedId(cred.token), "");
  EXPECT_EQ(AuthenticatedId(fresh), cred.id);
}

TEST_F(CliTokensTest, RenameIssuesANewTokenAndInvalidatesTheOldOneAtOnce) {
  Issued cred = Create("acme", "deploy", "CI", "api");
  RunResult r = Ctl({"rename", cred.id, "CI (GitLab)", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string fresh = TokenOf(r);
  JsonPtr out = ParseJson(r.out);
  EXPECT_EQ(Str(out.get(), "name"), "CI (GitLab)");
  EXPECT_EQ(AuthenticatedId(cred.token), "");
  EXPECT_EQ(AuthenticatedId(fresh), cred.id);
}

TEST_F(CliTokensTest, GraceKeepsTheOldTokenValidUntilItEnds) {
  Issued cred = Create("acme", "hits", "jobs");
  auto start = std::chrono::steady_clock::now();
  RunResult r = Ctl({"rotate", cred.id, "--grace", "2s", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string fresh = TokenOf(r);
  JsonPtr out = ParseJson(r.out);
  EXPECT_FALSE(json_is_null(json_object_get(out.get(), "old_token_valid_until")));
  EXPECT_EQ(AuthenticatedId(fresh), cred.id);
  EXPECT_EQ(AuthenticatedId(cred.token), cred.id);
  std::this_thread::sleep_for(milliseconds(1000));
  if (std::chrono::steady_clock::now() - start < milliseconds(1800)) {
    EXPECT_EQ(AuthenticatedId(cred.token), cred.id) << "old token ended before its grace period";
  }
  std::this_thread::sleep_until(start + milliseconds(2500));
  EXPECT_EQ(AuthenticatedId(cred.token), "");
  EXPECT_EQ(AuthenticatedId(fresh), cred.id);
}

TEST_F(CliTokensTest, RenameWithGraceKeepsTheOldTokenForTheGracePeriod) {
  Issued cred = Create("acme", "hits", "jobs");
  RunResult r = Ctl({"rename", cred.id, "jobs v2", "--grace", "1h", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(AuthenticatedId(cred.token), cred.id);
  // A rotation ends any earlier grace period: at most two tokens are valid.
  std::string renamed = TokenOf(r);
  RunResult again = Ctl({"rotate", cred.id, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(AuthenticatedId(cred.token), "");
  EXPECT_EQ(AuthenticatedId(renamed), "");
  EXPECT_EQ(AuthenticatedId(TokenOf(again)), cred.id);
}

TEST_F(CliTokensTest, DeleteInvalidatesTheTokenAtOnceAndKeepsPastEvents) {
  Issued cred = Create("acme", "hits", "jobs");
  std::string event_id = Record(cred.token, EventType::kHit, R"({"app":"api","count":2})");
  ASSERT_FALSE(event_id.empty());

  RunResult r = Ctl({"delete", cred.id, "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Deleted credential " + cred.id), std::string::npos) << r.out;
  EXPECT_EQ(AuthenticatedId(cred.token), "");
  EXPECT_EQ(Ctl({"show", cred.id}).exit_code, 3);

  JsonPtr events = CtlJson({"events", "--org", "acme"});
  ASSERT_EQ(json_array_size(events.get()), 1u);
  EXPECT_EQ(Str(json_array_get(events.get(), 0), "id"), event_id);
  EXPECT_EQ(Str(json_array_get(events.get(), 0), "credential"), cred.id);
  JsonPtr stats = CtlJson({"stats", "--org", "acme"});
  ASSERT_EQ(json_array_size(stats.get()), 1u);
  EXPECT_EQ(json_integer_value(json_object_get(json_array_get(stats.get(), 0), "hits")), 2);
}

TEST_F(CliTokensTest, ExpiresEndsTheCredential) {
  RunResult r = Ctl({"create", "--org", "acme", "--type", "hits", "--name", "short", "--expires",
                     "1s", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  JsonPtr out = ParseJson(r.out);
  const std::string id = Str(out.get(), "id");
  EXPECT_FALSE(json_is_null(json_object_get(out.get(), "expires_at")));
  EXPECT_EQ(AuthenticatedId(Str(out.get(), "token")), id);
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(AuthenticatedId(Str(out.get(), "token")), "");
  JsonPtr show = CtlJson({"show", id});
  EXPECT_EQ(Str(show.get(), "state"), "expired");
}

// An expired credential is not rotated into a token that is refused at
// once; its expiry can be changed with or without a new token.
TEST_F(CliTokensTest, ExpiryCanBeManagedAndAnExpiredCredentialIsNotRotatedBlindly) {
  auto created =
      CtlJson({"create", "--org", "acme", "--type", "hits", "--name", "temp", "--expires", "1s"});
  const std::string id = Str(created.get(), "id");
  const std::string token = Str(created.get(), "token");
  // Wait, with a bound, until it has expired.
  for (int i = 0; i < 100 && AuthenticatedId(token) == id; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(AuthenticatedId(token), "");
  RunResult refused = Ctl({"rotate", id});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  ExpectOneErrorLine(refused);
  EXPECT_NE(refused.err.find("expired at"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--no-expiry"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.out, "");
  EXPECT_EQ(Ctl({"rotate", id, "--expires", "1h", "--no-expiry"}).exit_code, 2);

  // Rotated with a new expiry: the new token works.
  JsonPtr rotated = CtlJson({"rotate", id, "--expires", "2h"});
  const std::string fresh = Str(rotated.get(), "token");
  EXPECT_EQ(AuthenticatedId(fresh), id);
  EXPECT_EQ(Str(rotated.get(), "state"), "active");
  EXPECT_NE(Str(rotated.get(), "expires_at"), "");

  // expire: never, then a duration; the token stays the same.
  JsonPtr never = CtlJson({"expire", id, "never"});
  EXPECT_TRUE(json_is_null(json_object_get(never.get(), "expires_at")));
  EXPECT_EQ(AuthenticatedId(fresh), id);
  JsonPtr soon = CtlJson({"expire", id, "30d"});
  EXPECT_NE(Str(soon.get(), "expires_at"), "");
  EXPECT_EQ(Str(soon.get(), "token_hint"), TokenHint(fresh));
  EXPECT_EQ(AuthenticatedId(fresh), id);
  EXPECT_EQ(Ctl({"expire", id, "soon"}).exit_code, 2);
  EXPECT_EQ(Ctl({"expire", "wh_AAAAAAAAAAAAAAAAAAAA", "1d"}).exit_code, 3);

  // During a grace period, show says until when the previous token works.
  JsonPtr graced = CtlJson({"rotate", id, "--grace", "1h"});
  JsonPtr shown = CtlJson({"show", id});
  EXPECT_NE(Str(shown.get(), "previous_token_valid_until"), "");
  EXPECT_EQ(Str(shown.get(), "previous_token_valid_until"),
            Str(graced.get(), "old_token_valid_until"));
  EXPECT_EQ(AuthenticatedId(fresh), id);  // the previous token, in its grace period
}

// expire revives an expired credential with its own token: the token's
// record, gone with the expiry, is made again from the credential.
TEST_F(CliTokensTest, ExpireRevivesAnExpiredCredentialWithTheSameToken) {
  auto created =
      CtlJson({"create", "--org", "acme", "--type", "hits", "--name", "temp", "--expires", "1s"});
  const std::string id = Str(created.get(), "id");
  const std::string token = Str(created.get(), "token");
  for (int i = 0; i < 100 && AuthenticatedId(token) == id; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(AuthenticatedId(token), "");
  ASSERT_EQ(Str(CtlJson({"show", id}).get(), "state"), "expired");

  JsonPtr revived = CtlJson({"expire", id, "30d"});
  EXPECT_EQ(Str(revived.get(), "state"), "active");
  EXPECT_EQ(Str(revived.get(), "token_hint"), TokenHint(token));
  EXPECT_EQ(AuthenticatedId(token), id);
  JsonPtr never = CtlJson({"expire", id, "never"});
  EXPECT_TRUE(json_is_null(json_object_get(never.get(), "expires_at")));
  EXPECT_EQ(AuthenticatedId(token), id);
}

// verify reads the token from stdin, never argv, and records nothing.
TEST_F(CliTokensTest, VerifySaysWhichCredentialATokenBelongsTo) {
  Issued cred = Create("acme", "hits", "jobs", "web");
  RunResult ok = Ctl({"verify"}, {}, cred.token + "\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(cred.id), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("state active"), std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.find(cred.token), std::string::npos);
  RunResult json = Ctl({"verify", "--json"}, {}, cred.token);
  JsonPtr out = ParseJson(json.out);
  EXPECT_TRUE(json_is_true(json_object_get(out.get(), "valid")));
  EXPECT_EQ(Str(json_object_get(out.get(), "credential"), "id"), cred.id);

  Ctl({"rotate", cred.id});
  RunResult gone = Ctl({"verify"}, {}, cred.token);
  EXPECT_EQ(gone.exit_code, 3) << gone.err;
  ExpectOneErrorLine(gone);
  EXPECT_EQ(gone.err.find(cred.token), std::string::npos);
  RunResult garbage = Ctl({"verify"}, {}, "not-a-token\n");
  EXPECT_EQ(garbage.exit_code, 2);
  EXPECT_EQ(Ctl({"verify"}, {}, "").exit_code, 2);
  // Nothing recorded, nothing used.
  JsonPtr listed = CtlJson({"list", "--org", "acme"});
  EXPECT_TRUE(json_is_null(json_object_get(json_array_get(listed.get(), 0), "last_used_at")));
}

TEST_F(CliTokensTest, ConcurrentRotationsLeaveExactlyOneValidToken) {
  Issued cred = Create("acme", "hits", "jobs");
  std::vector<std::string> tokens = {cred.token};
  for (int round = 0; round < 20; ++round) {
    RunResult results[2];
    std::thread first([&] { results[0] = Ctl({"rotate", cred.id, "--json"}); });
    std::thread second([&] { results[1] = Ctl({"rotate", cred.id, "--json"}); });
    first.join();
    second.join();
    for (const RunResult& r : results) {
      ASSERT_EQ(r.exit_code, 0) << r.err;
      tokens.push_back(TokenOf(r));
    }
  }
  EXPECT_EQ(std::set<std::string>(tokens.begin(), tokens.end()).size(), tokens.size());
  int valid = 0;
  for (const auto& token : tokens) valid += AuthenticatedId(token) == cred.id ? 1 : 0;
  EXPECT_EQ(valid, 1);
  // The one valid token is the one the credential shows the hint of.
  JsonPtr show = CtlJson({"show", cred.id});
  int hinted = 0;
  for (const auto& token : tokens) {
    if (AuthenticatedId(token) == cred.id) {
      EXPECT_EQ(TokenHint(token), Str(show.get(), "token_hint"));
      ++hinted;
    }
  }
  EXPECT_EQ(hinted, 1);
}

TEST_F(CliTokensTest, NoPlaintextTokenEverReachesRedis) {
  std::vector<std::string> tokens;
  Issued hits = Create("acme", "hits", "jobs");
  Issued deploy = Create("acme", "deploy", "CI", "api");
  tokens.insert(tokens.end(), {hits.token, deploy.token});
  for (int i = 0; i < 3; ++i) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"rotate", hits.id, "--json"},
             {"rotate", deploy.id, "--grace", "1h", "--json"},
             {"rename", hits.id, "jobs " + std::to_string(i), "--json"},
             {"rename", deploy.id, "CI " + std::to_string(i), "--grace", "10s", "--json"}}) {
      RunResult r = Ctl(args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      tokens.push_back(TokenOf(r));
    }
  }
  Record(tokens.back(), EventType::kDeploy, R"({"version":"1.0.0"})");
  ASSERT_EQ(Ctl({"delete", hits.id, "--yes"}).exit_code, 0);
  const std::string dump = redis_->DumpAll();
  ASSERT_NE(dump.find(deploy.id), std::string::npos);  // the dump is real
  for (const auto& token : tokens) {
    ASSERT_TRUE(CheckTokenFormat(token).ok()) << token;
    EXPECT_EQ(dump.find(token), std::string::npos);
    EXPECT_EQ(dump.find(token.substr(kTokenPrefix.size() + kRoutingTagChars, kTokenRandomChars)),
              std::string::npos);
  }
}

// Runs onepctl on a pseudo-terminal, answers `answer` to its question, and
// returns what it wrote and its exit code.
RunResult RunOnTerminal(const std::vector<std::string>& argv, const std::string& answer) {
  RunResult result;
  int master = -1;
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    execv(c_args[0], c_args.data());
    _exit(127);
  }
  EXPECT_GT(pid, 0);
  if (pid < 0) return result;
  std::string seen;
  char buf[4096];
  bool answered = false;
  while (true) {
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited
    seen.append(buf, static_cast<size_t>(n));
    if (!answered && seen.find("[y/N]") != std::string::npos) {
      std::string line = answer + "\n";
      EXPECT_EQ(write(master, line.data(), line.size()), static_cast<ssize_t>(line.size()));
      answered = true;
    }
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = seen;  // stdout and stderr share the terminal
  return result;
}

TEST_F(CliTokensTest, DeleteAsksOnATerminal) {
  Issued cred = Create("acme", "hits", "nightly jobs");
  RunResult no = RunOnTerminal(Argv({"delete", cred.id}), "n");
  EXPECT_NE(no.out.find("Delete credential " + cred.id + " (nightly jobs)? [y/N]"),
            std::string::npos)
      << no.out;
  EXPECT_EQ(no.exit_code, 1) << no.out;
  EXPECT_EQ(AuthenticatedId(cred.token), cred.id);

  RunResult yes = RunOnTerminal(Argv({"delete", cred.id}), "y");
  EXPECT_EQ(yes.exit_code, 0) << yes.out;
  EXPECT_EQ(AuthenticatedId(cred.token), "");
}

}  // namespace
}  // namespace onep::testing
