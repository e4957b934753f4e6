// SPDX-License-Identifier: Apache-2.0
// MigrateKeyspace against a real Redis filled the way the previous release
// filled it (support/layout_v1.h): every event, counter, audit entry and
// credential survives, the legacy tokens keep working, and a second run (or a
// run after an interrupted one) changes nothing more.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "onep/clock.h"
#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/layout.h"
#include "onep/migrate.h"
#include "onep/parse.h"
#include "onep/redis_credential_store.h"
#include "onep/routing.h"
#include "onep/token.h"
#include "support/layout_v1.h"
#include "support/redis_server.h"

namespace onep {
namespace {

using Kind = RecordOutcome::Kind;
constexpr int64_t kHourMs = 3600 * 1000;

// Everything of one org that must survive, read from its own keys.
struct OrgContents {
  std::string events;  // every entry of the stream, ids and fields
  std::string audit;
  std::map<int64_t, std::string> stats;  // hour -> bucket
  long long entries_added = 0;
  bool operator==(const OrgContents& o) const {
    return events == o.events && audit == o.audit && stats == o.stats &&
           entries_added == o.entries_added;
  }
};

std::string Flatten(const Reply& reply) {
  if (reply.type == Reply::Type::kArray) {
    std::string out = "[";
    for (const auto& e : reply.elements) out += Flatten(e) + ",";
    return out + "]";
  }
  if (reply.type == Reply::Type::kInteger) return std::to_string(reply.integer);
  return reply.str;
}

class MigrateTest : public ::testing::Test {
 protected:
  MigrateTest()
      : conn_(redis_.Connect()),
        client_(redis_.Client()),
        keys_("onep:"),
        store_(*client_, keys_),
        events_(keys_) {}

  // The org's contents under `org_key` ("onep:{acme}:" in layout 1,
  // "onep:{<tag>}:" in layout 2).
  OrgContents Contents(const std::string& org_key) {
    OrgContents c;
    c.events = Flatten(*conn_->Command({"XRANGE", org_key + "events", "-", "+"}));
    c.audit = Flatten(*conn_->Command({"XRANGE", org_key + "audit", "-", "+"}));
    for (int64_t hour = first_hour_; hour <= NowMs() / kHourMs; ++hour) {
      auto bucket = conn_->Command({"HGETALL", org_key + "stats:" + std::to_string(hour)});
      if (!bucket->elements.empty()) c.stats[hour] = Flatten(*bucket);
    }
    auto info = conn_->Command({"XINFO", "STREAM", org_key + "events"});
    for (size_t i = 0; i + 1 < info->elements.size(); i += 2) {
      if (info->elements[i].str == "entries-added") c.entries_added = info->elements[i + 1].integer;
    }
    return c;
  }

  std::string NewOrgKey(const std::string& org) {
    auto tag = OrgRoutingTag(*client_, keys_, org);
    EXPECT_TRUE(tag.ok() && tag->has_value()) << org;
    return "onep:{" + tag->value_or("?") + "}:";
  }

  RecordOutcome RecordLegacy(const std::string& token, EventType type, const std::string& body,
                             const std::string& idempotency_key = "") {
    auto event = ParseEvent(type, body, NowMs());
    EXPECT_TRUE(event.ok());
    // A legacy token carries no tag: the module passes none, as here.
    RecordRequest request;
    request.token_hash = TokenHash(token);
    request.routing_tag = std::string(TokenRoutingTag(token));
    request.event = *event;
    request.idempotency_key = idempotency_key;
    EXPECT_EQ(request.routing_tag, "");
    auto out = events_.Record(*client_, request);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : RecordOutcome{};
  }

  // A layout-1 keyspace with what an org can have: credentials of each kind,
  // a rotation in its grace period, a rename, a deletion, events with
  // timestamps over several hours, idempotency keys, deploy ids, and an org
  // whose last credential is deleted (only its audit trail is left).
  void FillVersion1() {
    first_hour_ = NowMs() / kHourMs - 3;
    acme_hits_ = testing::v1::Create(*conn_, "onep:", "acme", "hits", "jobs", "");
    acme_web_ = testing::v1::Create(*conn_, "onep:", "acme", "hits", "web hits", "web");
    acme_deploy_ = testing::v1::Create(*conn_, "onep:", "acme", "deploy", "CI", "api");
    beta_ = testing::v1::Create(*conn_, "onep:", "beta", "hits", "beta jobs", "", 3600 * 1000);
    auto gone = testing::v1::Create(*conn_, "onep:", "gone", "hits", "short-lived", "");
    testing::v1::Delete(*conn_, "onep:", gone.id);

    for (int i = 0; i < 4; ++i) {
      testing::v1::Event hit;
      hit.app = i % 2 ? "api" : "web";
      hit.time_ms = (first_hour_ + i) * kHourMs + 60000;
      hit.count = i + 1;
      hit.fields_json = "{\"count\":" + std::to_string(i + 1) + "}";
      if (i == 0) hit.idempotency_key = "retry-1";
      testing::v1::Record(*conn_, "onep:", acme_hits_.token, hit);
    }
    testing::v1::Event failure;
    failure.type = "failure";
    failure.fields_json = R"({"count":1,"error":"boom"})";
    testing::v1::Record(*conn_, "onep:", acme_web_.token, failure);
    testing::v1::Event deploy;
    deploy.type = "deploy";
    deploy.deploy_id = "release-7";
    deploy.fields_json = R"({"version":"7","environment":"production","status":"succeeded"})";
    deploy_event_ = testing::v1::Record(*conn_, "onep:", acme_deploy_.token, deploy);
    testing::v1::Event beta_hit;
    beta_hit.app = "cron";
    testing::v1::Record(*conn_, "onep:", beta_.token, beta_hit);

    // acme_web_ rotated with a grace period: both its tokens work.
    acme_web_previous_ = acme_web_.token;
    acme_web_.token = testing::v1::Rotate(*conn_, "onep:", acme_web_.id, 3600 * 1000);
    // acme_hits_ renamed (which rotates at once).
    acme_hits_old_ = acme_hits_.token;
    acme_hits_.token = testing::v1::Rotate(*conn_, "onep:", acme_hits_.id, 0, "nightly jobs");
  }

  testing::RedisServer redis_;
  std::unique_ptr<RedisConnection> conn_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore store_;
  EventStore events_;
  int64_t first_hour_ = 0;
  testing::v1::Issued acme_hits_, acme_web_, acme_deploy_, beta_;
  std::string acme_web_previous_, acme_hits_old_, deploy_event_;
};

TEST_F(MigrateTest, KeepsEveryEventCounterAuditEntryAndCredential) {
  FillVersion1();
  ASSERT_EQ(ReadLayout(*client_, keys_)->state, LayoutState::kVersion1);
  const std::map<std::string, OrgContents> before = {{"acme", Contents("onep:{acme}:")},
                                                     {"beta", Contents("onep:{beta}:")},
                                                     {"gone", Contents("onep:{gone}:")}};
  ASSERT_FALSE(before.at("acme").events.empty());
  ASSERT_EQ(before.at("acme").stats.size(), 4u);
  ASSERT_NE(before.at("gone").audit, "[]");

  // A dry run writes nothing.
  const std::string dump = redis_.DumpAll();
  auto dry = MigrateKeyspace(*client_, keys_, true);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_TRUE(dry->dry_run);
  EXPECT_EQ(dry->orgs, 3);
  EXPECT_EQ(dry->credentials, 4);
  EXPECT_EQ(redis_.DumpAll(), dump);

  auto report = MigrateKeyspace(*client_, keys_, false);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->layout_before, "1");
  EXPECT_EQ(report->orgs, 3);
  EXPECT_EQ(report->credentials, 4);
  EXPECT_EQ(report->tokens, 5);  // acme_web_ has two
  std::vector<std::string> ids = {acme_hits_.id, acme_web_.id, acme_deploy_.id, beta_.id};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(report->rotate, ids);
  EXPECT_EQ(ReadLayout(*client_, keys_)->state, LayoutState::kCurrent);

  for (const auto& [org, contents] : before) {
    EXPECT_EQ(Contents(NewOrgKey(org)), contents) << org;
  }
  // Nothing of layout 1 is left.
  for (const char* pattern : {"onep:tok:*", "onep:cred:*", "onep:orgs", "onep:{acme}:*",
                              "onep:{beta}:*", "onep:{gone}:*"}) {
    EXPECT_TRUE(conn_->Command({"KEYS", pattern})->elements.empty()) << pattern;
  }

  // Credentials as they were, marked legacy.
  auto acme = store_.List("acme");
  ASSERT_TRUE(acme.ok());
  ASSERT_EQ(acme->size(), 3u);
  EXPECT_EQ((*acme)[0].id, acme_hits_.id);
  EXPECT_EQ((*acme)[0].name, "nightly jobs");
  EXPECT_EQ((*acme)[0].token_hint, TokenHint(acme_hits_.token));
  EXPECT_TRUE((*acme)[0].rotated_at_ms.has_value());
  EXPECT_TRUE((*acme)[0].last_used_at_ms.has_value());
  EXPECT_EQ((*acme)[1].app, "web");
  EXPECT_EQ((*acme)[2].type, CredentialType::kDeploy);
  EXPECT_EQ((*acme)[2].app, "api");
  for (const auto& cred : *acme) EXPECT_STREQ(cred.State(NowMs()), "legacy") << cred.id;
  auto beta = store_.Get(beta_.id);
  ASSERT_TRUE(beta.ok() && beta->has_value());
  EXPECT_TRUE((*beta)->expires_at_ms.has_value());
  auto orgs = store_.Orgs();
  ASSERT_TRUE(orgs.ok());
  ASSERT_EQ(orgs->size(), 2u);  // "gone" has neither credentials nor events
  EXPECT_EQ((*orgs)[0].org, "acme");
  EXPECT_EQ((*orgs)[0].credentials, 3);
  EXPECT_EQ((*orgs)[0].events, 6);
  auto audit = store_.Audit("gone", AuditQuery{10, std::nullopt, std::nullopt, ""});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 2u);  // create and delete, still readable
}

TEST_F(MigrateTest, LegacyTokensKeepWorkingUntilRotated) {
  FillVersion1();
  ASSERT_TRUE(MigrateKeyspace(*client_, keys_, false).ok());

  EXPECT_EQ(store_.Authenticate(acme_hits_.token)->value_or(""), acme_hits_.id);
  EXPECT_EQ(store_.Authenticate(acme_hits_old_)->value_or("none"), "none");        // renamed away
  EXPECT_EQ(store_.Authenticate(acme_web_previous_)->value_or(""), acme_web_.id);  // grace
  auto out = RecordLegacy(acme_hits_.token, EventType::kHit, R"({"app":"web"})");
  EXPECT_EQ(out.kind, Kind::kAccepted);
  EXPECT_EQ(out.org, "acme");
  // Idempotency keys and deploy ids recorded before the migration still hold.
  auto again = RecordLegacy(acme_hits_.token, EventType::kHit, R"({"app":"web"})", "retry-1");
  EXPECT_EQ(again.kind, Kind::kDuplicate);
  auto deploy = RecordLegacy(acme_deploy_.token, EventType::kDeploy,
                             R"({"version":"7","deploy_id":"release-7"})");
  EXPECT_EQ(deploy.kind, Kind::kDuplicate);
  EXPECT_EQ(deploy.event_id, deploy_event_);

  // Rotating gives a token with the org's tag; the legacy one stops at once.
  CredentialService service(store_, "admin");
  auto rotated = service.Rotate(acme_hits_.id, 0);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(TokenRoutingTag(rotated->token), NewOrgKey("acme").substr(6, 8));
  EXPECT_STREQ(rotated->credential.State(NowMs()), "active");
  EXPECT_EQ(store_.Authenticate(acme_hits_.token)->value_or("none"), "none");
  EXPECT_EQ(store_.Authenticate(rotated->token)->value_or(""), acme_hits_.id);
  EXPECT_EQ(conn_->Command({"EXISTS", keys_.LegacyToken(TokenHash(acme_hits_.token))})->integer, 0);
  // Deleting a legacy credential removes its legacy indexes too.
  ASSERT_TRUE(service.Delete(beta_.id).ok());
  EXPECT_EQ(store_.Authenticate(beta_.token)->value_or("none"), "none");
  EXPECT_EQ(conn_->Command({"EXISTS", keys_.LegacyCredential(beta_.id)})->integer, 0);
  EXPECT_EQ(conn_->Command({"EXISTS", keys_.LegacyToken(TokenHash(beta_.token))})->integer, 0);
}

TEST_F(MigrateTest, RunningItAgainChangesNothing) {
  FillVersion1();
  ASSERT_TRUE(MigrateKeyspace(*client_, keys_, false).ok());
  const std::string after_first = redis_.DumpAll();
  auto second = MigrateKeyspace(*client_, keys_, false);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->layout_before, "2");
  EXPECT_EQ(second->credentials, 0);
  EXPECT_EQ(redis_.DumpAll(), after_first);
}

// What a run stopped half-way leaves: acme's tag assigned and its event
// stream copied but not yet deleted, beta not started. Running again
// finishes the job, with no event counted twice.
TEST_F(MigrateTest, AnInterruptedRunIsFinishedByTheNextOne) {
  FillVersion1();
  const OrgContents acme_before = Contents("onep:{acme}:");
  const OrgContents beta_before = Contents("onep:{beta}:");
  auto tag = ClaimRoutingTag(*client_, keys_, "acme");
  ASSERT_TRUE(tag.ok());
  auto dump = conn_->Command({"DUMP", "onep:{acme}:events"});
  ASSERT_TRUE(conn_->Command({"RESTORE", "onep:{" + *tag + "}:events", "0", dump->str}).ok());
  // A tag claimed by a run that stopped before publishing it.
  ASSERT_TRUE(conn_->Command({"SET", "onep:{Zz9Zz9Zz}:org", "beta", "NX"}).ok());

  auto report = MigrateKeyspace(*client_, keys_, false);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->orgs, 3);
  EXPECT_EQ(Contents(NewOrgKey("acme")), acme_before);
  EXPECT_EQ(Contents(NewOrgKey("beta")), beta_before);
  EXPECT_EQ(store_.Authenticate(beta_.token)->value_or(""), beta_.id);
}

TEST_F(MigrateTest, CommandsRefuseALayoutOneKeyspaceUntilMigrated) {
  FillVersion1();
  Status usable = CheckLayout(*client_, keys_);
  EXPECT_EQ(usable.code(), Code::kFailedPrecondition);
  EXPECT_NE(usable.message().find("onepctl migrate"), std::string::npos) << usable.message();
  CredentialService service(store_, "admin");
  auto created = service.Create({"acme", "hits", "new", "", 0});
  EXPECT_EQ(created.status().code(), Code::kFailedPrecondition);
  // A layout from the future is refused too, naming the fix.
  ASSERT_TRUE(conn_->Command({"SET", "onep:layout", "3"}).ok());
  usable = CheckLayout(*client_, keys_);
  EXPECT_EQ(usable.code(), Code::kFailedPrecondition);
  EXPECT_NE(usable.message().find("upgrade onep"), std::string::npos) << usable.message();
  EXPECT_EQ(MigrateKeyspace(*client_, keys_, false).status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace onep
