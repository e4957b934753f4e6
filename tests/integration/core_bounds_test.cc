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

  long long UsedMemory() {
    auto info = conn_->Command({"INFO", "memory"});
    const std::string needle = "used_memory:";
    auto at = info->str.find(needle);
    return at == std::string::npos ? -1 : std::atoll(info->str.c_str() + at + needle.size());
  }

  RecordOutcome Record(const EventStore& events, const std::string& token, EventType type,
                       const std::string& body) {
    auto event = ParseEvent(type, body, NowMs());
    EXPECT_TRUE(event.ok()) << event.status().ToString();
    RecordRequest request;
    request.token_hash = TokenHash(token);
    request.routing_tag = std::string(TokenRoutingTag(token));
    request.event = *event;
    auto out = events.Record(*client_, request);
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

// Each deploy_id is remembered for the retention only: its key expires, so
// 20,000 of them cost memory for a while and then nothing.
TEST_F(BoundsTest, DeployIdsExpireWithTheRetention) {
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
  // Every deploy_id key expires within the retention.
  const std::string pattern = "onep:{" + Tag("acme") + "}:deploy:*";
  std::string cursor = "0";
  long long keys = 0;
  do {
    auto page = conn_->Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = page->elements[0].str;
    for (const auto& key : page->elements[1].elements) {
      ++keys;
      const long long ttl = conn_->Command({"PTTL", key.str})->integer;
      ASSERT_GT(ttl, 0) << key.str << " never expires";
      ASSERT_LE(ttl, retention.max_age_ms) << key.str;
    }
  } while (cursor != "0");
  EXPECT_EQ(keys, kDeploys);
  // A repeated deploy_id within the retention is still a duplicate.
  EXPECT_EQ(Record(events, deploy.token, EventType::kDeploy,
                   R"({"version":"1","deploy_id":"release-100007"})")
                .kind,
            Kind::kDuplicate);
  std::printf(
      "[ bounds   ] %d distinct deploy_ids: +%lld bytes of Redis (%lld per deploy, events "
      "included); each deploy_id key expires within %lld ms\n",
      kDeploys, after - before, (after - before) / kDeploys,
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
  EventStore events(keys_);
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
