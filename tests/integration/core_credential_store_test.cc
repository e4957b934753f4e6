// SPDX-License-Identifier: Apache-2.0
// RedisCredentialStore + CredentialService against a real Redis.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "onep/clock.h"
#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/parse.h"
#include "onep/redis_credential_store.h"
#include "onep/token.h"
#include "support/redis_server.h"

namespace onep {
namespace {

class CredentialStoreTest : public ::testing::Test {
 protected:
  CredentialStoreTest()
      : conn_(redis_.Connect()),
        client_(redis_.Client()),
        store_(*client_, KeySpace("onep:")),
        service_(store_, "alice") {}

  IssuedCredential Create(const std::string& org, const std::string& type, const std::string& app,
                          const std::string& name = "main") {
    auto issued = service_.Create({org, type, name, app, 0});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.value();
  }

  std::optional<std::string> Who(const std::string& token) {
    auto id = store_.Authenticate(token);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : std::nullopt;
  }

  testing::RedisServer redis_;
  std::unique_ptr<RedisConnection> conn_;
  std::unique_ptr<RedisClient> client_;
  RedisCredentialStore store_;
  CredentialService service_;
};

TEST_F(CredentialStoreTest, CreateGetList) {
  auto a = Create("acme", "hits", "", "first");
  auto b = Create("acme", "deploy", "web", "second");
  EXPECT_EQ(a.credential.id.rfind("wh_", 0), 0u);
  EXPECT_EQ(CheckTokenFormat(a.token).ok(), true);
  EXPECT_EQ(a.credential.token_hint, TokenHint(a.token));
  EXPECT_GT(a.credential.created_at_ms, 0);
  EXPECT_EQ(Who(a.token), a.credential.id);
  EXPECT_EQ(Who(b.token), b.credential.id);

  auto got = store_.Get(b.credential.id);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->name, "second");
  EXPECT_EQ((*got)->type, CredentialType::kDeploy);
  EXPECT_EQ((*got)->app, "web");
  EXPECT_FALSE((*got)->rotated_at_ms.has_value());
  EXPECT_FALSE((*got)->last_used_at_ms.has_value());
  EXPECT_FALSE((*got)->expires_at_ms.has_value());

  auto list = store_.List("acme");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, a.credential.id);
  EXPECT_EQ((*list)[1].id, b.credential.id);
  EXPECT_TRUE(store_.List("nobody")->empty());
  EXPECT_TRUE(*store_.OrgExists("acme"));
  EXPECT_FALSE(*store_.OrgExists("nobody"));
  auto missing = store_.Get("wh_doesnotexist0000");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(CredentialStoreTest, OneDeployCredentialPerApp) {
  auto first = Create("acme", "deploy", "web");
  auto second = service_.Create({"acme", "deploy", "again", "web", 0});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kConflict);
  EXPECT_NE(second.status().message().find(first.credential.id), std::string::npos);
  // Another org, or another app, is fine; so is the same app after a delete.
  EXPECT_TRUE(service_.Create({"other", "deploy", "x", "web", 0}).ok());
  EXPECT_TRUE(service_.Create({"acme", "deploy", "x", "api", 0}).ok());
  ASSERT_TRUE(service_.Delete(first.credential.id).ok());
  EXPECT_TRUE(service_.Create({"acme", "deploy", "x", "web", 0}).ok());
}

TEST_F(CredentialStoreTest, RejectsBadInput) {
  EXPECT_EQ(service_.Create({"Acme", "hits", "n", "", 0}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(service_.Create({"acme", "metrics", "n", "", 0}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(service_.Create({"acme", "hits", "", "", 0}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(service_.Create({"acme", "deploy", "n", "", 0}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(service_.Create({"acme", "hits", "n", "Web_App", 0}).status().code(),
            Code::kInvalidArgument);
  auto cred = Create("acme", "hits", "");
  EXPECT_EQ(service_.Rotate(cred.credential.id, kMaxGraceMs + 1).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(service_.Rotate("wh_missing", 0).status().code(), Code::kNotFound);
  EXPECT_EQ(service_.Rename("wh_missing", "x", 0).status().code(), Code::kNotFound);
  EXPECT_EQ(service_.Delete("wh_missing").code(), Code::kNotFound);
  EXPECT_EQ(Who(cred.token), cred.credential.id);  // nothing above changed it
}

TEST_F(CredentialStoreTest, RotateInvalidatesTheOldTokenAtOnce) {
  auto cred = Create("acme", "hits", "");
  auto rotated = service_.Rotate(cred.credential.id, 0);
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(rotated->token, cred.token);
  EXPECT_EQ(rotated->credential.id, cred.credential.id);
  EXPECT_TRUE(rotated->credential.rotated_at_ms.has_value());
  EXPECT_EQ(rotated->credential.token_hint, TokenHint(rotated->token));
  EXPECT_EQ(Who(cred.token), std::nullopt);
  EXPECT_EQ(Who(rotated->token), cred.credential.id);
}

TEST_F(CredentialStoreTest, RenameRegeneratesTheToken) {
  auto cred = Create("acme", "hits", "");
  auto renamed = service_.Rename(cred.credential.id, "new name", 0);
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->credential.name, "new name");
  EXPECT_EQ(Who(cred.token), std::nullopt);
  EXPECT_EQ(Who(renamed->token), cred.credential.id);
}

TEST_F(CredentialStoreTest, GracePeriodKeepsTheOldTokenThenEndsIt) {
  auto cred = Create("acme", "hits", "");
  auto rotated = service_.Rotate(cred.credential.id, 1500);
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(Who(cred.token), cred.credential.id);
  EXPECT_EQ(Who(rotated->token), cred.credential.id);
  std::this_thread::sleep_for(std::chrono::milliseconds(1700));
  EXPECT_EQ(Who(cred.token), std::nullopt);
  EXPECT_EQ(Who(rotated->token), cred.credential.id);
}

TEST_F(CredentialStoreTest, ANewRotationEndsAnEarlierGracePeriod) {
  auto cred = Create("acme", "hits", "");
  auto second = service_.Rotate(cred.credential.id, 60000);
  ASSERT_TRUE(second.ok());
  auto third = service_.Rotate(cred.credential.id, 60000);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(Who(cred.token), std::nullopt);           // grace ended by the new rotation
  EXPECT_EQ(Who(second->token), cred.credential.id);  // in its own grace period
  EXPECT_EQ(Who(third->token), cred.credential.id);
  auto fourth = service_.Rotate(cred.credential.id, 0);
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(Who(second->token), std::nullopt);
  EXPECT_EQ(Who(third->token), std::nullopt);
  EXPECT_EQ(Who(fourth->token), cred.credential.id);
}

TEST_F(CredentialStoreTest, DeleteRemovesEveryTokenAndTheOrgWithoutEvents) {
  auto cred = Create("solo", "hits", "");
  auto rotated = service_.Rotate(cred.credential.id, 60000);
  ASSERT_TRUE(rotated.ok());
  ASSERT_TRUE(service_.Delete(cred.credential.id).ok());
  EXPECT_EQ(Who(cred.token), std::nullopt);
  EXPECT_EQ(Who(rotated->token), std::nullopt);
  EXPECT_FALSE(store_.Get(cred.credential.id)->has_value());
  EXPECT_FALSE(*store_.OrgExists("solo"));
  // Nothing of the credential is left but the audit trail.
  std::string dump = redis_.DumpAll();
  EXPECT_EQ(dump.find(":tok:"), std::string::npos) << dump;
  EXPECT_EQ(dump.find(":cred:"), std::string::npos) << dump;
  EXPECT_NE(dump.find(":audit"), std::string::npos) << dump;
}

TEST_F(CredentialStoreTest, ExpiryMakesTheCredentialExpired) {
  auto issued = service_.Create({"acme", "hits", "temp", "", 200});
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(issued->credential.expires_at_ms.has_value());
  EXPECT_EQ(*issued->credential.expires_at_ms - issued->credential.created_at_ms, 200);
  EXPECT_EQ(Who(issued->token), issued->credential.id);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Who(issued->token), std::nullopt);
  auto got = store_.Get(issued->credential.id);
  EXPECT_STREQ((*got)->State(NowMs()), "expired");
}

TEST_F(CredentialStoreTest, AuditRecordsEveryChangeWithItsActor) {
  auto cred = Create("acme", "hits", "");
  ASSERT_TRUE(service_.Rotate(cred.credential.id, 0).ok());
  ASSERT_TRUE(service_.Rename(cred.credential.id, "renamed", 0).ok());
  ASSERT_TRUE(service_.Delete(cred.credential.id).ok());
  auto audit = store_.Audit("acme", AuditQuery{10, std::nullopt, std::nullopt, ""});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 4u);
  EXPECT_EQ((*audit)[0].action, "delete");  // newest first
  EXPECT_EQ((*audit)[1].action, "rename");
  EXPECT_EQ((*audit)[2].action, "rotate");
  EXPECT_EQ((*audit)[3].action, "create");
  for (const auto& entry : *audit) {
    EXPECT_EQ(entry.credential, cred.credential.id);
    EXPECT_EQ(entry.actor, "alice");
    EXPECT_GT(entry.time_ms, 0);
  }
  EXPECT_EQ(store_.Audit("acme", AuditQuery{2, std::nullopt, std::nullopt, ""})->size(), 2u);
}

TEST_F(CredentialStoreTest, OrgsCountCredentials) {
  Create("b-org", "hits", "");
  Create("a-org", "hits", "");
  Create("a-org", "hits", "", "second");
  auto orgs = store_.Orgs();
  ASSERT_TRUE(orgs.ok());
  ASSERT_EQ(orgs->size(), 2u);
  EXPECT_EQ((*orgs)[0].org, "a-org");
  EXPECT_EQ((*orgs)[0].credentials, 2);
  EXPECT_EQ((*orgs)[0].events, 0);
  EXPECT_EQ((*orgs)[1].org, "b-org");
  EXPECT_EQ((*orgs)[1].credentials, 1);
}

TEST_F(CredentialStoreTest, NoPlaintextTokenIsEverStored) {
  std::vector<std::string> tokens;
  auto cred = Create("acme", "hits", "");
  tokens.push_back(cred.token);
  for (int i = 0; i < 3; ++i) {
    auto r = service_.Rotate(cred.credential.id, 60000);
    ASSERT_TRUE(r.ok());
    tokens.push_back(r->token);
    auto n = service_.Rename(cred.credential.id, "name " + std::to_string(i), 60000);
    ASSERT_TRUE(n.ok());
    tokens.push_back(n->token);
  }
  std::string dump = redis_.DumpAll();
  ASSERT_NE(dump.find(TokenHash(tokens.back())), std::string::npos);  // the dump is real
  for (const auto& token : tokens) {
    EXPECT_EQ(dump.find(token), std::string::npos);
    // Not even the secret part without its prefix.
    EXPECT_EQ(dump.find(token.substr(kTokenPrefix.size() + kRoutingTagChars, kTokenRandomChars)),
              std::string::npos);
  }
}

TEST_F(CredentialStoreTest, ConcurrentRotationsLeaveExactlyOneValidToken) {
  auto cred = Create("acme", "hits", "");
  std::vector<std::string> all_tokens = {cred.token};
  std::mutex mu;
  for (int round = 0; round < 25; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        auto client = redis_.Client();
        RedisCredentialStore store(*client, KeySpace("onep:"));
        CredentialService service(store, "racer");
        auto r = service.Rotate(cred.credential.id, 0);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        std::lock_guard<std::mutex> lock(mu);
        all_tokens.push_back(r->token);
      });
    }
    for (auto& t : threads) t.join();
  }
  ASSERT_EQ(all_tokens.size(), 101u);
  int valid = 0;
  for (const auto& token : all_tokens) valid += Who(token).has_value() ? 1 : 0;
  EXPECT_EQ(valid, 1);
  auto keys = conn_->Command({"KEYS", "onep:{*}:tok:*"});
  EXPECT_EQ(keys->elements.size(), 1u);
}

}  // namespace
}  // namespace onep
