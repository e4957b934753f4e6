// SPDX-License-Identifier: Apache-2.0
// Group commit (RecordBatcher) against a real Redis: concurrent events share
// one script call and each gets exactly its own outcome; a batch that Redis
// never answers fails exactly its members, and their Idempotency-Key retries
// then record each event once.
//
// To hold events in the queue deterministically, the test pauses Redis'
// writes (CLIENT PAUSE WRITE): the first event's call waits inside Redis, the
// others queue behind it; once all are queued, CLIENT UNPAUSE lets it finish
// and the queue goes out as the next call.
#include <gtest/gtest.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "onep/clock.h"
#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/deadline.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/record_batcher.h"
#include "onep/redis_credential_store.h"
#include "onep/token.h"
#include "support/delay_proxy.h"
#include "support/record_request.h"
#include "support/redis_server.h"

namespace onep {
namespace {

using Kind = RecordOutcome::Kind;

RecordRequest Request(const std::string& token, EventType type, const std::string& body,
                      const std::string& idempotency_key = "") {
  return testing::RequestFor(token, type, body, idempotency_key);
}

// Waits up to 10 s for `condition`.
template <typename F>
bool Eventually(F condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

class RecordBatcherTest : public ::testing::Test {
 protected:
  explicit RecordBatcherTest(std::vector<std::string> redis_config = {})
      : redis_(std::move(redis_config)),
        admin_(redis_.Connect()),
        client_(testing::TestClientFor(redis_.url(), std::chrono::milliseconds(5000))),
        keys_("onep:"),
        creds_(*client_, keys_),
        events_(keys_),
        batcher_(events_, 64, [this](std::size_t n) {
          std::lock_guard<std::mutex> lock(batches_mu_);
          batches_.push_back(n);
          // Called by the sending thread before its call: an exception in the
          // middle of a send, where nothing caught one.
          if (batches_.size() == throw_at_batch_) throw std::runtime_error("injected failure");
        }) {}

  IssuedCredential Create(const std::string& type, const std::string& app) {
    auto issued = CredentialService(creds_, "tester").Create({"acme", type, "c " + type, app, 0});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.value();
  }

  // Records `requests` concurrently (through `client`, the test's own by
  // default): the first alone while Redis' writes are paused, the rest
  // queued behind it, then released. Outcomes in order.
  std::vector<Result<RecordOutcome>> RecordHeld(const std::vector<RecordRequest>& requests,
                                                RedisClient* client = nullptr) {
    RedisClient& redis = client != nullptr ? *client : *client_;
    std::vector<Result<RecordOutcome>> out(requests.size(), Status::Internal("not run"));
    EXPECT_TRUE(admin_->Command({"CLIENT", "PAUSE", "10000", "WRITE"}).ok());
    std::vector<std::thread> threads;
    threads.emplace_back([&] { out[0] = batcher_.Record(redis, requests[0]); });
    EXPECT_TRUE(Eventually([&] { return Batches().size() == batches_before_ + 1; }));
    for (std::size_t i = 1; i < requests.size(); ++i) {
      threads.emplace_back([&, i] { out[i] = batcher_.Record(redis, requests[i]); });
    }
    EXPECT_TRUE(Eventually([&] { return batcher_.Queued() == requests.size() - 1; }));
    EXPECT_TRUE(admin_->Command({"CLIENT", "UNPAUSE"}).ok());
    for (auto& t : threads) t.join();
    return out;
  }

  long long Calls() { return redis_.CommandCalls("evalsha") + redis_.CommandCalls("eval"); }

  // The batch callback throws for the `n`th batch (counted from 1).
  void ThrowAtBatch(std::size_t n) {
    std::lock_guard<std::mutex> lock(batches_mu_);
    throw_at_batch_ = n;
  }

  // Record, with an exception out of it (there must be none: nothing may
  // throw into Apache's hooks) turned into a test failure.
  Result<RecordOutcome> RecordNoThrow(RedisClient& redis, const RecordRequest& request) {
    try {
      return batcher_.Record(redis, request);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "Record threw: " << e.what();
      return Status::Internal(std::string("Record threw: ") + e.what());
    }
  }

  testing::RedisServer redis_;
  std::unique_ptr<RedisConnection> admin_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore creds_;
  EventStore events_;
  // The size of every batch sent, in order (written by the sending thread).
  std::vector<std::size_t> Batches() {
    std::lock_guard<std::mutex> lock(batches_mu_);
    return batches_;
  }
  std::mutex batches_mu_;
  std::vector<std::size_t> batches_;  // guarded by batches_mu_
  // The batch (counted from 1) whose callback throws; 0: none. Guarded by
  // batches_mu_.
  std::size_t throw_at_batch_ = 0;
  std::size_t batches_before_ = 0;
  RecordBatcher batcher_;
};

TEST_F(RecordBatcherTest, ConcurrentEventsShareOneCallAndEachGetsItsOwnOutcome) {
  const IssuedCredential web = Create("hits", "web");
  const IssuedCredential any = Create("hits", "");
  const IssuedCredential deploy = Create("deploy", "web");
  // A first event with a key, so that a later one with the key is a duplicate;
  // it also loads the script.
  auto first = batcher_.Record(*client_, Request(web.token, EventType::kHit, "{}", "key-1"));
  ASSERT_TRUE(first.ok() && first->kind == Kind::kAccepted);
  batches_before_ = Batches().size();
  const long long calls_before = Calls();

  const std::string unknown = web.token.substr(0, web.token.size() - 7) + "AAAAAAA";
  std::vector<RecordRequest> requests = {
      Request(web.token, EventType::kHit, R"({"count":2})"),
      Request(web.token, EventType::kHit, "{}", "key-1"),                 // duplicate
      Request(web.token, EventType::kFailure, R"({"error":"x"})"),        // accepted
      Request(deploy.token, EventType::kHit, R"({"app":"web"})"),         // forbidden
      Request(any.token, EventType::kHit, "{}"),                          // no app: invalid
      Request(unknown, EventType::kHit, "{}"),                            // invalid token
      Request(deploy.token, EventType::kDeploy, R"({"version":"1.2"})"),  // accepted
      Request(any.token, EventType::kHit, R"({"app":"api"})"),            // accepted
  };
  auto outcomes = RecordHeld(requests);
  // Two calls for nine events: the first held alone, then the seven queued.
  EXPECT_EQ(Calls() - calls_before, 2);
  const std::vector<std::size_t> batches = Batches();
  ASSERT_EQ(batches.size(), batches_before_ + 2);
  EXPECT_EQ(batches[batches_before_ + 1], requests.size() - 1);

  const std::vector<Kind> expected = {Kind::kAccepted,  Kind::kDuplicate,    Kind::kAccepted,
                                      Kind::kForbidden, Kind::kInvalidEvent, Kind::kInvalidToken,
                                      Kind::kAccepted,  Kind::kAccepted};
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    ASSERT_TRUE(outcomes[i].ok()) << i << ": " << outcomes[i].status().ToString();
    EXPECT_EQ(outcomes[i]->kind, expected[i]) << "event " << i;
    if (expected[i] == Kind::kAccepted) ids.push_back(outcomes[i]->event_id);
  }
  EXPECT_EQ(outcomes[1]->event_id, first->event_id);  // the duplicate names the first
  EXPECT_NE(outcomes[3]->message.find("cannot post hit"), std::string::npos);
  EXPECT_NE(outcomes[4]->message.find("app is required"), std::string::npos);
  EXPECT_EQ(outcomes[0]->credential_id, web.credential.id);
  EXPECT_EQ(outcomes[6]->credential_id, deploy.credential.id);
  // The stream has exactly the accepted events, once each (in the order the
  // threads reached the queue, which the test does not fix).
  EventQuery query;
  query.org = "acme";
  auto stored = events_.List(*client_, query);
  ASSERT_TRUE(stored.ok());
  // ... and the opening of the incident the failure opened (its monitor's
  // failures_to_open is 1), right after it.
  ASSERT_EQ(stored->size(), 1 + ids.size() + 1);
  std::set<std::string> recorded;
  int openings = 0;
  for (std::size_t i = 1; i < stored->size(); ++i) {
    if ((*stored)[i].type == "incident_opened") {
      ++openings;
      EXPECT_EQ((*stored)[i - 1].type, "failure");
      continue;
    }
    recorded.insert((*stored)[i].id);
  }
  EXPECT_EQ(openings, 1);
  EXPECT_EQ(recorded, std::set<std::string>(ids.begin(), ids.end()));
  auto stats = events_.Stats(*client_, "acme", "", 3600 * 1000);
  ASSERT_TRUE(stats.ok());
  std::map<std::string, AppStats> by_app;
  for (const auto& s : *stats) by_app[s.app] = s;
  EXPECT_EQ(by_app["web"].hits, 3);  // 1 + count 2
  EXPECT_EQ(by_app["web"].failures, 1);
  EXPECT_EQ(by_app["web"].deploys, 1);
  EXPECT_EQ(by_app["api"].hits, 1);
}

TEST_F(RecordBatcherTest, AnEventAloneIsSentAtOnceInACallOfItsOwn) {
  const IssuedCredential web = Create("hits", "web");
  const long long before = Calls();
  for (int i = 0; i < 5; ++i) {
    auto outcome = batcher_.Record(*client_, Request(web.token, EventType::kHit, "{}"));
    ASSERT_TRUE(outcome.ok() && outcome->kind == Kind::kAccepted);
  }
  EXPECT_EQ(Calls() - before, 5 + 1);  // the first also loaded the script (NOSCRIPT, EVAL)
  EXPECT_EQ(Batches(), std::vector<std::size_t>(5, 1));
}

// A call trims each stream it appended to once, after its events, to the
// stream's bound: the bound holds for a batch as for single events.
TEST_F(RecordBatcherTest, ABatchTrimsTheStreamToItsBound) {
  const IssuedCredential web = Create("hits", "web");
  EventStore bounded(keys_, EventRetention{1000});
  const std::string events = keys_.Events(TokenRoutingTag(web.token));
  for (int i = 0; i < 1200; ++i) {
    ASSERT_TRUE(admin_->Command({"XADD", events, "*", "type", "hit", "fields", "{}"}).ok());
  }
  std::vector<RecordRequest> requests(64, Request(web.token, EventType::kHit, "{}"));
  std::vector<const RecordRequest*> batch;
  for (const auto& r : requests) batch.push_back(&r);
  const long long xtrims = redis_.CommandCalls("xtrim");
  auto outcomes = bounded.RecordBatch(*client_, batch);
  ASSERT_EQ(outcomes.size(), batch.size());
  for (const auto& o : outcomes) ASSERT_TRUE(o.ok() && o->kind == Kind::kAccepted);
  EXPECT_EQ(redis_.CommandCalls("xtrim") - xtrims, 1);
  auto len = admin_->Command({"XLEN", events});
  ASSERT_TRUE(len.ok());
  // Approximate trimming removes whole stream nodes (100 entries each).
  EXPECT_GE(len->integer, 1000);
  EXPECT_LE(len->integer, 1100);
}

// A batch that mixes orgs is one script call per org (per slot), and the
// calls go to Redis in one write: one round trip, not one per org.
TEST_F(RecordBatcherTest, TheCallsOfSeveralOrgsGoInOneWrite) {
  testing::DelayProxy relay(redis_.port(), std::chrono::milliseconds(0));
  auto relayed = testing::TestClientFor("redis://127.0.0.1:" + std::to_string(relay.port()) + "/0",
                                        std::chrono::milliseconds(5000));
  const IssuedCredential a = Create("hits", "web");
  auto b = CredentialService(creds_, "tester").Create({"other", "hits", "b", "web", 0});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  for (const std::string& token : {a.token, b->token}) {  // the script loaded, connections open
    auto warm = batcher_.Record(*relayed, Request(token, EventType::kHit, "{}"));
    ASSERT_TRUE(warm.ok() && warm->kind == Kind::kAccepted);
  }
  batches_before_ = Batches().size();
  const long long calls_before = Calls();
  const int writes_before = relay.client_writes();
  const std::vector<RecordRequest> requests = {
      Request(a.token, EventType::kHit, "{}"),  // held alone
      Request(a.token, EventType::kHit, R"({"count":2})"),
      Request(b->token, EventType::kHit, R"({"count":3})"),
      Request(a.token, EventType::kFailure, R"({"error":"x"})"),
      Request(b->token, EventType::kHit, "{}"),
  };
  auto out = RecordHeld(requests, relayed.get());
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out[i].ok()) << i << ": " << out[i].status().ToString();
    EXPECT_EQ(out[i]->kind, Kind::kAccepted) << i;
    EXPECT_EQ(out[i]->org, i == 2 || i == 4 ? "other" : "acme") << i;
  }
  // The held event's call, then one per org for the four queued.
  EXPECT_EQ(Calls() - calls_before, 3);
  const std::vector<std::size_t> batches = Batches();
  ASSERT_EQ(batches.size(), batches_before_ + 3);
  EXPECT_EQ(std::multiset<std::size_t>(batches.begin() + batches_before_ + 1, batches.end()),
            (std::multiset<std::size_t>{2, 2}));
  // Two writes: the held call, then both orgs' calls together.
  EXPECT_EQ(relay.client_writes() - writes_before, 2);
  auto stats = events_.Stats(*client_, "other", "", 3600 * 1000);
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ(stats->front().hits, 1 + 3 + 1);  // the warm-up, then 3 and 1
}

// An exception in the middle of a send (here from the batch callback, which
// the sender calls before its Redis call) fails exactly the members of that
// batch, with Internal: the batcher is not left with a batch "on the wire"
// forever, and the events after it are recorded.
TEST_F(RecordBatcherTest, AnExceptionInSendFailsItsBatchAndTheNextEventsAreRecorded) {
  const IssuedCredential web = Create("hits", "web");
  // A batch of one: the sender's own event.
  ThrowAtBatch(Batches().size() + 1);
  auto alone = RecordNoThrow(*client_, Request(web.token, EventType::kHit, "{}"));
  EXPECT_EQ(alone.status().code(), Code::kInternal) << alone.status().ToString();
  EXPECT_NE(alone.status().message().find("injected failure"), std::string::npos)
      << alone.status().ToString();
  // Bounded on any code: a batcher left sending withdraws this event after
  // the client's timeout (Unavailable).
  auto next = RecordNoThrow(*client_, Request(web.token, EventType::kHit, R"({"count":2})"));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->kind, Kind::kAccepted);

  // A batch of five, queued behind an event held alone.
  batches_before_ = Batches().size();
  ThrowAtBatch(batches_before_ + 2);
  const std::vector<RecordRequest> requests(6, Request(web.token, EventType::kHit, "{}"));
  auto out = RecordHeld(requests);
  ASSERT_TRUE(out[0].ok()) << out[0].status().ToString();
  EXPECT_EQ(out[0]->kind, Kind::kAccepted);
  for (std::size_t i = 1; i < out.size(); ++i) {
    EXPECT_EQ(out[i].status().code(), Code::kInternal) << i << ": " << out[i].status().ToString();
    EXPECT_NE(out[i].status().message().find("injected failure"), std::string::npos)
        << out[i].status().ToString();
  }
  const std::vector<std::size_t> batches = Batches();
  EXPECT_EQ(std::vector<std::size_t>(batches.begin() + batches_before_, batches.end()),
            (std::vector<std::size_t>{1, 5}));
  auto last = RecordNoThrow(*client_, Request(web.token, EventType::kHit, "{}"));
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->kind, Kind::kAccepted);

  // The stream holds exactly the events answered as recorded: nothing of
  // either failed batch (their calls were never made).
  EventQuery query;
  query.org = "acme";
  auto stored = events_.List(*client_, query);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  std::set<std::string> recorded;
  for (const StoredEvent& e : *stored) recorded.insert(e.id);
  EXPECT_EQ(recorded, (std::set<std::string>{next->event_id, out[0]->event_id, last->event_id}));
}

// CPU time of the calling thread / of the whole process.
std::chrono::nanoseconds CpuTime(clockid_t clock) {
  timespec ts{};
  EXPECT_EQ(clock_gettime(clock, &ts), 0);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Sixteen threads wait while a batch is on the wire past their own timeout:
// its events were taken into it (they can no longer withdraw) late in their
// wait, and its sender's call goes through a relay that holds every reply
// longer than the timeout (here the first on the sender's new connection, its
// TIME: the script call is never sent). Each
// waiter sleeps until its outcome is in: it does not wake over and over once
// its own timeout has passed (each such wake-up takes the lock the sender
// needs to publish the outcomes). And each gets its outcome within one
// timeout of its batch going out: the sender's call is bounded.
TEST_F(RecordBatcherTest, ThreadsWaitingForASlowBatchSleepUntilItIsAnswered) {
  constexpr auto kTimeout = std::chrono::milliseconds(1000);
  // Scheduling on a loaded machine, not the code under test.
  constexpr auto kMargin = std::chrono::milliseconds(500);
  constexpr std::size_t kThreads = 16;
  // Every chunk a whole timeout late: no call through the relay is answered
  // within the timeout.
  testing::DelayProxy relay(redis_.port(), kTimeout);
  auto slow =
      testing::TestClientFor("redis://127.0.0.1:" + std::to_string(relay.port()) + "/0", kTimeout);
  ASSERT_NE(slow, nullptr);
  const IssuedCredential web = Create("hits", "web");
  auto warm = batcher_.Record(*client_, Request(web.token, EventType::kHit, "{}"));
  ASSERT_TRUE(warm.ok() && warm->kind == Kind::kAccepted);
  batches_before_ = Batches().size();

  using Clock = std::chrono::steady_clock;
  struct Wait {
    Clock::time_point start, end;
    std::chrono::nanoseconds cpu{0};  // the thread's CPU time in Record
    Result<RecordOutcome> outcome = Status::Internal("not run");
  };
  std::vector<Wait> waits(kThreads);
  const RecordRequest request = Request(web.token, EventType::kHit, "{}");
  auto wait = [&](std::size_t i, RedisClient* redis) {
    waits[i].start = Clock::now();
    const auto cpu = CpuTime(CLOCK_THREAD_CPUTIME_ID);
    waits[i].outcome = RecordNoThrow(*redis, request);
    waits[i].cpu = CpuTime(CLOCK_THREAD_CPUTIME_ID) - cpu;
    waits[i].end = Clock::now();
  };
  // The first event is held in Redis (writes paused; the test's own client,
  // with a longer timeout); the fifteen others, on the slow client, queue
  // behind it.
  const auto process_cpu = CpuTime(CLOCK_PROCESS_CPUTIME_ID);
  EXPECT_TRUE(admin_->Command({"CLIENT", "PAUSE", "10000", "WRITE"}).ok());
  std::vector<std::thread> threads;
  threads.emplace_back(wait, 0, client_.get());
  EXPECT_TRUE(Eventually([&] { return Batches().size() == batches_before_ + 1; }));
  const Clock::time_point queued = Clock::now();
  for (std::size_t i = 1; i < kThreads; ++i) threads.emplace_back(wait, i, slow.get());
  EXPECT_TRUE(Eventually([&] { return batcher_.Queued() == kThreads - 1; }));
  // The held call is answered well into their wait (a long queue), so that
  // their own timeout passes while the next batch, theirs, is on the wire.
  std::this_thread::sleep_until(queued + kTimeout * 6 / 10);
  const Clock::time_point sent = Clock::now();
  EXPECT_TRUE(admin_->Command({"CLIENT", "UNPAUSE"}).ok());
  for (auto& t : threads) t.join();
  const auto process_cpu_used = CpuTime(CLOCK_PROCESS_CPUTIME_ID) - process_cpu;
  ASSERT_LT(sent - queued, kTimeout) << "the queued events gave up before their batch went out";

  ASSERT_TRUE(waits[0].outcome.ok()) << waits[0].outcome.status().ToString();
  EXPECT_EQ(waits[0].outcome->kind, Kind::kAccepted);
  Clock::time_point first = waits[0].start, last = waits[0].end;
  std::chrono::nanoseconds cpu{0};
  for (std::size_t i = 0; i < kThreads; ++i) {
    const Wait& w = waits[i];
    first = std::min(first, w.start);
    last = std::max(last, w.end);
    cpu += w.cpu;
    if (i == 0) continue;
    // Nothing is answered through the relay within the timeout.
    EXPECT_EQ(w.outcome.status().code(), Code::kUnavailable)
        << i << ": " << w.outcome.status().ToString();
    // Within one timeout of its batch going out; so within two of its
    // start: one in the queue, one on the wire.
    EXPECT_LE(w.end - sent, kTimeout + kMargin) << i;
    EXPECT_LE(w.end - w.start, 2 * kTimeout + kMargin) << i;
  }
  const auto stall = last - first;
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  std::cout << "stall " << ms(stall) << " ms: the " << kThreads << " waiting threads used "
            << ms(cpu) << " ms of CPU, the process " << ms(process_cpu_used) << " ms\n";
  // Together, the waiting threads use less than a twentieth of one core
  // (each woken a few times, a send of one batch); threads that spin once
  // their timeout has passed use whole cores.
  EXPECT_LT(ms(cpu), ms(stall) / 20);
  // The process (relay threads and thread starts included) under a tenth.
  EXPECT_LT(ms(process_cpu_used), ms(stall) / 10);
  // The slow batch wrote nothing: its script call was never sent.
  EventQuery query;
  query.org = "acme";
  auto stored = events_.List(*client_, query);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->size(), 2u);  // the warm-up and the held event
}

// One deadline per request: the wait in the queue and the call that follows
// spend one budget. Seven events queue for 700 ms behind a held one, then
// their batch goes through a relay that takes 800 ms per round trip: each
// gets Unavailable (timed out) one timeout after it started, not the 202 that
// a fresh timeout for the call would have let it wait 1.5 timeouts for; and
// Redis, running the late script, writes nothing.
TEST_F(RecordBatcherTest, TheQueueWaitAndTheCallShareTheRequestsDeadline) {
  constexpr auto kTimeout = std::chrono::milliseconds(1000);
  // Scheduling on a loaded machine, not the code under test.
  constexpr auto kMargin = std::chrono::milliseconds(150);
  constexpr std::size_t kQueued = 7;
  testing::DelayProxy relay(redis_.port(), std::chrono::milliseconds(400));
  auto slow =
      testing::TestClientFor("redis://127.0.0.1:" + std::to_string(relay.port()) + "/0", kTimeout);
  ASSERT_NE(slow, nullptr);
  const IssuedCredential web = Create("hits", "web");
  // The slow client's connection opened (each step within the timeout, no
  // deadline), so that the batch below needs one round trip.
  auto warm = batcher_.Record(*slow, Request(web.token, EventType::kHit, "{}"));
  ASSERT_TRUE(warm.ok() && warm->kind == Kind::kAccepted) << warm.status().ToString();

  using Clock = std::chrono::steady_clock;
  struct Wait {
    Clock::time_point start, end;
    Result<RecordOutcome> outcome = Status::Internal("not run");
  };
  std::vector<Wait> waits(kQueued);
  auto wait = [&](std::size_t i) {
    RecordRequest request = Request(web.token, EventType::kHit, "{}");
    waits[i].start = Clock::now();
    request.deadline = DeadlineIn(kTimeout);
    waits[i].outcome = RecordNoThrow(*slow, request);
    waits[i].end = Clock::now();
  };
  // The scripts Redis has run so far (INFO commandstats).
  auto EvalshaCalls = [&] { return redis_.CommandCalls("evalsha"); };
  const long long evalsha_before = EvalshaCalls();
  // The first event held in Redis (writes paused; the test's own client).
  EXPECT_TRUE(admin_->Command({"CLIENT", "PAUSE", "10000", "WRITE"}).ok());
  batches_before_ = Batches().size();
  Result<RecordOutcome> held = Status::Internal("not run");
  std::thread holder(
      [&] { held = RecordNoThrow(*client_, Request(web.token, EventType::kHit, "{}")); });
  EXPECT_TRUE(Eventually([&] { return Batches().size() == batches_before_ + 1; }));
  const Clock::time_point queued = Clock::now();
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kQueued; ++i) threads.emplace_back(wait, i);
  EXPECT_TRUE(Eventually([&] { return batcher_.Queued() == kQueued; }));
  std::this_thread::sleep_until(queued + kTimeout * 7 / 10);
  EXPECT_TRUE(admin_->Command({"CLIENT", "UNPAUSE"}).ok());
  holder.join();
  for (auto& t : threads) t.join();
  ASSERT_TRUE(held.ok() && held->kind == Kind::kAccepted) << held.status().ToString();

  for (std::size_t i = 0; i < kQueued; ++i) {
    const Wait& w = waits[i];
    EXPECT_EQ(w.outcome.status().code(), Code::kUnavailable)
        << i << ": " << (w.outcome.ok() ? "recorded" : w.outcome.status().ToString());
    EXPECT_EQ(w.outcome.status().redis_failure(), RedisFailure::kTimedOut) << i;
    EXPECT_LE(w.end - w.start, kTimeout + kMargin)
        << i << ": waited "
        << std::chrono::duration_cast<std::chrono::milliseconds>(w.end - w.start).count() << " ms";
  }
  // The late batch reaches Redis after its deadline in Redis' clock: the
  // script writes nothing. Only the warm-up and the held event are stored.
  EventQuery query;
  query.org = "acme";
  EXPECT_TRUE(Eventually([&] { return EvalshaCalls() == evalsha_before + 2; }))
      << "the held call and the late batch's: " << EvalshaCalls() - evalsha_before;
  auto stored = events_.List(*client_, query);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->size(), 2u);
}

class RecordBatcherFaultTest : public RecordBatcherTest {
 protected:
  // Durable, so that what was recorded survives the kill.
  RecordBatcherFaultTest() : RecordBatcherTest({"appendonly yes", "appendfsync always"}) {}
};

TEST_F(RecordBatcherFaultTest, ABatchRedisNeverAnswersFailsExactlyItsMembers) {
  const IssuedCredential web = Create("hits", "web");
  auto warm = batcher_.Record(*client_, Request(web.token, EventType::kHit, "{}", "k0"));
  ASSERT_TRUE(warm.ok() && warm->kind == Kind::kAccepted);
  std::vector<RecordRequest> requests;
  for (int i = 1; i <= 6; ++i) {
    requests.push_back(Request(web.token, EventType::kHit, "{}", "k" + std::to_string(i)));
  }
  // Held as above, but Redis is killed while the first call waits in it.
  EXPECT_TRUE(admin_->Command({"CLIENT", "PAUSE", "10000", "WRITE"}).ok());
  std::vector<Result<RecordOutcome>> out(requests.size(), Status::Internal("not run"));
  std::vector<std::thread> threads;
  batches_before_ = Batches().size();
  threads.emplace_back([&] { out[0] = batcher_.Record(*client_, requests[0]); });
  ASSERT_TRUE(Eventually([&] { return Batches().size() == batches_before_ + 1; }));
  for (std::size_t i = 1; i < requests.size(); ++i) {
    threads.emplace_back([&, i] { out[i] = batcher_.Record(*client_, requests[i]); });
  }
  ASSERT_TRUE(Eventually([&] { return batcher_.Queued() == requests.size() - 1; }));
  admin_.reset();
  redis_.Kill();
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_FALSE(out[i].ok()) << i;
    EXPECT_EQ(out[i].status().code(), Code::kUnavailable) << out[i].status().ToString();
  }
  // Back up: the retries with the same keys record each event once; the
  // event answered before is a duplicate.
  redis_.Start();
  std::vector<std::string> ids;
  for (const auto& request : requests) {
    auto retry = batcher_.Record(*client_, request);
    ASSERT_TRUE(retry.ok()) << retry.status().ToString();
    EXPECT_EQ(retry->kind, Kind::kAccepted);
    ids.push_back(retry->event_id);
  }
  auto again = batcher_.Record(*client_, Request(web.token, EventType::kHit, "{}", "k0"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, Kind::kDuplicate);
  EXPECT_EQ(again->event_id, warm->event_id);
  EventQuery query;
  query.org = "acme";
  auto stored = events_.List(*client_, query);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 1 + requests.size());
}

}  // namespace
}  // namespace onep
