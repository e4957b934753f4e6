// SPDX-License-Identifier: Apache-2.0
// CredentialService's own rules against a fake store that only records what
// it is handed (fast, no Redis): the checks made before the store is called,
// and what the service generates and passes to it. The store's rules (which
// tokens authenticate after a rotation, grace periods, deletion) are the
// Lua scripts': tests/integration/core_credential_store_test.cc runs them on
// a real Redis.
#include "onep/credential_service.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "onep/credential.h"
#include "onep/curl_command.h"
#include "onep/token.h"

namespace onep {
namespace {

// Keeps what the service hands it, so tests can see exactly that.
class FakeCredentialStore : public CredentialStore {
 public:
  struct Replacement {
    std::string id, hash, name, actor;
    int64_t grace_ms;
    std::optional<int64_t> expires_in_ms;
  };

  Result<std::string> AssignRoutingTag(const std::string& org) override {
    auto& tag = tags_[org];
    if (tag.empty()) tag = GenerateRoutingTag().value();
    return tag;
  }
  Result<Credential> Create(const Credential& cred, const StoredToken& token, int64_t expires_in_ms,
                            const std::string& actor) override {
    if (cred.routing_tag != tags_[cred.org]) return Status::Internal("wrong routing tag");
    Credential stored = cred;
    stored.created_at_ms = 1000;
    stored.token_hint = token.hint;
    if (expires_in_ms > 0) stored.expires_at_ms = 1000 + expires_in_ms;
    creds_[cred.id] = stored;
    hashes_.push_back(token.hash);
    actors_.push_back(actor);
    return stored;
  }
  Result<std::optional<Credential>> Get(const std::string& id) override {
    auto it = creds_.find(id);
    if (it == creds_.end()) return std::optional<Credential>();
    return std::optional<Credential>(it->second);
  }
  Result<std::vector<Credential>> List(const std::string&) override {
    return std::vector<Credential>();
  }
  Result<bool> OrgExists(const std::string&) override { return false; }
  Result<Credential> SetExpiry(const std::string& id, int64_t expires_in_ms,
                               const std::string&) override {
    auto it = creds_.find(id);
    if (it == creds_.end()) return Status::NotFound("no credential " + id);
    it->second.expires_at_ms =
        expires_in_ms > 0 ? std::optional<int64_t>(1000 + expires_in_ms) : std::nullopt;
    return it->second;
  }
  Result<Credential> ReplaceToken(const std::string& id, const StoredToken& token,
                                  const TokenChange& change, const std::string& actor) override {
    auto it = creds_.find(id);
    if (it == creds_.end()) return Status::NotFound("no credential " + id);
    replacements_.push_back(
        {id, token.hash, change.new_name, actor, change.grace_ms, change.expires_in_ms});
    if (!change.new_name.empty()) it->second.name = change.new_name;
    it->second.token_hint = token.hint;
    return it->second;
  }
  Status Delete(const std::string& id, const std::string&) override {
    if (creds_.erase(id) == 0) return Status::NotFound("no credential " + id);
    return Status::Ok();
  }
  Result<std::vector<OrgSummary>> Orgs() override { return std::vector<OrgSummary>(); }
  Result<std::vector<AuditEntry>> Audit(const std::string&, const AuditQuery&) override {
    return std::vector<AuditEntry>();
  }
  // Not the service's: the store's rules, tested on a real Redis.
  Result<std::optional<std::string>> Authenticate(std::string_view) override {
    return Status::Internal("not faked");
  }

  std::map<std::string, std::string> tags_;
  std::map<std::string, Credential> creds_;
  std::vector<std::string> hashes_;  // the token hashes handed to Create
  std::vector<std::string> actors_;
  std::vector<Replacement> replacements_;
};

TEST(CredentialServiceTest, CreateHandsTheStoreOnlyAHash) {
  FakeCredentialStore store;
  CredentialService service(store, "bob");
  auto issued = service.Create({"acme", "hits", "Checkout job", "", 0});
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_TRUE(CheckTokenFormat(issued->token).ok());
  EXPECT_EQ(issued->credential.id.size(), kCredentialIdLength);
  // The id and the token both carry the org's routing tag.
  EXPECT_EQ(CredentialIdRoutingTag(issued->credential.id), store.tags_["acme"]);
  EXPECT_EQ(TokenRoutingTag(issued->token), store.tags_["acme"]);
  EXPECT_EQ(store.hashes_, std::vector<std::string>{TokenHash(issued->token)});
  EXPECT_EQ(issued->credential.token_hint, TokenHint(issued->token));
  EXPECT_EQ(store.actors_, std::vector<std::string>{"bob"});
}

TEST(CredentialServiceTest, CreateValidatesEveryField) {
  FakeCredentialStore store;
  CredentialService service(store, "bob");
  const std::string slug_rule = ": it must match ^[a-z0-9][a-z0-9-]{0,62}$";
  struct Case {
    CreateRequest request;
    std::string message;  // the whole message: it names the field and the rule
  } cases[] = {
      {{"", "hits", "n", "", 0}, "invalid organization \"\"" + slug_rule},
      {{"-acme", "hits", "n", "", 0}, "invalid organization \"-acme\"" + slug_rule},
      {{"acme_corp", "hits", "n", "", 0}, "invalid organization \"acme_corp\"" + slug_rule},
      {{std::string(64, 'a'), "hits", "n", "", 0},
       "invalid organization \"" + std::string(64, 'a') + "\"" + slug_rule},
      {{"acme", "", "n", "", 0}, "invalid type \"\": use hits or deploy"},
      {{"acme", "Hits", "n", "", 0}, "invalid type \"Hits\": use hits or deploy"},
      {{"acme", "hits", "", "", 0}, "invalid name: name must not be empty"},
      {{"acme", "hits", std::string(101, 'x'), "", 0},
       "invalid name: name must be at most 100 characters (it has 101)"},
      {{"acme", "hits", "bad\x01name", "", 0},
       "invalid name: name must not contain control, format or invisible characters (U+0001)"},
      {{"acme", "hits", "n", "Web", 0}, "invalid app \"Web\"" + slug_rule},
      {{"acme", "deploy", "n", "", 0},
       "a deploy credential needs an application (each application has one deploy credential)"},
      {{"acme", "hits", "n", "", -5}, "expiry must be positive"},
  };
  for (const auto& c : cases) {
    auto r = service.Create(c.request);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.message;
    EXPECT_EQ(r.status().message(), c.message);
  }
  EXPECT_TRUE(store.creds_.empty());
  // The longest valid values pass.
  EXPECT_TRUE(service.Create({std::string(63, 'a'), "hits", std::string(100, 'x'), "", 0}).ok());
}

TEST(CredentialServiceTest, RotateAndRenamePassNewHashGraceAndName) {
  FakeCredentialStore store;
  CredentialService service(store, "carol");
  auto issued = service.Create({"acme", "hits", "n", "", 0}).value();
  auto rotated = service.Rotate(issued.credential.id, 2000);
  ASSERT_TRUE(rotated.ok());
  auto renamed = service.Rename(issued.credential.id, "new", 0);
  ASSERT_TRUE(renamed.ok());
  ASSERT_EQ(store.replacements_.size(), 2u);
  EXPECT_EQ(store.replacements_[0].hash, TokenHash(rotated->token));
  EXPECT_EQ(store.replacements_[0].grace_ms, 2000);
  EXPECT_EQ(store.replacements_[0].name, "");
  EXPECT_EQ(store.replacements_[1].hash, TokenHash(renamed->token));
  EXPECT_EQ(store.replacements_[1].name, "new");
  EXPECT_EQ(store.replacements_[1].actor, "carol");
  EXPECT_NE(rotated->token, renamed->token);
  EXPECT_NE(rotated->token, issued.token);
}

TEST(CredentialServiceTest, ANewTokenCarriesTheCredentialsRoutingTag) {
  FakeCredentialStore store;
  CredentialService service(store, "carol");
  auto issued = service.Create({"acme", "hits", "n", "", 0}).value();
  auto rotated = service.Rotate(issued.credential.id, 0).value();
  auto renamed = service.Rename(issued.credential.id, "other", 0).value();
  for (const std::string* token : {&issued.token, &rotated.token, &renamed.token}) {
    EXPECT_TRUE(CheckTokenFormat(*token).ok()) << *token;
    EXPECT_EQ(TokenRoutingTag(*token), store.tags_["acme"]) << *token;
  }
}

TEST(CredentialServiceTest, AnExpiredCredentialGetsANewTokenOnlyWithANewExpiry) {
  FakeCredentialStore store;
  CredentialService service(store, "carol");
  // The fake's clock: created at 1000 ms since the epoch, so long expired.
  auto id = service.Create({"acme", "hits", "n", "", 1})->credential.id;
  auto refused = service.Rotate(id, 0);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "credential " + id +
                " expired at 1970-01-01T00:00:01.001Z: a new token would not work; give it a "
                "new expiry or none");
  EXPECT_EQ(service.Rename(id, "other", 0).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(store.replacements_.empty());
  // With a new expiry (or none: 0), the store is asked.
  ASSERT_TRUE(service.Rotate(id, 0, 3600000).ok());
  ASSERT_TRUE(service.Rename(id, "other", 0, 0).ok());
  ASSERT_EQ(store.replacements_.size(), 2u);
  EXPECT_EQ(store.replacements_[0].expires_in_ms, std::optional<int64_t>(3600000));
  EXPECT_EQ(store.replacements_[1].expires_in_ms, std::optional<int64_t>(0));
}

TEST(CredentialServiceTest, GraceAndNameAreCheckedBeforeTheStore) {
  FakeCredentialStore store;
  CredentialService service(store, "carol");
  auto id = service.Create({"acme", "hits", "n", "", 0})->credential.id;
  EXPECT_EQ(service.Rotate(id, kMaxGraceMs + 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(service.Rotate(id, -1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(service.Rename(id, "", 0).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(store.replacements_.empty());
  EXPECT_TRUE(service.Rotate(id, kMaxGraceMs).ok());
  EXPECT_EQ(service.Rotate("wh_nope", 0).status().code(), Code::kNotFound);
}

TEST(CurlCommandTest, AHitsCredentialGetsATestHitAndATestFailure) {
  Credential hits;
  hits.type = CredentialType::kHits;
  hits.app = "web";
  const CurlCommands curls = CurlCommandsFor(hits, "onep_T", "http://127.0.0.1:8080/onep/");
  ASSERT_EQ(curls.size(), 2u);
  EXPECT_EQ(curls[0].first, "hits");
  EXPECT_EQ(curls[0].second,
            "curl -sS -X POST 'http://127.0.0.1:8080/onep/hits' \\\n"
            "  -H 'Authorization: Bearer onep_T' \\\n"
            "  -H 'Content-Type: application/json' \\\n"
            "  --data '{\"test\":true}'");
  EXPECT_EQ(curls[1].first, "failures");
  EXPECT_EQ(curls[1].second,
            "curl -sS -X POST 'http://127.0.0.1:8080/onep/failures' \\\n"
            "  -H 'Authorization: Bearer onep_T' \\\n"
            "  -H 'Content-Type: application/json' \\\n"
            "  --data '{\"test\":true,\"error\":\"test failure\"}'");
  // "curl" of the JSON is the first.
  EXPECT_EQ(CurlCommand(hits, "onep_T", "http://127.0.0.1:8080/onep/"), curls[0].second);
  // Unbound: the same commands, never an application of their own.
  hits.app.clear();
  EXPECT_EQ(CurlCommandsFor(hits, "onep_T", "http://127.0.0.1:8080/onep/"), curls);
}

TEST(CurlCommandTest, ADeployCredentialGetsATestDeployWithoutAVersion) {
  Credential deploy;
  deploy.type = CredentialType::kDeploy;
  deploy.app = "web";
  const CurlCommands curls = CurlCommandsFor(deploy, "onep_T", "http://x/onep");
  ASSERT_EQ(curls.size(), 1u);
  EXPECT_EQ(curls[0].first, "deploys");
  EXPECT_EQ(curls[0].second,
            "curl -sS -X POST 'http://x/onep/deploys' \\\n"
            "  -H 'Authorization: Bearer onep_T' \\\n"
            "  -H 'Content-Type: application/json' \\\n"
            "  --data '{\"test\":true}'");
}

TEST(CurlCommandTest, KeepsAQueryAfterTheRoute) {
  EXPECT_EQ(TestCurlCommand("hits", "t", "https://example.com/onep/?x=1#f"),
            "curl -sS -X POST 'https://example.com/onep/hits?x=1#f' \\\n"
            "  -H 'Authorization: Bearer t' \\\n"
            "  -H 'Content-Type: application/json' \\\n"
            "  --data '{\"test\":true}'");
}

TEST(CurlCommandTest, QuotesSingleQuotesForTheShell) {
  Credential hits;
  hits.app = "web";
  std::string curl = CurlCommand(hits, "t", "http://x/it's");
  EXPECT_EQ(curl.rfind("curl -sS -X POST 'http://x/it'\\''s/hits' \\\n", 0), 0u) << curl;
}

}  // namespace
}  // namespace onep
