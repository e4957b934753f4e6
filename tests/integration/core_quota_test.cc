// SPDX-License-Identifier: Apache-2.0
// The per-organization quotas of the record script: Idempotency-Keys and
// deploy_ids in one capped hash per org (the oldest evicted), entries past
// their age absent, entries of the layout before the quotas still read,
// counters only near now; and what each entry costs Redis.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "onep/clock.h"
#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/redis_credential_store.h"
#include "onep/routing.h"
#include "onep/token.h"
#include "support/org_sizing.h"
#include "support/record_request.h"
#include "support/redis_info.h"
#include "support/redis_server.h"

namespace onep {
namespace {

using Kind = RecordOutcome::Kind;
constexpr int64_t kHourMs = 3600LL * 1000;

class QuotaTest : public ::testing::Test {
 protected:
  QuotaTest()
      : conn_(redis_.Connect()),
        client_(redis_.Client()),
        keys_("onep:"),
        creds_(*client_, keys_),
        service_(creds_, "tester") {}

  IssuedCredential Create(const std::string& type, const std::string& app) {
    auto issued = service_.Create({"acme", type, "test " + type, app, 0});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.value();
  }

  long long UsedMemory() { return testing::SettledUsedMemory(*conn_); }

  RecordOutcome Record(const EventStore& events, const std::string& token, EventType type,
                       const std::string& body, const std::string& idempotency_key = "") {
    auto out = events.Record(*client_, testing::RequestFor(token, type, body, idempotency_key));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : RecordOutcome{};
  }

  std::string Tag() { return OrgRoutingTag(*client_, keys_, "acme").value().value_or(""); }

  // Redis' clock has moved on by at least a millisecond: the age index's
  // scores (Unix ms) of what comes next are greater than of what came before.
  void NextMillisecond() {
    const std::string before = conn_->Command({"TIME"})->elements[1].str;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_NE(conn_->Command({"TIME"})->elements[1].str, before);
  }

  // Deletes the keys that every event grows (stream, counters) and the
  // deploy index (measured on its own by
  // InsightsStoreTest.TheDeployIndexCostsAtMostTheDocumentedBytes), so that
  // used_memory before and after measures what else the events left.
  void DropEventsAndCounters(const std::string& tag) {
    ASSERT_TRUE(conn_->Command({"DEL", keys_.Events(tag)}).ok());
    ASSERT_TRUE(conn_->Command({"DEL", keys_.DeployIndex(tag)}).ok());
    const int64_t hour = NowMs() / kHourMs;
    for (int64_t h = hour - 1; h <= hour + 1; ++h) {
      ASSERT_TRUE(conn_->Command({"DEL", keys_.StatsBucket(tag, h)}).ok());
    }
  }

  testing::RedisServer redis_;
  std::unique_ptr<RedisConnection> conn_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore creds_;
  CredentialService service_;
};

// With a cap of 100: after 150 keys, the first key's retry is recorded again
// (its entry was evicted), the last one's is still a duplicate, and the org
// holds exactly 100 entries.
TEST_F(QuotaTest, TheIdempotencyCapEvictsTheOldest) {
  auto hits = Create("hits", "web");
  EventRetention retention;
  retention.max_idempotency_keys = kMinQuotaEntries;
  EventStore events(keys_, retention);
  const RecordOutcome first = Record(events, hits.token, EventType::kHit, "{}", "key-0");
  ASSERT_EQ(first.kind, Kind::kAccepted);
  NextMillisecond();
  RecordOutcome last;
  for (int i = 1; i < 150; ++i) {
    last = Record(events, hits.token, EventType::kHit, "{}", "key-" + std::to_string(i));
    ASSERT_EQ(last.kind, Kind::kAccepted) << i;
  }
  const std::string tag = Tag();
  EXPECT_EQ(conn_->Command({"ZCARD", keys_.IdempotencyAges(tag)})->integer, 100);
  EXPECT_EQ(conn_->Command({"HLEN", keys_.Idempotencies(tag)})->integer, 100);
  const RecordOutcome newest = Record(events, hits.token, EventType::kHit, "{}", "key-149");
  EXPECT_EQ(newest.kind, Kind::kDuplicate);
  EXPECT_EQ(newest.event_id, last.event_id);
  const RecordOutcome oldest = Record(events, hits.token, EventType::kHit, "{}", "key-0");
  EXPECT_EQ(oldest.kind, Kind::kAccepted);
  EXPECT_NE(oldest.event_id, first.event_id);
  EXPECT_EQ(conn_->Command({"ZCARD", keys_.IdempotencyAges(tag)})->integer, 100);
}

// With a cap of 100 deploy_ids, each reported twice (started, succeeded):
// the first deploy_id's entry goes with both its states, and a report of it
// is recorded again; the newest's reports are still duplicates.
TEST_F(QuotaTest, TheDeployIdCapEvictsTheOldestWithItsStates) {
  auto deploy = Create("deploy", "api");
  EventRetention retention;
  retention.max_deploy_ids = kMinQuotaEntries;
  EventStore events(keys_, retention);
  auto report = [&](int i, const char* status) {
    return Record(events, deploy.token, EventType::kDeploy,
                  R"({"version":"1","deploy_id":"ci-)" + std::to_string(i) + R"(","status":")" +
                      status + "\"}");
  };
  ASSERT_EQ(report(0, "started").kind, Kind::kAccepted);
  ASSERT_EQ(report(0, "succeeded").kind, Kind::kAccepted);
  NextMillisecond();
  RecordOutcome last;
  for (int i = 1; i < 150; ++i) {
    ASSERT_EQ(report(i, "started").kind, Kind::kAccepted) << i;
    last = report(i, "succeeded");
    ASSERT_EQ(last.kind, Kind::kAccepted) << i;
  }
  const std::string tag = Tag();
  EXPECT_EQ(conn_->Command({"ZCARD", keys_.DeployIdAges(tag)})->integer, 100);
  EXPECT_EQ(conn_->Command({"HLEN", keys_.DeployIds(tag)})->integer, 300);  // first, 2 states
  const std::string oldest = KeySpace::DeployIdField(deploy.credential.id, "ci-0");
  EXPECT_EQ(conn_->Command({"HEXISTS", keys_.DeployIds(tag), oldest + ":started"})->integer, 0);
  const RecordOutcome newest = report(149, "succeeded");
  EXPECT_EQ(newest.kind, Kind::kDuplicate);
  EXPECT_EQ(newest.event_id, last.event_id);
  EXPECT_EQ(report(0, "started").kind, Kind::kAccepted);
}

// An entry whose time in the age index has passed counts as absent, whether
// or not it was removed yet: its retry is recorded (and remembered anew).
TEST_F(QuotaTest, AnExpiredEntryCountsAsAbsent) {
  auto hits = Create("hits", "web");
  auto deploy = Create("deploy", "api");
  EventStore events(keys_);
  const std::string tag = Tag();
  const RecordOutcome first = Record(events, hits.token, EventType::kHit, "{}", "late-key");
  ASSERT_EQ(first.kind, Kind::kAccepted);
  const std::string deploy_body = R"({"version":"1","deploy_id":"ci-9","status":"started"})";
  ASSERT_EQ(Record(events, deploy.token, EventType::kDeploy, deploy_body).kind, Kind::kAccepted);
  ASSERT_EQ(Record(events, hits.token, EventType::kHit, "{}", "late-key").kind, Kind::kDuplicate);
  ASSERT_EQ(Record(events, deploy.token, EventType::kDeploy, deploy_body).kind, Kind::kDuplicate);
  // Both entries expire now: their fields are still there.
  const std::string past = std::to_string(NowMs() - 1000);
  const std::string idem_field = KeySpace::IdempotencyField(hits.credential.id, "late-key");
  const std::string deploy_field = KeySpace::DeployIdField(deploy.credential.id, "ci-9");
  ASSERT_EQ(
      conn_->Command({"ZADD", keys_.IdempotencyAges(tag), "XX", "CH", past, idem_field})->integer,
      1);
  ASSERT_EQ(
      conn_->Command({"ZADD", keys_.DeployIdAges(tag), "XX", "CH", past, deploy_field})->integer,
      1);
  ASSERT_EQ(conn_->Command({"HEXISTS", keys_.Idempotencies(tag), idem_field})->integer, 1);
  const RecordOutcome again = Record(events, hits.token, EventType::kHit, "{}", "late-key");
  EXPECT_EQ(again.kind, Kind::kAccepted);
  EXPECT_NE(again.event_id, first.event_id);
  EXPECT_EQ(Record(events, deploy.token, EventType::kDeploy, deploy_body).kind, Kind::kAccepted);
  // Remembered anew, for another 24 h.
  const RecordOutcome retry = Record(events, hits.token, EventType::kHit, "{}", "late-key");
  EXPECT_EQ(retry.kind, Kind::kDuplicate);
  EXPECT_EQ(retry.event_id, again.event_id);
  EXPECT_GT(
      std::atoll(conn_->Command({"ZSCORE", keys_.IdempotencyAges(tag), idem_field})->str.c_str()),
      NowMs() + kIdempotencyKeyTtlMs - 60000);
  EXPECT_EQ(Record(events, deploy.token, EventType::kDeploy, deploy_body).kind, Kind::kDuplicate);
}

// Entries written before the quotas, one hash per key, are read until they
// expire: a retry across the upgrade is a duplicate (or refused as reused
// with another request), a state already reported for a deploy_id too, and
// a new state of that deployment is recorded but not counted again.
TEST_F(QuotaTest, EntriesOfTheLayoutBeforeTheQuotasAreStillRead) {
  auto hits = Create("hits", "web");
  auto deploy = Create("deploy", "api");
  EventStore events(keys_);
  const std::string tag = Tag();
  const std::string old_idem = keys_.Idempotency(tag, "old-key");
  ASSERT_TRUE(
      conn_
          ->Command({"HSET", old_idem, hits.credential.id, "1000-0",
                     hits.credential.id + ":request",
                     testing::RequestFor(hits.token, EventType::kHit, "{}").request_fingerprint})
          .ok());
  ASSERT_TRUE(conn_->Command({"PEXPIRE", old_idem, "86400000"}).ok());
  const std::string old_deploy = keys_.DeployId(tag, "ci-old");
  ASSERT_TRUE(conn_
                  ->Command({"HSET", old_deploy, deploy.credential.id, "1001-0",
                             deploy.credential.id + ":started", "1001-0"})
                  .ok());
  ASSERT_TRUE(conn_->Command({"PEXPIRE", old_deploy, "86400000"}).ok());

  const RecordOutcome retry = Record(events, hits.token, EventType::kHit, "{}", "old-key");
  EXPECT_EQ(retry.kind, Kind::kDuplicate);
  EXPECT_EQ(retry.event_id, "1000-0");
  EXPECT_EQ(Record(events, hits.token, EventType::kHit, R"({"count":2})", "old-key").kind,
            Kind::kIdempotencyKeyReused);
  auto report = [&](const char* status) {
    return Record(
        events, deploy.token, EventType::kDeploy,
        std::string(R"({"version":"1","deploy_id":"ci-old","status":")") + status + "\"}");
  };
  const RecordOutcome started = report("started");
  EXPECT_EQ(started.kind, Kind::kDuplicate);
  EXPECT_EQ(started.event_id, "1001-0");
  const RecordOutcome succeeded = report("succeeded");
  EXPECT_EQ(succeeded.kind, Kind::kAccepted);
  // Now in the new hash too: both states are duplicates.
  EXPECT_EQ(report("succeeded").kind, Kind::kDuplicate);
  EXPECT_EQ(report("started").kind, Kind::kDuplicate);
  // The deployment was counted with its first report, before the upgrade.
  auto stats = events.Stats(*client_, "acme", "api", kHourMs);
  ASSERT_TRUE(stats.ok());
  EXPECT_TRUE(stats->empty()) << (*stats)[0].deploys;
  // Never written.
  EXPECT_EQ(conn_->Command({"HLEN", old_idem})->integer, 2);
  EXPECT_EQ(conn_->Command({"HLEN", old_deploy})->integer, 2);
}

// An event three days old is stored with its own time and counted in the
// hour it arrives; one an hour old in its own hour.
TEST_F(QuotaTest, AnEventMoreThanADayOldIsCountedInTheHourItArrives) {
  auto hits = Create("hits", "web");
  EventStore events(keys_);
  const int64_t now = NowMs();
  const int64_t three_days_ago = now - 3 * 24 * kHourMs;
  const int64_t an_hour_ago = now - kHourMs;
  ASSERT_EQ(Record(events, hits.token, EventType::kHit,
                   R"({"count":5,"timestamp":")" + FormatRfc3339Ms(three_days_ago) + "\"}")
                .kind,
            Kind::kAccepted);
  ASSERT_EQ(Record(events, hits.token, EventType::kHit,
                   R"({"count":7,"timestamp":")" + FormatRfc3339Ms(an_hour_ago) + "\"}")
                .kind,
            Kind::kAccepted);
  const int64_t arrived = NowMs();
  const std::string tag = Tag();
  EXPECT_EQ(conn_->Command({"EXISTS", keys_.StatsBucket(tag, three_days_ago / kHourMs)})->integer,
            0);
  EXPECT_EQ(
      conn_->Command({"HGET", keys_.StatsBucket(tag, an_hour_ago / kHourMs), "hits:web"})->str,
      "7");
  // The hour may turn between `now` and the record: it is one of the two.
  long long counted = 0;
  for (int64_t hour : {now / kHourMs, arrived / kHourMs}) {
    auto n = conn_->Command({"HGET", keys_.StatsBucket(tag, hour), "hits:web"});
    if (n.ok() && !n->is_nil()) counted += std::atoll(n->str.c_str());
    if (arrived / kHourMs == now / kHourMs) break;
  }
  EXPECT_EQ(counted, 5);
  EventQuery query;
  query.org = "acme";
  auto stored = events.List(*client_, query);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].time_ms, three_days_ago);
  EXPECT_EQ((*stored)[1].time_ms, an_hour_ago);
}

// What each entry costs Redis (used_memory before and after, with the
// events' stream and counters deleted), at most the bounds of
// tests/support/org_sizing.h that docs/operations.md adds up.
TEST_F(QuotaTest, EntriesCostAtMostTheDocumentedBytes) {
  auto hits = Create("hits", "");
  auto deploy = Create("deploy", "api");
  EventStore events(keys_);
  const std::string tag = Tag();
  // Warm up: the script loaded, lastused written.
  ASSERT_EQ(Record(events, hits.token, EventType::kHit, R"({"app":"web"})", "warm").kind,
            Kind::kAccepted);
  ASSERT_EQ(Record(events, deploy.token, EventType::kDeploy, R"({"version":"1"})").kind,
            Kind::kAccepted);
  DropEventsAndCounters(tag);

  constexpr int kKeys = 20000;
  long long before = UsedMemory();
  for (int i = 0; i < kKeys; ++i) {
    // The longest key: its entry's size does not depend on it (a SHA-1).
    const std::string key = std::string(190, 'k') + std::to_string(1000000000 + i);
    ASSERT_EQ(Record(events, hits.token, EventType::kHit, R"({"app":"web"})", key).kind,
              Kind::kAccepted);
  }
  DropEventsAndCounters(tag);
  const double per_key = static_cast<double>(UsedMemory() - before) / kKeys;

  constexpr int kDeploys = 5000;
  before = UsedMemory();
  for (int i = 0; i < kDeploys; ++i) {
    for (const char* status : {"started", "succeeded", "failed", "rolled_back"}) {
      const std::string body = R"({"version":"1","deploy_id":")" + std::string(100, 'd') +
                               std::to_string(100000 + i) + R"(","status":")" + status + "\"}";
      ASSERT_EQ(Record(events, deploy.token, EventType::kDeploy, body).kind, Kind::kAccepted);
    }
  }
  DropEventsAndCounters(tag);
  const double per_deploy = static_cast<double>(UsedMemory() - before) / kDeploys;

  // A rate-limit window and the audit stream's entries.
  EventStore limited(keys_);
  auto event = ParseEvent(EventType::kHit, R"({"app":"web"})", NowMs());
  RecordRequest request;
  request.token_hash = TokenHash(hits.token);
  request.routing_tag = tag;
  request.event = *event;
  request.rate_limit = 100;
  ASSERT_EQ(limited.Record(*client_, request)->kind, Kind::kAccepted);
  long long window_bytes = 0;
  auto windows = conn_->Command({"KEYS", "onep:{" + tag + "}:rl:*"});
  for (const auto& key : windows->elements) {
    window_bytes += conn_->Command({"MEMORY", "USAGE", key.str, "SAMPLES", "0"})->integer;
  }
  // One hour's bucket, full: 3000 counters of apps with the longest names.
  before = UsedMemory();
  const std::string bucket = keys_.StatsBucket(tag, NowMs() / kHourMs);
  std::vector<std::string> fill = {"HSET", bucket};
  for (int i = 0; i < kMaxStatsFieldsPerHour; ++i) {
    fill.push_back("failures:" + std::string(53, 'a') + std::to_string(1000000000 + i));
    fill.push_back("1000000");
  }
  ASSERT_EQ(conn_->Command(fill)->integer, kMaxStatsFieldsPerHour);
  const double per_counter = static_cast<double>(UsedMemory() - before) / kMaxStatsFieldsPerHour;

  for (int i = 0; i < 200; ++i) Create("hits", "app-" + std::to_string(i));
  const double per_audit =
      static_cast<double>(
          conn_->Command({"MEMORY", "USAGE", keys_.Audit(tag), "SAMPLES", "0"})->integer) /
      static_cast<double>(conn_->Command({"XLEN", keys_.Audit(tag)})->integer);

  std::printf(
      "[ bounds   ] Redis used_memory per Idempotency-Key entry %.0f bytes (%d keys), per "
      "deploy_id with 4 states %.0f bytes (%d deploy_ids), per counter %.0f bytes (a full "
      "hour); rate-limit window %lld bytes; audit %.0f bytes per entry\n",
      per_key, kKeys, per_deploy, kDeploys, per_counter, window_bytes, per_audit);
  EXPECT_LE(per_key, testing::kIdempotencyEntryBytes);
  EXPECT_LE(per_deploy, testing::kDeployIdEntryBytes);
  EXPECT_LE(per_counter, testing::kCounterFieldBytes);
  EXPECT_LE(window_bytes, testing::kRateWindowBytesPerCredential);
  EXPECT_LE(per_audit, testing::kAuditEntryBytes);
  // The entries really are there.
  EXPECT_EQ(conn_->Command({"ZCARD", keys_.IdempotencyAges(tag)})->integer, kKeys + 1);
  EXPECT_EQ(conn_->Command({"ZCARD", keys_.DeployIdAges(tag)})->integer, kDeploys);
}

}  // namespace
}  // namespace onep
