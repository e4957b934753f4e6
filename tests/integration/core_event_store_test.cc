// SPDX-License-Identifier: Apache-2.0
// EventStore::Record against a real Redis: every outcome, the cost model, and
// the read side.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
#include "support/redis_server.h"

namespace onep {
namespace {

// A query of org acme; since_ms 0 means no lower bound.
EventQuery Query(const std::string& app, std::optional<EventType> type, int64_t since_ms,
                 std::size_t limit) {
  EventQuery query;
  query.org = "acme";
  query.app = app;
  query.type = type ? EventTypeName(*type) : "";
  if (since_ms != 0) query.since_ms = since_ms;
  query.limit = limit;
  return query;
}

using Kind = RecordOutcome::Kind;

class EventStoreTest : public ::testing::Test {
 protected:
  EventStoreTest()
      : conn_(redis_.Connect()),
        client_(redis_.Client()),
        keys_("onep:"),
        creds_(*client_, keys_),
        service_(creds_, "tester"),
        events_(keys_) {}

  IssuedCredential Create(const std::string& org, const std::string& type, const std::string& app,
                          int64_t expires_in_ms = 0) {
    auto issued = service_.Create({org, type, "test " + type, app, expires_in_ms});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.value();
  }

  RecordOutcome Record(const std::string& token, EventType type, const std::string& body,
                       const std::string& idempotency_key = "", uint32_t rate_limit = 0) {
    auto event = ParseEvent(type, body, NowMs());
    EXPECT_TRUE(event.ok()) << event.status().ToString();
    auto outcome =
        events_.Record(*client_, Request(token, event.value(), idempotency_key, rate_limit));
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return outcome.ok() ? outcome.value() : RecordOutcome{};
  }

  static RecordRequest Request(const std::string& token, const ValidatedEvent& event,
                               const std::string& idempotency_key = "", uint32_t rate_limit = 0) {
    RecordRequest request;
    request.token_hash = TokenHash(token);
    request.routing_tag = std::string(TokenRoutingTag(token));
    request.event = event;
    request.idempotency_key = idempotency_key;
    request.request_fingerprint = event.fields_json;
    request.rate_limit = rate_limit;
    return request;
  }

  // The routing tag of an org created by the test.
  std::string Tag(const std::string& org) {
    auto tag = OrgRoutingTag(*client_, keys_, org);
    EXPECT_TRUE(tag.ok() && tag->has_value()) << org;
    return tag.ok() ? tag->value_or("") : "";
  }

  // A client that gives up after 200 ms.
  std::unique_ptr<RedisClient> ShortClient() const {
    RedisClientOptions options;
    options.timeout = std::chrono::milliseconds(200);
    return ConnectRedis(ParseRedisTarget(redis_.url()).value(), options).value();
  }

  // Options for a connection that gives up after 200 ms.
  RedisOptions ShortTimeout() const {
    RedisOptions options;
    options.endpoint.host = "127.0.0.1";
    options.endpoint.port = redis_.port();
    options.timeout = std::chrono::milliseconds(200);
    return options;
  }

  size_t StreamLength(const std::string& org) {
    return static_cast<size_t>(conn_->Command({"XLEN", keys_.Events(Tag(org))})->integer);
  }

  testing::RedisServer redis_;
  std::unique_ptr<RedisConnection> conn_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore creds_;
  CredentialService service_;
  EventStore events_;
};

TEST_F(EventStoreTest, AcceptsAHitAndRecordsEverything) {
  auto cred = Create("acme", "hits", "");
  auto out = Record(cred.token, EventType::kHit, R"({"app":"web","count":3,"message":"ok"})");
  ASSERT_EQ(out.kind, Kind::kAccepted);
  EXPECT_EQ(out.credential_id, cred.credential.id);
  EXPECT_EQ(out.org, "acme");
  EXPECT_FALSE(out.event_id.empty());

  auto listed = events_.List(*client_, Query("", std::nullopt, 0, 10));
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, out.event_id);
  EXPECT_EQ((*listed)[0].type, "hit");
  EXPECT_EQ((*listed)[0].app, "web");
  EXPECT_EQ((*listed)[0].credential, cred.credential.id);
  EXPECT_NE((*listed)[0].fields_json.find("\"count\":3"), std::string::npos);

  auto stats = events_.Stats(*client_, "acme", "", 24 * 3600 * 1000LL);
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].app, "web");
  EXPECT_EQ((*stats)[0].hits, 3);
  EXPECT_EQ((*stats)[0].failures, 0);
  ASSERT_TRUE((*stats)[0].failure_rate.has_value());
  EXPECT_DOUBLE_EQ(*(*stats)[0].failure_rate, 0.0);

  auto got = creds_.Get(cred.credential.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_TRUE((*got)->last_used_at_ms.has_value());
}

TEST_F(EventStoreTest, CostsOneRoundTripAndOneEvalsha) {
  auto cred = Create("acme", "hits", "web");
  Record(cred.token, EventType::kHit, "{}");  // the first call may have to load the script
  long long evalsha_before = redis_.CommandCalls("evalsha");
  long long eval_before = redis_.CommandCalls("eval");
  uint64_t sent_before = client_->commands_sent();
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(Record(cred.token, EventType::kHit, "{}").kind, Kind::kAccepted);
  }
  EXPECT_EQ(client_->commands_sent() - sent_before, 10u);
  EXPECT_EQ(redis_.CommandCalls("evalsha") - evalsha_before, 10);
  EXPECT_EQ(redis_.CommandCalls("eval") - eval_before, 0);
}

// The record script sets a bucket's expiry only when an app's first count in
// an hour creates its field: every bucket still expires.
TEST_F(EventStoreTest, EveryStatsBucketExpires) {
  auto cred = Create("acme", "hits", "");
  const int64_t hour_ms = 3600 * 1000;
  const int64_t first = NowMs() / hour_ms - 3;  // two whole past hours
  for (int64_t hour : {first, first, first + 1}) {
    for (const char* app : {"web", "api"}) {
      const std::string at = FormatRfc3339Ms(hour * hour_ms + 60 * 1000);
      const std::string body = R"({"app":")" + std::string(app) + R"(","timestamp":")" + at + "\"}";
      ASSERT_EQ(Record(cred.token, EventType::kHit, body).kind, Kind::kAccepted);
    }
  }
  for (int64_t hour : {first, first + 1}) {
    const std::string bucket = keys_.StatsBucket(Tag("acme"), hour);
    EXPECT_EQ(conn_->Command({"HGET", bucket, "hits:web"})->str, hour == first ? "2" : "1");
    const int64_t asked_at = NowMs();
    const long long ttl = conn_->Command({"PTTL", bucket})->integer;
    EXPECT_GT(ttl, 0) << bucket;  // -1 would be a bucket that never expires
    EXPECT_LE(ttl, (hour + 1) * hour_ms + kStatsRetentionMs - asked_at) << bucket;
  }
}

TEST_F(EventStoreTest, ReloadsTheScriptAfterScriptFlush) {
  auto cred = Create("acme", "hits", "web");
  ASSERT_EQ(Record(cred.token, EventType::kHit, "{}").kind, Kind::kAccepted);
  ASSERT_EQ(conn_->Command({"SCRIPT", "FLUSH"})->str, "OK");
  EXPECT_EQ(Record(cred.token, EventType::kHit, "{}").kind, Kind::kAccepted);
  EXPECT_EQ(StreamLength("acme"), 2u);
}

TEST_F(EventStoreTest, UnknownTokenIsInvalid) {
  Create("acme", "hits", "web");
  auto token = GenerateToken(GenerateRoutingTag().value()).value();
  auto out = Record(token, EventType::kHit, "{}");
  EXPECT_EQ(out.kind, Kind::kInvalidToken);
  EXPECT_TRUE(out.credential_id.empty());
  EXPECT_EQ(StreamLength("acme"), 0u);
}

TEST_F(EventStoreTest, RotatedDeletedAndExpiredTokensAreInvalid) {
  auto rotated = Create("acme", "hits", "web");
  ASSERT_TRUE(service_.Rotate(rotated.credential.id, 0).ok());
  EXPECT_EQ(Record(rotated.token, EventType::kHit, "{}").kind, Kind::kInvalidToken);

  auto deleted = Create("acme", "hits", "api");
  ASSERT_EQ(Record(deleted.token, EventType::kHit, "{}").kind, Kind::kAccepted);
  ASSERT_TRUE(service_.Delete(deleted.credential.id).ok());
  EXPECT_EQ(Record(deleted.token, EventType::kHit, "{}").kind, Kind::kInvalidToken);
  EXPECT_EQ(StreamLength("acme"), 1u);  // its past event stays

  auto expiring = Create("acme", "hits", "batch", 300);
  ASSERT_EQ(Record(expiring.token, EventType::kHit, "{}").kind, Kind::kAccepted);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(Record(expiring.token, EventType::kHit, "{}").kind, Kind::kInvalidToken);
  auto got = creds_.Get(expiring.credential.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_STREQ((*got)->State(NowMs()), "expired");
}

TEST_F(EventStoreTest, WrongRouteOrAppIsForbidden) {
  auto hits = Create("acme", "hits", "web");
  auto deploy = Create("acme", "deploy", "web");
  auto out = Record(hits.token, EventType::kDeploy, R"({"version":"1"})");
  EXPECT_EQ(out.kind, Kind::kForbidden);
  EXPECT_EQ(out.credential_id, hits.credential.id);
  EXPECT_EQ(Record(deploy.token, EventType::kHit, "{}").kind, Kind::kForbidden);
  EXPECT_EQ(Record(deploy.token, EventType::kFailure, "{}").kind, Kind::kForbidden);
  out = Record(hits.token, EventType::kHit, R"({"app":"other"})");
  EXPECT_EQ(out.kind, Kind::kForbidden);
  EXPECT_NE(out.message.find("web"), std::string::npos);
  out = Record(deploy.token, EventType::kDeploy, R"({"version":"1","app":"other"})");
  EXPECT_EQ(out.kind, Kind::kForbidden);
  EXPECT_EQ(StreamLength("acme"), 0u);
  // The bound app itself is fine, named or not.
  EXPECT_EQ(Record(hits.token, EventType::kHit, R"({"app":"web"})").kind, Kind::kAccepted);
  EXPECT_EQ(Record(deploy.token, EventType::kDeploy, R"({"version":"1"})").kind, Kind::kAccepted);
}

TEST_F(EventStoreTest, UnboundHitsCredentialNeedsAnApp) {
  auto cred = Create("acme", "hits", "");
  auto out = Record(cred.token, EventType::kFailure, R"({"error":"boom"})");
  EXPECT_EQ(out.kind, Kind::kInvalidEvent);
  EXPECT_NE(out.message.find("app"), std::string::npos);
  EXPECT_EQ(StreamLength("acme"), 0u);
}

TEST_F(EventStoreTest, IdempotencyKeyReturnsTheFirstEvent) {
  auto cred = Create("acme", "hits", "web");
  auto first = Record(cred.token, EventType::kHit, "{}", "key-1");
  ASSERT_EQ(first.kind, Kind::kAccepted);
  auto again = Record(cred.token, EventType::kHit, "{}", "key-1");
  EXPECT_EQ(again.kind, Kind::kDuplicate);
  EXPECT_EQ(again.event_id, first.event_id);
  auto other = Record(cred.token, EventType::kHit, "{}", "key-2");
  EXPECT_EQ(other.kind, Kind::kAccepted);
  EXPECT_EQ(StreamLength("acme"), 2u);
  // Keys are per credential: another credential may reuse the same key.
  auto second = Create("acme", "hits", "api");
  EXPECT_EQ(Record(second.token, EventType::kHit, "{}", "key-1").kind, Kind::kAccepted);
  // One entry per credential and key in the org's hash, "<event id>
  // <fingerprint>", expiring 24 h after it was written (the age index).
  const std::string field =
      cred.credential.id + ":" +
      conn_->Command({"EVAL", "return redis.sha1hex(ARGV[1])", "0", "key-1"})->str;
  EXPECT_EQ(field, KeySpace::IdempotencyField(cred.credential.id, "key-1"));
  const std::string hash = "onep:{" + Tag("acme") + "}:idem";
  EXPECT_EQ(hash, keys_.Idempotencies(Tag("acme")));
  const std::string entry = conn_->Command({"HGET", hash, field})->str;
  EXPECT_EQ(entry.substr(0, entry.find(' ')), first.event_id) << entry;
  const long long expires_at = std::atoll(
      conn_->Command({"ZSCORE", keys_.IdempotencyAges(Tag("acme")), field})->str.c_str());
  const long long first_ms = std::atoll(first.event_id.c_str());
  EXPECT_EQ(expires_at, first_ms + 86400000);
  // Nothing in the layout of before the quotas.
  EXPECT_EQ(conn_->Command({"EXISTS", keys_.Idempotency(Tag("acme"), "key-1")})->integer, 0);
}

TEST_F(EventStoreTest, RepeatedDeployIdIsNotRecordedTwice) {
  auto cred = Create("acme", "deploy", "web");
  auto first = Record(cred.token, EventType::kDeploy, R"({"version":"1.0","deploy_id":"ci-42"})");
  ASSERT_EQ(first.kind, Kind::kAccepted);
  auto again = Record(cred.token, EventType::kDeploy, R"({"version":"1.0","deploy_id":"ci-42"})");
  EXPECT_EQ(again.kind, Kind::kDuplicate);
  EXPECT_EQ(again.event_id, first.event_id);
  EXPECT_EQ(Record(cred.token, EventType::kDeploy, R"({"version":"1.1","deploy_id":"ci-43"})").kind,
            Kind::kAccepted);
  EXPECT_EQ(StreamLength("acme"), 2u);
  auto stats = events_.Stats(*client_, "acme", "web", 3600 * 1000);
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].deploys, 2);
  EXPECT_FALSE((*stats)[0].failure_rate.has_value());
}

TEST_F(EventStoreTest, RateLimitCountsAcceptedEventsPerSecond) {
  auto cred = Create("acme", "hits", "web");
  // Start at the beginning of a second so the window does not roll over mid-test.
  auto t = conn_->Command({"TIME"});
  long long usec = std::stoll(t->elements[1].str);
  if (usec > 500000) std::this_thread::sleep_for(std::chrono::microseconds(1000000 - usec + 1000));
  int accepted = 0, limited = 0;
  for (int i = 0; i < 5; ++i) {
    auto out = Record(cred.token, EventType::kHit, "{}", "", 3);
    if (out.kind == Kind::kAccepted) ++accepted;
    if (out.kind == Kind::kRateLimited) {
      ++limited;
      EXPECT_EQ(out.retry_after_s, 1);
    }
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(limited, 2);
  EXPECT_EQ(StreamLength("acme"), 3u);
}

TEST_F(EventStoreTest, OrgsAreIsolated) {
  auto a = Create("org-a", "hits", "");
  Create("org-b", "hits", "");
  ASSERT_EQ(Record(a.token, EventType::kHit, R"({"app":"web"})").kind, Kind::kAccepted);
  EXPECT_EQ(StreamLength("org-a"), 1u);
  EXPECT_EQ(StreamLength("org-b"), 0u);
  auto b_stats = events_.Stats(*client_, "org-b", "", 3600 * 1000);
  ASSERT_TRUE(b_stats.ok());
  EXPECT_TRUE(b_stats->empty());
}

TEST_F(EventStoreTest, ListFiltersAndLimits) {
  auto hits = Create("acme", "hits", "");
  auto deploy = Create("acme", "deploy", "web");
  for (int i = 0; i < 5; ++i) Record(hits.token, EventType::kHit, R"({"app":"web"})");
  for (int i = 0; i < 3; ++i) Record(hits.token, EventType::kFailure, R"({"app":"api"})");
  Record(deploy.token, EventType::kDeploy, R"({"version":"2"})");

  auto failures = events_.List(*client_, Query("", EventType::kFailure, 0, 100));
  ASSERT_TRUE(failures.ok());
  EXPECT_EQ(failures->size(), 3u);
  auto web = events_.List(*client_, Query("web", std::nullopt, 0, 100));
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->size(), 6u);
  EXPECT_EQ(web->back().type, "deploy");  // newest last
  auto last2 = events_.List(*client_, Query("", std::nullopt, 0, 2));
  ASSERT_TRUE(last2.ok());
  ASSERT_EQ(last2->size(), 2u);
  EXPECT_EQ((*last2)[0].type, "failure");
  EXPECT_EQ((*last2)[1].type, "deploy");
  auto future = events_.List(*client_, Query("", std::nullopt, NowMs() + 60000, 100));
  ASSERT_TRUE(future.ok());
  EXPECT_TRUE(future->empty());
}

// Scan hands over pages as it reads, stops at the callback's first error and
// returns it; id bounds at the ends of the id space read nothing.
TEST_F(EventStoreTest, ScanStopsAtTheCallbacksStatus) {
  auto hits = Create("acme", "hits", "");
  std::string events_key = keys_.Events(Tag("acme"));
  std::vector<std::vector<std::string>> adds;
  for (int i = 0; i < 2500; ++i) {
    adds.push_back({"XADD", events_key, "*", "type", "hit", "credential", hits.credential.id, "app",
                    "api", "time", std::to_string(NowMs()), "fields", R"({"count":1})"});
  }
  ASSERT_TRUE(client_->Pipeline(events_key, adds).ok());
  std::vector<std::size_t> sizes;
  EventQuery query = Query("", std::nullopt, 0, kNoEventLimit);
  Status all = events_.Scan(*client_, query, [&sizes](const std::vector<StoredEvent>& page) {
    sizes.push_back(page.size());
    return Status::Ok();
  });
  EXPECT_TRUE(all.ok()) << all.ToString();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1000, 1000, 500}));
  sizes.clear();
  Status stopped = events_.Scan(*client_, query, [&sizes](const std::vector<StoredEvent>& page) {
    sizes.push_back(page.size());
    return Status::Unavailable("reader gone");
  });
  EXPECT_EQ(stopped.code(), Code::kUnavailable);
  EXPECT_EQ(sizes.size(), 1u);
  query.limit = 1500;
  std::size_t seen = 0;
  ASSERT_TRUE(events_
                  .Scan(*client_, query,
                        [&seen](const std::vector<StoredEvent>& page) {
                          seen += page.size();
                          return Status::Ok();
                        })
                  .ok());
  EXPECT_EQ(seen, 1500u);
  query.after = StreamId{StreamId::kMaxPart, StreamId::kMaxPart};
  auto none = events_.List(*client_, query);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  query.after.reset();
  query.before = StreamId{0, 0};
  none = events_.List(*client_, query);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(EventStoreTest, ReadAfterMovesTheCursorPastFilteredEvents) {
  auto hits = Create("acme", "hits", "");
  auto start = events_.LastId(*client_, "acme");
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, "0-0");
  Record(hits.token, EventType::kHit, R"({"app":"web"})");
  Record(hits.token, EventType::kHit, R"({"app":"api"})");
  std::string cursor;
  auto got = events_.ReadAfter(*client_, Query("api", std::nullopt, 0, 100), *start, 10, &cursor);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].app, "api");
  EXPECT_EQ(cursor, *events_.LastId(*client_, "acme"));
  auto none = events_.ReadAfter(*client_, Query("", std::nullopt, 0, 100), cursor, 10, &cursor);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(EventStoreTest, StoppedRedisIsUnavailableAndNothingIsAccepted) {
  auto cred = Create("acme", "hits", "web");
  auto event = ParseEvent(EventType::kHit, "{}", NowMs()).value();
  ASSERT_EQ(events_.Record(*client_, Request(cred.token, event))->kind, Kind::kAccepted);
  redis_.Stop();
  auto out = events_.Record(*client_, Request(cred.token, event));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kUnavailable);
  redis_.Start();
  // The client drops the dead connection and opens a new one (the test Redis
  // keeps no data across a restart: the token is unknown now).
  auto back = events_.Record(*client_, Request(cred.token, event));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->kind, Kind::kInvalidToken);
}

TEST_F(EventStoreTest, SlowRedisTimesOutAndBreaksTheConnection) {
  const RedisOptions options = ShortTimeout();
  auto fast = RedisConnection::Connect(options);
  ASSERT_TRUE(fast.ok());
  ASSERT_TRUE(conn_->Command({"CLIENT", "PAUSE", "1000", "ALL"}).ok());
  auto begin = std::chrono::steady_clock::now();
  auto reply = (*fast)->Command({"PING"});
  auto elapsed = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kUnavailable);
  EXPECT_NE(reply.status().message().find("timed out"), std::string::npos);
  EXPECT_TRUE((*fast)->broken());
  EXPECT_LT(elapsed, std::chrono::milliseconds(900));
}

TEST_F(EventStoreTest, ACommandRunAfterTheTimeoutRecordsNothing) {
  auto cred = Create("acme", "hits", "web");
  auto client = ShortClient();
  auto event = ParseEvent(EventType::kHit, "{}", NowMs()).value();
  // Warm up: the script is cached and the client can record.
  auto warm = events_.Record(*client, Request(cred.token, event));
  ASSERT_TRUE(warm.ok() && warm->kind == Kind::kAccepted);

  // Redis holds writes for 800 ms: the client gives up after 200 ms, and Redis
  // runs the queued script afterwards.
  ASSERT_TRUE(conn_->Command({"CLIENT", "PAUSE", "800", "WRITE"}).ok());
  auto late = events_.Record(*client, Request(cred.token, event));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), Code::kUnavailable);
  // A write of our own is held by the same pause and runs after the script
  // Redis queued first: once it answers, Redis has run what it held
  // (bounded by the admin connection's 5 s timeout).
  ASSERT_TRUE(conn_->Command({"INCR", "test:after-pause"}).ok());
  EXPECT_EQ(StreamLength("acme"), 1u);  // only the warm-up event

  // A fresh connection right after the pause records again.
  auto fresh = ShortClient();
  auto again = events_.Record(*fresh, Request(cred.token, event));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, Kind::kAccepted);
  EXPECT_EQ(StreamLength("acme"), 2u);
}

// A server on loopback that answers one connection's TIME with a clock an
// hour ahead of ours, as a Redis on a badly set machine would.
class ClockAheadServer {
 public:
  static constexpr int64_t kAheadMs = 3600 * 1000;

  ClockAheadServer() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listener_, 1) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ClockAheadServer() {
    shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  int port() const { return port_; }

 private:
  void Serve() {
    const int fd = accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    std::string request;
    char buf[256];
    while (request.find("TIME\r\n") == std::string::npos) {
      const ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
    }
    const int64_t now_us = NowMs() * 1000 + kAheadMs * 1000;
    const std::string secs = std::to_string(now_us / 1000000);
    const std::string usecs = std::to_string(now_us % 1000000);
    const std::string reply = "*2\r\n$" + std::to_string(secs.size()) + "\r\n" + secs + "\r\n$" +
                              std::to_string(usecs.size()) + "\r\n" + usecs + "\r\n";
    (void)!write(fd, reply.data(), reply.size());
    // Held open until the client is done with it.
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    close(fd);
  }

  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(RedisConnectionTest, TheClockOffsetIsMeasuredAtConnect) {
  ClockAheadServer server;
  RedisOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = server.port();
  options.timeout = std::chrono::seconds(5);
  auto conn = RedisConnection::Connect(options);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_NEAR((*conn)->clock_offset_ms(), ClockAheadServer::kAheadMs, 50);
}

TEST_F(EventStoreTest, PeerClosedSeesAServerSideCloseWithoutARoundTrip) {
  auto other = redis_.Connect();
  EXPECT_FALSE(other->PeerClosed());
  uint64_t sent = other->commands_sent();
  ASSERT_TRUE(conn_->Command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}).ok());
  // The close reaches our socket asynchronously: wait for it, bounded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!other->PeerClosed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(other->PeerClosed());
  EXPECT_EQ(other->commands_sent(), sent);
  EXPECT_FALSE(conn_->PeerClosed());
}

}  // namespace
}  // namespace onep
