// SPDX-License-Identifier: Apache-2.0
// What a token holder can make an org's keys grow to through the record
// script, at scale: 20,000 distinct deploy_ids and 20,000 invented apps.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "onep/clock.h"
#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/redis_credential_store.h"
#include "onep/routing.h"
#include "onep/token.h"
#include "support/record_request.h"
#include "support/redis_info.h"
#include "support/redis_server.h"

namespace onep {
namespace {

using Kind = RecordOutcome::Kind;

class BoundsTest : public ::testing::Test {
 protected:
  BoundsTest()
      : conn_(redis_.Connect()),
        client_(redis_.Client()),
        keys_("onep:"),
        creds_(*client_, keys_),
        service_(creds_, "tester") {}

  long long UsedMemory() { return testing::SettledUsedMemory(*conn_); }

  RecordOutcome Record(const EventStore& events, const std::string& token, EventType type,
                       const std::string& body) {
    auto out = events.Record(*client_, testing::RequestFor(token, type, body));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : RecordOutcome{};
  }

  std::string Tag(const std::string& org) {
    return OrgRoutingTag(*client_, keys_, org).value().value_or("");
  }

  testing::RedisServer redis_;
  std::unique_ptr<RedisConnection> conn_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore creds_;
  CredentialService service_;
};

// Each deploy_id is remembered for the retention at most, and an org
// remembers at most OnepMaxDeployIds of them (10,000): 20,000 distinct
// deploy_ids leave the newest 10,000, each expiring within the retention.
TEST_F(BoundsTest, DeployIdsAreCappedAndExpireWithTheRetention) {
  auto deploy = service_.Create({"acme", "deploy", "CI", "api", 0}).value();
  EventRetention retention;
  retention.max_age_ms = 3600 * 1000;  // the shortest OnepRetention
  EventStore events(keys_, retention);
  const long long before = UsedMemory();
  constexpr int kDeploys = 20000;
  for (int i = 0; i < kDeploys; ++i) {
    const std::string body =
        R"({"version":"1","deploy_id":"release-)" + std::to_string(100000 + i) + "\"}";
    ASSERT_EQ(Record(events, deploy.token, EventType::kDeploy, body).kind, Kind::kAccepted) << i;
  }
  const long long after = UsedMemory();
  const std::string tag = Tag("acme");
  const long long now = NowMs();
  auto ages = conn_->Command({"ZRANGE", keys_.DeployIdAges(tag), "0", "-1", "WITHSCORES"});
  ASSERT_TRUE(ages.ok());
  EXPECT_EQ(ages->elements.size() / 2, retention.max_deploy_ids);
  for (std::size_t i = 1; i < ages->elements.size(); i += 2) {
    const long long expires_at = std::atoll(ages->elements[i].str.c_str());
    ASSERT_GT(expires_at, now) << ages->elements[i - 1].str;
    ASSERT_LE(expires_at, now + retention.max_age_ms) << ages->elements[i - 1].str;
  }
  // Each remembered deploy_id: its first event and its one state.
  EXPECT_EQ(conn_->Command({"HLEN", keys_.DeployIds(tag)})->integer,
            2 * static_cast<long long>(retention.max_deploy_ids));
  EXPECT_EQ(conn_->Command({"EXISTS", keys_.DeployId(tag, "release-100000")})->integer, 0);
  // A recent deploy_id is still a duplicate.
  EXPECT_EQ(Record(events, deploy.token, EventType::kDeploy,
                   R"({"version":"1","deploy_id":"release-)" +
                       std::to_string(100000 + kDeploys - 7) + "\"}")
                .kind,
            Kind::kDuplicate);
  std::printf(
      "[ bounds   ] %d distinct deploy_ids: +%lld bytes of Redis (%lld per deploy, events "
      "included); %llu remembered, each expiring within %lld ms\n",
      kDeploys, after - before, (after - before) / kDeploys,
      static_cast<unsigned long long>(retention.max_deploy_ids),
      static_cast<long long>(retention.max_age_ms));
}

// In one call (group commit), the cap counts the fields the call itself
// creates, and each counter gets the sum of the call's counts: exactly what
// the same events would have made one by one.
TEST_F(BoundsTest, OneCallCountsTheFieldsItCreatesAgainstTheCap) {
  auto hits = service_.Create({"acme", "hits", "jobs", "", 0}).value();
  EventStore events(keys_);
  const std::string tag = Tag("acme");
  // Pinned to one hour (the event's own time), however long the test takes.
  constexpr int64_t kHourMs = 3600LL * 1000;
  const int64_t time_ms = (NowMs() / kHourMs) * kHourMs;
  const std::string bucket = keys_.StatsBucket(tag, time_ms / kHourMs);
  // The bucket one field short of the cap, one of its fields an app "old".
  std::vector<std::string> fill = {"HSET", bucket, "hits:old", "5"};
  for (int i = 1; i < kMaxStatsFieldsPerHour - 1; ++i) {
    fill.push_back("hits:filler-" + std::to_string(i));
    fill.push_back("1");
  }
  auto filled = conn_->Command(fill);
  ASSERT_TRUE(filled.ok()) << filled.status().ToString();
  ASSERT_EQ(filled->integer, kMaxStatsFieldsPerHour - 1) << filled->str;
  const std::string at = R"(,"timestamp":")" + FormatRfc3339Ms(time_ms) + "\"}";
  const std::vector<std::string> bodies = {
      R"({"app":"new-1","count":2)" + at,  // creates the last field: accepted
      R"({"app":"new-2")" + at,            // one field too many: refused
      R"({"app":"old","count":3)" + at,    // an existing field: accepted
      R"({"app":"new-1")" + at,            // the field this call created: accepted
  };
  std::vector<RecordRequest> requests;
  for (const auto& body : bodies) {
    auto event = ParseEvent(EventType::kHit, body, NowMs());
    ASSERT_TRUE(event.ok()) << event.status().ToString();
    RecordRequest request;
    request.token_hash = TokenHash(hits.token);
    request.routing_tag = std::string(TokenRoutingTag(hits.token));
    request.event = *event;
    requests.push_back(request);
  }
  std::vector<const RecordRequest*> batch;
  for (const auto& r : requests) batch.push_back(&r);
  auto out = events.RecordBatch(*client_, batch);
  ASSERT_EQ(out.size(), 4u);
  const std::vector<Kind> expected = {Kind::kAccepted, Kind::kInvalidEvent, Kind::kAccepted,
                                      Kind::kAccepted};
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out[i].ok()) << out[i].status().ToString();
    EXPECT_EQ(out[i]->kind, expected[i]) << "event " << i;
  }
  EXPECT_NE(out[1]->message.find("too many distinct applications"), std::string::npos);
  EXPECT_EQ(conn_->Command({"HLEN", bucket})->integer, kMaxStatsFieldsPerHour);
  EXPECT_EQ(conn_->Command({"HGET", bucket, "hits:new-1"})->str, "3");
  EXPECT_EQ(conn_->Command({"HGET", bucket, "hits:old"})->str, "8");
  EXPECT_FALSE(conn_->Command({"HEXISTS", bucket, "hits:new-2"})->integer);
}

// An hour's counters hold at most kMaxStatsFieldsPerHour fields (one per app
// and kind): beyond that, events naming a new application are refused.
TEST_F(BoundsTest, InventedAppsAreCappedPerHour) {
  auto hits = service_.Create({"acme", "hits", "jobs", "", 0}).value();
  // OnepMaxApps at its highest: the hour's cap is the one reached here.
  EventRetention retention;
  retention.max_apps = kMaxMaxApps;
  EventStore events(keys_, retention);
  const long long before = UsedMemory();
  constexpr int kApps = 20000;
  int accepted = 0, refused = 0;
  for (int i = 0; i < kApps; ++i) {
    const std::string body = R"({"app":"app-)" + std::to_string(i) + "\"}";
    auto out = Record(events, hits.token, EventType::kHit, body);
    if (out.kind == Kind::kAccepted) {
      ++accepted;
    } else {
      ASSERT_EQ(out.kind, Kind::kInvalidEvent) << i;
      ASSERT_NE(out.message.find("too many distinct applications"), std::string::npos)
          << out.message;
      ++refused;
    }
  }
  const long long after = UsedMemory();
  const std::string bucket = keys_.StatsBucket(Tag("acme"), NowMs() / (3600 * 1000));
  const long long fields = conn_->Command({"HLEN", bucket})->integer;
  // An app already counted this hour is still accepted.
  EXPECT_EQ(Record(events, hits.token, EventType::kHit, R"({"app":"app-7"})").kind,
            Kind::kAccepted);
  std::printf(
      "[ bounds   ] %d distinct apps in one hour: %d accepted, %d refused; the hour's counters "
      "hold %lld fields; +%lld bytes of Redis in all\n",
      kApps, accepted, refused, fields, after - before);
  // The hour may have turned during the loop: two buckets of 1000 at most.
  EXPECT_LE(accepted, 2 * kMaxStatsFieldsPerHour);
  EXPECT_LE(fields, kMaxStatsFieldsPerHour);
  EXPECT_GE(refused, kApps - 2 * kMaxStatsFieldsPerHour);
}

}  // namespace
}  // namespace onep
