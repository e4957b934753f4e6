// SPDX-License-Identifier: Apache-2.0
// CredentialService rules against an in-memory fake store (fast, no Redis).
// The same rules run against a real Redis in tests/integration.
#include "onep/credential_service.h"

#include <gtest/gtest.h>

#include <map>

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
  };

  Result<std::string> AssignRoutingTag(const std::string& org) override {
    auto& tag = tags_[org];
    if (tag.empty()) tag = GenerateRoutingTag().value();
    return tag;
  }
  Result<Credential> Create(const Credential& cred, const StoredToken& token, int64_t expires_in_ms,
                            const std::string& actor) override {
    if (creds_.count(cred.id) != 0) return Status::Conflict("id exists");
    if (cred.routing_tag != tags_[cred.org]) return Status::Internal("wrong routing tag");
    if (cred.type == CredentialType::kDeploy) {
      for (const auto& [id, other] : creds_) {
        if (other.org == cred.org && other.type == CredentialType::kDeploy &&
            other.app == cred.app) {
          return Status::Conflict("app already has a deploy credential");
        }
      }
    }
    Credential stored = cred;
    stored.created_at_ms = 1000;
    stored.token_hint = token.hint;
    if (expires_in_ms > 0) stored.expires_at_ms = 1000 + expires_in_ms;
    creds_[cred.id] = stored;
    hashes_[token.hash] = cred.id;
    current_[cred.id] = token.hash;
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
    const std::string& new_name = change.new_name;
    const int64_t grace_ms = change.grace_ms;
    auto it = creds_.find(id);
    if (it == creds_.end()) return Status::NotFound("no credential " + id);
    replacements_.push_back({id, token.hash, new_name, actor, grace_ms});
    if (!new_name.empty()) it->second.name = new_name;
    it->second.token_hint = token.hint;
    // As the real store: the new token is the current one; the one it
    // replaces stays valid during a grace period; any earlier one, and an
    // earlier grace period, end now.
    const std::string replaced = current_[id];
    for (auto h = hashes_.begin(); h != hashes_.end();) {
      h = h->second == id && !(grace_ms > 0 && h->first == replaced) ? hashes_.erase(h)
                                                                     : std::next(h);
    }
    hashes_[token.hash] = id;
    current_[id] = token.hash;
    return it->second;
  }
  Status Delete(const std::string& id, const std::string&) override {
    if (creds_.erase(id) == 0) return Status::NotFound("no credential " + id);
    for (auto h = hashes_.begin(); h != hashes_.end();) {
      h = h->second == id ? hashes_.erase(h) : std::next(h);
    }
    current_.erase(id);
    return Status::Ok();
  }
  Result<std::vector<OrgSummary>> Orgs() override { return std::vector<OrgSummary>(); }
  Result<std::vector<AuditEntry>> Audit(const std::string&, const AuditQuery&) override {
    return std::vector<AuditEntry>();
  }
  Result<std::optional<std::string>> Authenticate(std::string_view token) override {
    auto it = hashes_.find(TokenHash(token));
    if (it == hashes_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  std::map<std::string, std::string> tags_;
  std::map<std::string, Credential> creds_;
  std::map<std::string, std::string> hashes_;   // every valid token hash: its credential
  std::map<std::string, std::string> current_;  // credential: its current token's hash
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
  ASSERT_EQ(store.hashes_.size(), 1u);
  EXPECT_EQ(store.hashes_.begin()->first, TokenHash(issued->token));
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
       "invalid name: name must not contain control characters"},
      {{"acme", "hits", "n", "Web", 0}, "invalid app \"Web\"" + slug_rule},
      {{"acme", "deploy", "n", "", 0}, "a deploy credential needs app APP (one per application)"},
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

TEST(CredentialServiceTest, AnAppHasOneDeployCredential) {
  FakeCredentialStore store;
  CredentialService service(store, "bob");
  ASSERT_TRUE(service.Create({"acme", "deploy", "shop deploys", "shop", 0}).ok());
  auto second = service.Create({"acme", "deploy", "again", "shop", 0});
  EXPECT_EQ(second.status().code(), Code::kConflict) << second.status().ToString();
  // Another app, or another org's app of the same name, has its own.
  EXPECT_TRUE(service.Create({"acme", "deploy", "blog deploys", "blog", 0}).ok());
  EXPECT_TRUE(service.Create({"beta", "deploy", "shop deploys", "shop", 0}).ok());
  EXPECT_TRUE(service.Create({"acme", "hits", "shop hits", "shop", 0}).ok());
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

TEST(CredentialServiceTest, RotationLeavesOnlyTheNewTokenValid) {
  FakeCredentialStore store;
  CredentialService service(store, "carol");
  auto issued = service.Create({"acme", "hits", "n", "", 0}).value();
  auto rotated = service.Rotate(issued.credential.id, 0).value();
  EXPECT_FALSE(store.Authenticate(issued.token)->has_value());
  EXPECT_EQ(store.Authenticate(rotated.token)->value_or(""), issued.credential.id);
  // The new token carries the same org's tag as the old one.
  EXPECT_EQ(TokenRoutingTag(rotated.token), TokenRoutingTag(issued.token));
}

TEST(CredentialServiceTest, ARotationEndsAnEarlierGracePeriod) {
  FakeCredentialStore store;
  CredentialService service(store, "carol");
  auto first = service.Create({"acme", "hits", "n", "", 0}).value();
  const std::string& id = first.credential.id;
  auto second = service.Rotate(id, 60000).value();
  EXPECT_EQ(store.Authenticate(first.token)->value_or(""), id);  // in its grace period
  EXPECT_EQ(store.Authenticate(second.token)->value_or(""), id);
  auto third = service.Rotate(id, 60000).value();
  // At most two valid tokens: the current one and the one it replaced.
  EXPECT_FALSE(store.Authenticate(first.token)->has_value());
  EXPECT_EQ(store.Authenticate(second.token)->value_or(""), id);
  EXPECT_EQ(store.Authenticate(third.token)->value_or(""), id);
  ASSERT_TRUE(service.Delete(id).ok());
  for (const auto* token : {&first.token, &second.token, &third.token}) {
    EXPECT_FALSE(store.Authenticate(*token)->has_value());
  }
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

TEST(CurlCommandTest, PostsAFirstEventToTheRightRoute) {
  Credential hits;
  hits.type = CredentialType::kHits;
  hits.app = "web";
  std::string token = GenerateToken(GenerateRoutingTag().value()).value();
  std::string curl = CurlCommand(hits, token, "http://127.0.0.1:8080/onep/");
  EXPECT_EQ(curl.rfind("curl ", 0), 0u);
  EXPECT_NE(curl.find("'http://127.0.0.1:8080/onep/hits'"), std::string::npos) << curl;
  EXPECT_NE(curl.find("'Authorization: Bearer " + token + "'"), std::string::npos);
  EXPECT_NE(curl.find("'Content-Type: application/json'"), std::string::npos);
  EXPECT_EQ(curl.find("\"app\""), std::string::npos);  // bound: no app needed

  EXPECT_NE(curl.find("\"message\":\"onepctl test event\""), std::string::npos) << curl;

  hits.app.clear();
  EXPECT_NE(CurlCommand(hits, token, "http://x/onep").find("\"app\":\"onepctl-test\""),
            std::string::npos);
  // A base URL with a query keeps it after the route.
  EXPECT_NE(CurlCommand(hits, token, "https://example.com/onep/?x=1")
                .find("'https://example.com/onep/hits?x=1'"),
            std::string::npos);

  Credential deploy;
  deploy.type = CredentialType::kDeploy;
  deploy.app = "web";
  std::string d = CurlCommand(deploy, token, "http://x/onep");
  EXPECT_NE(d.find("'http://x/onep/deploys'"), std::string::npos);
  // A test event, not a made-up production deploy.
  EXPECT_NE(d.find("\"version\":\"onepctl-test\""), std::string::npos) << d;
  EXPECT_NE(d.find("\"environment\":\"onepctl-test\""), std::string::npos) << d;
  EXPECT_EQ(d.find("production"), std::string::npos) << d;
}

TEST(CurlCommandTest, QuotesSingleQuotesForTheShell) {
  Credential hits;
  hits.app = "web";
  std::string curl = CurlCommand(hits, "t", "http://x/it's");
  EXPECT_NE(curl.find("'http://x/it'\\''s/hits'"), std::string::npos) << curl;
}

}  // namespace
}  // namespace onep
