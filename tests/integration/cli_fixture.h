// SPDX-License-Identifier: Apache-2.0
// Shared by the cli_*_test.cc files: a real Redis per test suite, the real
// onepctl binary, and helpers to check its output against the store.
#ifndef ONEP_TESTS_INTEGRATION_CLI_FIXTURE_H_
#define ONEP_TESTS_INTEGRATION_CLI_FIXTURE_H_

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "onep/clock.h"
#include "onep/event.h"
#include "onep/event_store.h"
#include "onep/json.h"
#include "onep/parse.h"
#include "onep/redis_credential_store.h"
#include "onep/token.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/test_redis.h"

namespace onep::testing {

inline const std::vector<std::string> kCredentialKeys = {
    "id",           "org",        "type",       "name",
    "app",          "token_hint", "created_at", "rotated_at",
    "last_used_at", "expires_at", "state",      "previous_token_valid_until"};

// The keys of a JSON object, in order.
inline std::vector<std::string> Keys(const json_t* object) {
  std::vector<std::string> keys;
  const char* key;
  json_t* value;
  json_object_foreach(const_cast<json_t*>(object), key, value) keys.push_back(key);
  return keys;
}

inline std::string Str(const json_t* object, const char* key) {
  const json_t* value = json_object_get(object, key);
  return json_is_string(value) ? json_string_value(value) : "";
}

inline JsonPtr ParseJson(const std::string& text) {
  json_error_t error;
  JsonPtr value(json_loadb(text.data(), text.size(), JSON_DECODE_ANY, &error));
  EXPECT_TRUE(value) << "not JSON (" << error.text << "):\n" << text;
  return value;
}

// Lines of `text`, without their newlines.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The contract's error shape: exactly one line "onepctl: what; what to do".
inline void ExpectOneErrorLine(const RunResult& r) {
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("onepctl: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("; "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.back(), '\n');
}

// What onepctl records as the actor: $SUDO_USER under sudo, else the user.
inline std::string LocalUser() {
  if (const char* sudo = std::getenv("SUDO_USER"); sudo != nullptr && *sudo && geteuid() == 0) {
    return sudo;
  }
  if (passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name[0] != '\0') return pw->pw_name;
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? user : "unknown";
}

struct Issued {
  std::string id;
  std::string token;
};

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { redis_ = new TestRedis(); }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }
  void SetUp() override { redis_->FlushAll(); }

  // testing::Test has a Run() of its own.
  static RunResult Exec(const std::vector<std::string>& argv,
                        const std::map<std::string, std::string>& env = {},
                        const std::string& input = "") {
    return ::onep::testing::Run(argv, env, input);
  }

  // onepctl with --redis and --prefix of the test server, whatever the
  // environment of the test runner says.
  static std::vector<std::string> Argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {ONEPCTL_PATH, "--redis", redis_->url(), "--prefix", "onep:"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  RunResult Ctl(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {}, const std::string& input = "") {
    return Exec(Argv(args), env, input);
  }

  // Runs with --json, expects success and returns the parsed stdout.
  JsonPtr CtlJson(std::vector<std::string> args) {
    args.push_back("--json");
    RunResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ParseJson(r.out);
  }

  Issued Create(const std::string& org, const std::string& type, const std::string& name,
                const std::string& app = "") {
    std::vector<std::string> args = {"create", "--org", org, "--type", type, "--name", name};
    if (!app.empty()) args.insert(args.end(), {"--app", app});
    JsonPtr out = CtlJson(args);
    return {Str(out.get(), "id"), Str(out.get(), "token")};
  }

  // The id of the credential the token authenticates now, "" when none.
  std::string AuthenticatedId(const std::string& token) {
    auto client = redis_->Client();
    RedisCredentialStore store(*client, KeySpace("onep:"));
    auto id = store.Authenticate(token);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() && id->has_value() ? **id : "";
  }

  // Records an event as mod_onep would; returns the event id.
  std::string Record(const std::string& token, EventType type, const std::string& body) {
    auto event = ParseEvent(type, body, NowMs());
    EXPECT_TRUE(event.ok()) << event.status().ToString();
    if (!event.ok()) return "";
    RecordRequest request;
    request.token_hash = TokenHash(token);
    request.routing_tag = std::string(TokenRoutingTag(token));
    request.event = *event;
    auto client = redis_->Client();
    auto outcome = EventStore(KeySpace("onep:")).Record(*client, request);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (!outcome.ok()) return "";
    EXPECT_EQ(outcome->kind, RecordOutcome::Kind::kAccepted) << outcome->message;
    return outcome->event_id;
  }

  static TestRedis* redis_;
};

inline TestRedis* CliTest::redis_ = nullptr;

}  // namespace onep::testing

#endif  // ONEP_TESTS_INTEGRATION_CLI_FIXTURE_H_
