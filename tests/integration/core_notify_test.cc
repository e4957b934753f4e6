// SPDX-License-Identifier: Apache-2.0
// Notification endpoints and the outbox (docs/design.md "Notifications"):
// what adding, removing and testing an endpoint leaves in Redis, and the
// outbox entry the record script writes with each opening and resolution.
//
// On a single Redis, and on a Redis Cluster when run with
// ONEP_TEST_REDIS=cluster (tests/integration/CMakeLists.txt).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/json.h"
#include "onep/monitor_store.h"
#include "onep/notify_store.h"
#include "onep/redis_credential_store.h"
#include "onep/routing.h"
#include "onep/secret_box.h"
#include "onep/stream_id.h"
#include "onep/text.h"
#include "onep/token.h"
#include "support/record_request.h"
#include "support/test_redis.h"

namespace onep {
namespace {

constexpr const char* kKeyHex = "4f6e6570206e6f7469666963617469f06e73206b657920686578203031323334";
constexpr const char* kOtherKeyHex =
    "00000000000000000000000000000000000000000000000000000000000000ff";

using Fields = std::map<std::string, std::string>;

class NotifyStoreTest : public ::testing::Test {
 protected:
  NotifyStoreTest()
      : client_(redis_.Client()),
        keys_("onep:"),
        creds_(*client_, keys_),
        events_(keys_),
        notify_(keys_),
        key_(*ParseSecretKey(kKeyHex)) {}

  // A hits credential of org acme bound to app web (the org gets its tag).
  IssuedCredential Web() {
    auto issued = CredentialService(creds_, "tester").Create({"acme", "hits", "web", "web", 0});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? issued.value() : IssuedCredential{};
  }

  NewNotifyEndpoint Add(const std::string& url = "https://hooks.example.com/onep") {
    auto added = notify_.Add(*client_, key_, "acme", url, false, "tester");
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? *added : NewNotifyEndpoint{};
  }

  std::string Tag() {
    auto tag = OrgRoutingTag(*client_, keys_, "acme");
    EXPECT_TRUE(tag.ok() && tag->has_value());
    return tag.ok() && tag->has_value() ? **tag : "";
  }

  RecordOutcome Send(const std::string& token, EventType type, const std::string& body) {
    auto outcome = events_.Record(*client_, testing::RequestFor(token, type, body));
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (!outcome.ok()) return {};
    EXPECT_EQ(outcome->kind, RecordOutcome::Kind::kAccepted);
    if (!outcome->event_id.empty()) WaitPast(outcome->event_id);
    return *outcome;
  }

  // Waits, bounded, until Redis' clock has passed the ms of `stream_id`, so
  // that the next call's now differs.
  void WaitPast(const std::string& stream_id) {
    const int64_t ms = static_cast<int64_t>(ParseStreamId(stream_id)->ms);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
      auto time = redis_.Command("{x}", {"TIME"});
      ASSERT_TRUE(time.ok());
      if (std::stoll(time->elements[0].str) * 1000 + std::stoll(time->elements[1].str) / 1000 >
          ms) {
        return;
      }
    }
    FAIL() << "Redis' clock did not pass " << ms;
  }

  // The entries of a stream, oldest first: id and fields.
  std::vector<std::pair<std::string, Fields>> Entries(const std::string& key) {
    std::vector<std::pair<std::string, Fields>> out;
    auto reply = redis_.Command(key, {"XRANGE", key, "-", "+"});
    EXPECT_TRUE(reply.ok());
    if (!reply.ok() || reply->is_error()) return out;
    for (const Reply& entry : reply->elements) {
      Fields f;
      const auto& list = entry.elements[1].elements;
      for (std::size_t i = 0; i + 1 < list.size(); i += 2) f[list[i].str] = list[i + 1].str;
      out.emplace_back(entry.elements[0].str, f);
    }
    return out;
  }

  std::vector<std::string> Groups(const std::string& outbox) {
    std::vector<std::string> out;
    auto reply = redis_.Command(outbox, {"XINFO", "GROUPS", outbox});
    EXPECT_TRUE(reply.ok());
    if (!reply.ok() || reply->is_error()) return out;
    for (const Reply& group : reply->elements) {
      for (std::size_t i = 0; i + 1 < group.elements.size(); i += 2) {
        if (group.elements[i].str == "name") out.push_back(group.elements[i + 1].str);
      }
    }
    return out;
  }

  long long Exists(const std::string& key) { return redis_.Command(key, {"EXISTS", key})->integer; }
  long long IsNotifyingOrg(const std::string& tag) {
    return redis_.Command(keys_.NotifyOrgs(), {"SISMEMBER", keys_.NotifyOrgs(), tag})->integer;
  }

  testing::TestRedis redis_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore creds_;
  EventStore events_;
  NotifyStore notify_;
  SecretKey key_;
};

TEST_F(NotifyStoreTest, AddWritesTheEndpointItsGroupAndTheNotifyingOrg) {
  Web();
  const NewNotifyEndpoint added = Add();
  const std::string tag = Tag();
  const std::string& id = added.endpoint.id;
  EXPECT_EQ(id.substr(0, 3), "ne_");
  EXPECT_EQ(id.size(), 3u + 8u + 12u);
  EXPECT_EQ(NotifyEndpointRoutingTag(id), tag);
  EXPECT_EQ(added.endpoint.org, "acme");
  EXPECT_EQ(added.endpoint.url, "https://hooks.example.com/onep");
  EXPECT_GT(added.endpoint.created_at, 1700000000000);
  ASSERT_TRUE(WebhookSigningKey(added.secret).ok()) << added.secret;

  auto stored = redis_.Command(keys_.Notify(tag), {"HGET", keys_.Notify(tag), id});
  ASSERT_TRUE(stored.ok());
  JsonPtr json(json_loads(stored->str.c_str(), 0, nullptr));
  ASSERT_TRUE(json_is_object(json.get())) << stored->str;
  EXPECT_EQ(json_object_size(json.get()), 6u) << stored->str;
  EXPECT_STREQ(json_string_value(json_object_get(json.get(), "id")), id.c_str());
  EXPECT_STREQ(json_string_value(json_object_get(json.get(), "url")),
               "https://hooks.example.com/onep");
  EXPECT_EQ(json_integer_value(json_object_get(json.get(), "created_at")),
            added.endpoint.created_at);
  EXPECT_STREQ(json_string_value(json_object_get(json.get(), "key_id")), key_.key_id().c_str());

  EXPECT_EQ(Groups(keys_.Outbox(tag)), std::vector<std::string>{id});
  EXPECT_EQ(IsNotifyingOrg(tag), 1);
  EXPECT_EQ(Entries(keys_.Outbox(tag)).size(), 0u);  // the group starts from now

  auto audit = Entries(keys_.Audit(tag));
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back().second["action"], "notify_add");
  EXPECT_EQ(audit.back().second["endpoint"], id);
  EXPECT_EQ(audit.back().second["url"], "https://hooks.example.com/onep");
  EXPECT_EQ(audit.back().second["actor"], "tester");
}

TEST_F(NotifyStoreTest, TheSealedSecretIsNotInRedisAndOpensOnlyWithTheKey) {
  Web();
  const NewNotifyEndpoint added = Add();
  const std::string secret_base64 = added.secret.substr(6);
  // Every key of every server: neither the secret, nor its base64 body, nor
  // its 32 bytes appear anywhere.
  const std::string dump = redis_.DumpAll();
  EXPECT_EQ(dump.find(added.secret), std::string::npos);
  EXPECT_EQ(dump.find(secret_base64), std::string::npos);
  EXPECT_EQ(dump.find(*WebhookSigningKey(added.secret)), std::string::npos);
  EXPECT_NE(dump.find(added.endpoint.id), std::string::npos);  // the dump holds the endpoint

  auto opened = notify_.Secret(*client_, key_, added.endpoint.id);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, added.secret);
  auto other = notify_.Secret(*client_, *ParseSecretKey(kOtherKeyHex), added.endpoint.id);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(other.status().message().find(key_.key_id()), std::string::npos);
}

TEST_F(NotifyStoreTest, ListShowsEndpointsOldestFirstWithoutSecrets) {
  Web();
  const NewNotifyEndpoint a = Add("https://a.example.com/");
  const NewNotifyEndpoint b = Add("https://b.example.com/");
  auto list = notify_.List(*client_, "acme");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, a.endpoint.id);
  EXPECT_EQ((*list)[1].id, b.endpoint.id);
  EXPECT_EQ((*list)[1].url, "https://b.example.com/");
  EXPECT_FALSE((*list)[0].last_delivery.has_value());
  // A delivery of b (as the deliverer writes it) is b's last delivery.
  const std::string deliveries = keys_.Deliveries(Tag());
  ASSERT_TRUE(redis_
                  .Command(deliveries, {"XADD",
                                        deliveries,
                                        "*",
                                        "endpoint",
                                        b.endpoint.id,
                                        "msg",
                                        "1-0",
                                        "webhook_id",
                                        "msg_x",
                                        "type",
                                        "test",
                                        "app",
                                        "",
                                        "attempt",
                                        "1",
                                        "time",
                                        "1767263400000",
                                        "status",
                                        "204",
                                        "error",
                                        "",
                                        "duration_ms",
                                        "12",
                                        "outcome",
                                        "delivered",
                                        "next_retry",
                                        ""})
                  .ok());
  list = notify_.List(*client_, "acme");
  ASSERT_TRUE(list.ok());
  ASSERT_TRUE((*list)[1].last_delivery.has_value());
  EXPECT_EQ((*list)[1].last_delivery->time, 1767263400000);
  EXPECT_EQ((*list)[1].last_delivery->outcome, "delivered");
  EXPECT_EQ((*list)[1].last_delivery->status, "204");
  EXPECT_FALSE((*list)[0].last_delivery.has_value());
  auto attempts = notify_.Deliveries(*client_, {"acme", b.endpoint.id, 10});
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].duration_ms, 12);
  EXPECT_EQ((*attempts)[0].attempt, 1);
  EXPECT_FALSE((*attempts)[0].next_retry.has_value());
  EXPECT_EQ(notify_.Deliveries(*client_, {"acme", a.endpoint.id, 10})->size(), 0u);
}

TEST_F(NotifyStoreTest, RemoveTakesTheEndpointItsGroupAndStateAndTheLastTakesTheOutbox) {
  Web();
  const NewNotifyEndpoint a = Add();
  const NewNotifyEndpoint b = Add();
  const std::string tag = Tag();
  const std::string state = keys_.NotifyState(tag);
  ASSERT_TRUE(
      redis_.Command(state, {"HSET", state, a.endpoint.id, "{}", b.endpoint.id, "{}"}).ok());

  auto removed = notify_.Remove(*client_, a.endpoint.id, "tester");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(removed->url, "https://hooks.example.com/onep");
  EXPECT_EQ(Groups(keys_.Outbox(tag)), std::vector<std::string>{b.endpoint.id});
  EXPECT_EQ(redis_.Command(keys_.Notify(tag), {"HLEN", keys_.Notify(tag)})->integer, 1);
  EXPECT_EQ(redis_.Command(state, {"HEXISTS", state, a.endpoint.id})->integer, 0);
  EXPECT_EQ(IsNotifyingOrg(tag), 1);

  ASSERT_TRUE(notify_.Remove(*client_, b.endpoint.id, "tester").ok());
  EXPECT_EQ(Exists(keys_.Notify(tag)), 0);
  EXPECT_EQ(Exists(keys_.Outbox(tag)), 0);
  EXPECT_EQ(Exists(state), 0);
  EXPECT_EQ(IsNotifyingOrg(tag), 0);
  auto audit = Entries(keys_.Audit(tag));
  EXPECT_EQ(audit.back().second["action"], "notify_remove");
  EXPECT_EQ(audit.back().second["endpoint"], b.endpoint.id);
  EXPECT_EQ(audit.back().second["url"], "https://hooks.example.com/onep");

  auto again = notify_.Remove(*client_, b.endpoint.id, "tester");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kNotFound);
  EXPECT_EQ(notify_.Remove(*client_, "ne_nonsense", "tester").status().code(), Code::kNotFound);
}

TEST_F(NotifyStoreTest, AnOrgHasAtMostTenEndpoints) {
  Web();
  for (int i = 0; i < 10; ++i) Add();
  auto eleventh = notify_.Add(*client_, key_, "acme", "https://x.example.com/", false, "tester");
  ASSERT_FALSE(eleventh.ok());
  EXPECT_EQ(eleventh.status().code(), Code::kConflict);
  EXPECT_EQ(redis_.Command(keys_.Notify(Tag()), {"HLEN", keys_.Notify(Tag())})->integer, 10);
  EXPECT_EQ(Groups(keys_.Outbox(Tag())).size(), 10u);
}

TEST_F(NotifyStoreTest, AnOrgWithoutATagOrABadUrlIsRefused) {
  EXPECT_EQ(
      notify_.Add(*client_, key_, "nobody", "https://x.example.com/", false, "t").status().code(),
      Code::kNotFound);
  Web();
  EXPECT_EQ(
      notify_.Add(*client_, key_, "acme", "http://x.example.com/", false, "t").status().code(),
      Code::kInvalidArgument);
  EXPECT_TRUE(notify_.Add(*client_, key_, "acme", "http://x.example.com/", true, "t").ok());
  EXPECT_EQ(Exists(keys_.Notify(Tag())), 1);
}

TEST_F(NotifyStoreTest, AnOpeningAndAResolutionEachWriteOneOutboxEntry) {
  const IssuedCredential web = Web();
  const NewNotifyEndpoint added = Add();
  const std::string tag = Tag();
  Send(web.token, EventType::kHit, "{}");  // no flip
  EXPECT_EQ(Entries(keys_.Outbox(tag)).size(), 0u);
  Send(web.token, EventType::kFailure, R"({"error":"boom"})");
  auto outbox = Entries(keys_.Outbox(tag));
  ASSERT_EQ(outbox.size(), 1u);
  Fields opened = outbox[0].second;
  EXPECT_EQ(opened.size(), 5u);
  EXPECT_EQ(opened["type"], "incident_opened");
  EXPECT_EQ(opened["org"], "acme");
  EXPECT_EQ(opened["app"], "web");
  EXPECT_EQ(opened["time"], std::to_string(ParseStreamId(outbox[0].first)->ms));
  auto incident = ParseIncident("", opened["incident"]);
  ASSERT_TRUE(incident.ok()) << opened["incident"];
  EXPECT_EQ(incident->app, "web");
  EXPECT_EQ(incident->first_error, "boom");
  EXPECT_FALSE(incident->resolved_at.has_value());
  // The incident as it is stored.
  const std::string incidents = keys_.Incidents(tag);
  EXPECT_EQ(opened["incident"], redis_.Command(incidents, {"HGET", incidents, incident->id})->str);

  Send(web.token, EventType::kFailure, R"({"error":"again"})");  // no flip: open already
  EXPECT_EQ(Entries(keys_.Outbox(tag)).size(), 1u);
  Send(web.token, EventType::kHit, "{}");
  outbox = Entries(keys_.Outbox(tag));
  ASSERT_EQ(outbox.size(), 2u);
  Fields resolved = outbox[1].second;
  EXPECT_EQ(resolved["type"], "incident_resolved");
  EXPECT_EQ(resolved["app"], "web");
  auto closed = ParseIncident("", resolved["incident"]);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->id, incident->id);
  EXPECT_TRUE(closed->resolved_at.has_value());
  EXPECT_EQ(closed->failures, 2);
  EXPECT_EQ(resolved["incident"], redis_.Command(incidents, {"HGET", incidents, closed->id})->str);
  EXPECT_EQ(Groups(keys_.Outbox(tag)), std::vector<std::string>{added.endpoint.id});
}

TEST_F(NotifyStoreTest, WithoutAnEndpointAFlipWritesNoOutbox) {
  const IssuedCredential web = Web();
  const std::string tag = Tag();
  Send(web.token, EventType::kFailure, R"({"error":"boom"})");
  Send(web.token, EventType::kHit, "{}");
  EXPECT_EQ(Entries(keys_.Events(tag)).size(), 4u);  // two events, two flips
  EXPECT_EQ(Exists(keys_.Outbox(tag)), 0);
  // Removed again: the same.
  const NewNotifyEndpoint added = Add();
  ASSERT_TRUE(notify_.Remove(*client_, added.endpoint.id, "tester").ok());
  Send(web.token, EventType::kFailure, R"({"error":"boom"})");
  EXPECT_EQ(Exists(keys_.Outbox(tag)), 0);
}

TEST_F(NotifyStoreTest, ATestWritesAnOutboxEntryForItsEndpointOnly) {
  Web();
  const NewNotifyEndpoint added = Add();
  auto entry = notify_.Test(*client_, added.endpoint.id, "tester");
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  auto outbox = Entries(keys_.Outbox(Tag()));
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].first, *entry);
  EXPECT_EQ(outbox[0].second, (Fields{{"type", "test"},
                                      {"org", "acme"},
                                      {"app", ""},
                                      {"incident", "{}"},
                                      {"time", std::to_string(ParseStreamId(*entry)->ms)},
                                      {"endpoint", added.endpoint.id}}));
  auto audit = Entries(keys_.Audit(Tag()));
  EXPECT_EQ(audit.back().second["action"], "notify_test");
  EXPECT_EQ(audit.back().second["url"], "https://hooks.example.com/onep");
  ASSERT_TRUE(notify_.Remove(*client_, added.endpoint.id, "tester").ok());
  EXPECT_EQ(notify_.Test(*client_, added.endpoint.id, "tester").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace onep
