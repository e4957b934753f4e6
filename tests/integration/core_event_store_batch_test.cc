// SPDX-License-Identifier: Apache-2.0
// A batch whose record script fails at one of its events
// (EventStore::RecordBatch: one script call): each event gets the outcome it
// would have had alone. The events recorded keep their ids, the failing one
// is Internal and leaves no event, and the stream and the counters hold
// exactly the recorded ones. The failures are made with test-only data
// (a key of the wrong type, a corrupt counter), no hook in the code.
//
// On a single Redis, and on a Redis Cluster when run with
// ONEP_TEST_REDIS=cluster (tests/integration/CMakeLists.txt).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "onep/clock.h"
#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/redis_credential_store.h"
#include "onep/token.h"
#include "support/record_request.h"
#include "support/test_redis.h"

namespace onep {
namespace {

using Kind = RecordOutcome::Kind;

constexpr int64_t kHourMs = 3600LL * 1000;

// "event 1: accepted 1700000000000-0" per outcome, then the stream's ids: what
// a failing assertion prints.
std::string Describe(const std::vector<Result<RecordOutcome>>& outcomes,
                     const std::vector<std::string>& stream) {
  static const char* const kKinds[] = {
      "accepted",     "duplicate",     "invalid_token",         "forbidden",
      "rate_limited", "invalid_event", "idempotency_key_reused"};
  std::string out;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    out += "event " + std::to_string(i + 1) + ": ";
    out += outcomes[i].ok() ? std::string(kKinds[static_cast<int>(outcomes[i]->kind)]) + " " +
                                  outcomes[i]->event_id
                            : outcomes[i].status().ToString();
    out += "\n";
  }
  return out + "stream: " + ::testing::PrintToString(stream);
}

class EventStoreBatchTest : public ::testing::Test {
 protected:
  EventStoreBatchTest()
      : client_(redis_.Client()), keys_("onep:"), creds_(*client_, keys_), events_(keys_) {}

  IssuedCredential Create(const std::string& app) {
    auto issued = CredentialService(creds_, "tester").Create({"acme", "hits", "c " + app, app, 0});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? issued.value() : IssuedCredential{};
  }

  static RecordRequest Request(const std::string& token, const std::string& body,
                               const std::string& idempotency_key = "") {
    return testing::RequestFor(token, EventType::kHit, body, idempotency_key);
  }

  // The requests as one script call.
  std::vector<Result<RecordOutcome>> RecordBatch(const std::vector<RecordRequest>& requests) {
    std::vector<const RecordRequest*> batch;
    for (const auto& r : requests) batch.push_back(&r);
    return events_.RecordBatch(*client_, batch);
  }

  Reply Command(const std::string& key, const std::vector<std::string>& argv) {
    auto reply = redis_.Command(key, argv);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? std::move(reply).value() : Reply{};
  }

  // The ids in the stream of `tag`, oldest first (XRANGE).
  std::vector<std::string> StreamIds(const std::string& tag) {
    const std::string events = keys_.Events(tag);
    std::vector<std::string> ids;
    for (const Reply& entry : Command(events, {"XRANGE", events, "-", "+"}).elements) {
      if (!entry.elements.empty()) ids.push_back(entry.elements[0].str);
    }
    return ids;
  }

  // app -> hits counted in the last hours.
  std::map<std::string, int64_t> Hits() {
    auto stats = events_.Stats(*client_, "acme", "", 3 * kHourMs);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    std::map<std::string, int64_t> out;
    if (stats.ok()) {
      for (const auto& s : *stats) out[s.app] = s.hits;
    }
    return out;
  }

  testing::TestRedis redis_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore creds_;
  EventStore events_;
};

// Item 3 of 6 makes a command of the script fail (WRONGTYPE: its
// Idempotency-Key's hash is a string): items 1 and 2 ran before it, 4 to 6
// after it. Each item is told exactly what happened to it.
TEST_F(EventStoreBatchTest, AScriptErrorAtTheThirdOfSixEventsFailsThatEventAlone) {
  const IssuedCredential web = Create("web");
  const std::string tag(TokenRoutingTag(web.token));
  const std::string broken = keys_.Idempotency(tag, "key-3");
  ASSERT_EQ(Command(broken, {"SET", broken, "not a hash"}).str, "OK");

  std::vector<RecordRequest> requests;
  for (int i = 1; i <= 6; ++i) {
    requests.push_back(Request(web.token, R"({"message":"event )" + std::to_string(i) + "\"}",
                               "key-" + std::to_string(i)));
  }
  auto outcomes = RecordBatch(requests);
  const std::vector<std::string> stored = StreamIds(tag);
  SCOPED_TRACE(Describe(outcomes, stored));

  ASSERT_EQ(outcomes.size(), 6u);
  std::vector<std::string> accepted;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (i == 2) {
      EXPECT_EQ(outcomes[i].status().code(), Code::kInternal) << outcomes[i].status().ToString();
      EXPECT_NE(outcomes[i].status().message().find("WRONGTYPE"), std::string::npos)
          << outcomes[i].status().ToString();
      continue;
    }
    ASSERT_TRUE(outcomes[i].ok()) << "event " << i + 1 << ": " << outcomes[i].status().ToString();
    EXPECT_EQ(outcomes[i]->kind, Kind::kAccepted) << "event " << i + 1;
    EXPECT_EQ(outcomes[i]->credential_id, web.credential.id);
    accepted.push_back(outcomes[i]->event_id);
  }
  // The stream holds exactly the five accepted events, under their ids.
  EXPECT_EQ(stored, accepted);
  EXPECT_EQ(Hits(), (std::map<std::string, int64_t>{{"web", 5}}));
  // Each accepted event's Idempotency-Key names it ("<event id> <request
  // fingerprint>"); the broken key is as it was, and the failed event's key
  // was not remembered.
  const std::string remembered = keys_.Idempotencies(tag);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::string field =
        KeySpace::IdempotencyField(web.credential.id, requests[i].idempotency_key);
    const std::string entry = Command(remembered, {"HGET", remembered, field}).str;
    if (i == 2) {
      const std::string broken_key = keys_.Idempotency(tag, requests[i].idempotency_key);
      EXPECT_EQ(Command(broken_key, {"GET", broken_key}).str, "not a hash");
      EXPECT_EQ(entry, "");
    } else if (outcomes[i].ok()) {
      EXPECT_EQ(entry.substr(0, entry.find(' ')), outcomes[i]->event_id);
    }
  }
}

// An app's counter of this hour is corrupt (not an integer): the events of
// that app fail, and leave no event behind, while the other app's events of
// the same call are recorded and counted. (Counting the corrupt counter,
// once per call after the events, failed the whole call once every event
// was in the stream.)
TEST_F(EventStoreBatchTest, AnEventWhoseCounterIsCorruptIsNotRecordedAndTheOthersAre) {
  const IssuedCredential any = Create("");
  const std::string tag(TokenRoutingTag(any.token));
  // Every event of the test in one hour: its own, fixed, time.
  const int64_t at = NowMs() - 60 * 1000;
  const std::string bucket = keys_.StatsBucket(tag, at / kHourMs);
  ASSERT_EQ(Command(bucket, {"HSET", bucket, "hits:api", "1.5"}).integer, 1);

  const std::string time = R"(","timestamp":")" + FormatRfc3339Ms(at) + "\"}";
  const std::vector<RecordRequest> requests = {
      Request(any.token, R"({"app":"web)" + time), Request(any.token, R"({"app":"api)" + time),
      Request(any.token, R"({"app":"web)" + time), Request(any.token, R"({"app":"api)" + time)};
  auto outcomes = RecordBatch(requests);
  const std::vector<std::string> stored = StreamIds(tag);
  SCOPED_TRACE(Describe(outcomes, stored));

  ASSERT_EQ(outcomes.size(), 4u);
  std::vector<std::string> accepted;
  for (std::size_t i : {0u, 2u}) {
    ASSERT_TRUE(outcomes[i].ok()) << "event " << i + 1 << ": " << outcomes[i].status().ToString();
    EXPECT_EQ(outcomes[i]->kind, Kind::kAccepted);
    accepted.push_back(outcomes[i]->event_id);
  }
  for (std::size_t i : {1u, 3u}) {
    EXPECT_EQ(outcomes[i].status().code(), Code::kInternal) << outcomes[i].status().ToString();
  }
  EXPECT_EQ(stored, accepted);
  EXPECT_EQ(Command(bucket, {"HGET", bucket, "hits:web"}).str, "2");
  EXPECT_EQ(Command(bucket, {"HGET", bucket, "hits:api"}).str, "1.5");
}

}  // namespace
}  // namespace onep
