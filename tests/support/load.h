// SPDX-License-Identifier: Apache-2.0
// Load for the fault tests: clients posting hits with unique messages and
// Idempotency-Keys, and the checks that tie their answers to what Redis holds
// ("a 202 means the event is in Redis; no write without a 202"), shared by the
// single-server fault tests and the Redis Cluster and Sentinel ones; and a
// replica cut off from its master, for failovers with exact outcomes.
#ifndef ONEP_TESTS_SUPPORT_LOAD_H_
#define ONEP_TESTS_SUPPORT_LOAD_H_

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "onep/json.h"
#include "onep/redis_connection.h"
#include "support/apache_server.h"
#include "support/http_client.h"

namespace onep::testing {

using Clock = std::chrono::steady_clock;

// What one request of a load got.
struct Outcome {
  int status = 0;
  std::string error;    // transport problem when status is 0
  std::string message;  // the unique "message" field it sent
  std::string id;       // the event id of a 202
  Clock::time_point start;
  Clock::duration elapsed{};
};

// `threads` clients posting hits as fast as they can (with a short pause),
// each request carrying a unique message so that the event it created can be
// found again. Bounded: at most `max_per_thread` requests per thread.
class Load {
 public:
  static std::string Body(const std::string& message) {
    return R"({"app":"web","message":")" + message + "\"}";
  }

  Load(int port, std::string path, std::string token, std::string tag, int threads,
       int max_per_thread = 1500)
      : port_(port),
        path_(std::move(path)),
        token_(std::move(token)),
        tag_(std::move(tag)),
        threads_(threads),
        max_per_thread_(max_per_thread),
        results_(threads) {}
  ~Load() { Stop(); }

  void Start() {
    for (int t = 0; t < threads_; ++t) {
      workers_.emplace_back([this, t] {
        for (int i = 0; i < max_per_thread_ && !stop_; ++i) {
          Outcome o;
          o.message = tag_ + "-" + std::to_string(t) + "-" + std::to_string(i);
          o.start = Clock::now();
          auto r =
              PostJson(port_, path_, token_, Body(o.message), {{"Idempotency-Key", o.message}});
          o.elapsed = Clock::now() - o.start;
          o.status = r.status;
          o.error = r.error;
          if (r.status == 202) o.id = r.JsonString("id");
          if (r.status == 202) accepted_++;
          if (r.status == 503) unavailable_++;
          results_[t].push_back(std::move(o));
          sent_++;
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      });
    }
  }

  void Stop() {
    stop_ = true;
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  // Blocks until at least `n` more requests have been answered (or 5 s).
  void WaitForRequests(int n) {
    const int target = sent_ + n;
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (sent_ < target && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  // Blocks until `n` more requests have been answered with `status` (202 or
  // 503), at most `limit`. False when the bound was reached first.
  bool WaitForStatus(int status, int n,
                     std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::atomic<int>& counter = status == 202 ? accepted_ : unavailable_;
    const int target = counter + n;
    auto deadline = Clock::now() + limit;
    while (counter < target) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // What a correct client does after a 503: the same request again, with
  // the same Idempotency-Key. Returns the retries' outcomes, in order.
  std::vector<Outcome> RetryFailed(const std::vector<Outcome>& outcomes) const {
    std::vector<Outcome> retries;
    for (const auto& first : outcomes) {
      if (first.status == 202) continue;
      Outcome o = first;
      o.start = Clock::now();
      auto r = PostJson(port_, path_, token_, Body(o.message), {{"Idempotency-Key", o.message}});
      o.elapsed = Clock::now() - o.start;
      o.status = r.status;
      o.error = r.error;
      o.id = r.status == 202 ? r.JsonString("id") : "";
      retries.push_back(std::move(o));
    }
    return retries;
  }

  std::vector<Outcome> Outcomes() const {
    std::vector<Outcome> all;
    for (const auto& per_thread : results_)
      all.insert(all.end(), per_thread.begin(), per_thread.end());
    return all;
  }

 private:
  const int port_;
  const std::string path_, token_, tag_;
  const int threads_, max_per_thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0};
  std::atomic<int> accepted_{0}, unavailable_{0};  // answers with 202, with 503
  std::vector<std::vector<Outcome>> results_;      // one vector per thread
  std::vector<std::thread> workers_;
};

inline std::map<int, int> CountStatuses(const std::vector<Outcome>& outcomes) {
  std::map<int, int> counts;
  for (const auto& o : outcomes) counts[o.status]++;
  return counts;
}

inline std::string Describe(const std::map<int, int>& counts) {
  std::string out;
  for (const auto& [status, n] : counts)
    out += std::to_string(status) + ":" + std::to_string(n) + " ";
  return out;
}

// The "message" field of an event's fields JSON.
inline std::string MessageOf(const StoredEvent& e) {
  JsonPtr fields(json_loads(e.fields_json.c_str(), 0, nullptr));
  json_t* message = json_object_get(fields.get(), "message");
  return json_is_string(message) ? json_string_value(message) : "";
}

// The load's events in Redis, by id: their "message".
inline std::map<std::string, std::string> LoadEvents(OnepStack& stack, const std::string& org,
                                                     const std::string& tag) {
  std::map<std::string, std::string> message_by_id;
  for (const auto& e : stack.Events(org, 1000000)) {
    const std::string message = MessageOf(e);
    if (message.rfind(tag + "-", 0) == 0) message_by_id[e.id] = message;
  }
  return message_by_id;
}

// Every 202 names an event that is in Redis and carries the message that
// request sent (a connection reused in a broken state would hand one request
// the reply meant for another), and no two 202s share an event. Returns the
// outcomes of the load's requests that were recorded without a 202.
inline std::vector<Outcome> ExpectEvery202IsRecorded(
    const std::map<std::string, std::string>& events, const std::vector<Outcome>& outcomes) {
  std::set<std::string> ids, accepted_messages;
  for (const auto& o : outcomes) {
    if (o.status != 202) continue;
    EXPECT_TRUE(ids.insert(o.id).second) << "two 202s with event " << o.id;
    accepted_messages.insert(o.message);
    auto it = events.find(o.id);
    if (it == events.end()) {
      ADD_FAILURE() << "202 for " << o.message << " names event " << o.id << ", not in Redis";
    } else {
      EXPECT_EQ(it->second, o.message) << "event " << o.id;
    }
  }
  std::map<std::string, const Outcome*> by_message;
  for (const auto& o : outcomes) by_message[o.message] = &o;
  std::map<std::string, int> events_per_message;
  for (const auto& [id, message] : events) {
    if (++events_per_message[message] == 2) ADD_FAILURE() << message << " was recorded twice";
  }
  std::vector<Outcome> extra;
  for (const auto& [id, message] : events) {
    if (accepted_messages.count(message) > 0) continue;
    auto it = by_message.find(message);
    if (it == by_message.end()) {
      ADD_FAILURE() << "event " << id << " (" << message << ") was never sent";
      continue;
    }
    extra.push_back(*it->second);
  }
  return extra;
}

// "No 202 without the write; no write without a 202": the load's events are
// exactly its 202s.
inline void ExpectEventsMatchAccepted(OnepStack& stack, const std::string& org,
                                      const std::vector<Outcome>& outcomes,
                                      const std::string& tag) {
  auto extra = ExpectEvery202IsRecorded(LoadEvents(stack, org, tag), outcomes);
  for (const auto& o : extra) {
    ADD_FAILURE() << "recorded without a 202: " << o.message << " got " << o.status << " "
                  << o.error << " after "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(o.elapsed).count()
                  << " ms";
  }
}

// When Redis fails between running the record script and answering (it
// exits on SIGTERM before flushing replies, or stalls after running it), the
// module cannot know the outcome and answers 503 (docs/api.md): such an
// "in doubt" event may exist without a 202. What must hold: every 202 is
// recorded; an event without a 202 belongs to a request that got 503; and a
// client that retries its 503s with the same Idempotency-Key ends with
// exactly one event per request, each retry answering 202 with that event's
// id. So, after the retries, the events are exactly the 202s.
inline void ExpectExactlyOnceAfterRetries(OnepStack& stack, const Load& load,
                                          const std::string& tag, const char* what,
                                          const std::string& org = "acme") {
  const auto outcomes = load.Outcomes();
  const auto in_doubt = ExpectEvery202IsRecorded(LoadEvents(stack, org, tag), outcomes);
  for (const auto& o : in_doubt) {
    EXPECT_EQ(o.status, 503) << "recorded without a 202: " << o.message << " " << o.error;
  }
  const auto retries = load.RetryFailed(outcomes);
  const auto events = LoadEvents(stack, org, tag);
  std::map<std::string, std::string> id_by_message;
  for (const auto& [id, message] : events) id_by_message[message] = id;
  for (const auto& r : retries) {
    ASSERT_EQ(r.status, 202) << "retry of " << r.message << ": " << r.error;
    EXPECT_EQ(r.id, id_by_message[r.message]) << r.message;
  }
  auto all = outcomes;
  for (auto& o : all) {
    for (const auto& r : retries) {
      if (r.message == o.message) o = r;
    }
  }
  ExpectEvery202IsRecorded(events, all);
  EXPECT_EQ(events.size(), outcomes.size()) << "one event per request, no more, no less";
  std::printf(
      "[ faults   ] %s: %zu requests, %s; %zu of the 503s were in doubt (recorded); "
      "after %zu retries: %zu events, each once\n",
      what, outcomes.size(), Describe(CountStatuses(outcomes)).c_str(), in_doubt.size(),
      retries.size(), events.size());
}

// How long new requests went unserved after `since`: from the start of the
// first request in [since, until) that did not get a 202 to the start of the
// first later one that did. 0 when none failed; -1 when none succeeded again.
inline long long RecoveryMs(const std::vector<Outcome>& outcomes, Clock::time_point since,
                            Clock::time_point until = Clock::time_point::max()) {
  Clock::time_point down = Clock::time_point::max();
  for (const auto& o : outcomes) {
    if (o.status != 202 && o.start >= since && o.start < until && o.start < down) down = o.start;
  }
  if (down == Clock::time_point::max()) return 0;
  Clock::time_point up = Clock::time_point::max();
  for (const auto& o : outcomes) {
    if (o.status == 202 && o.start > down && o.start < up) up = o.start;
  }
  if (up == Clock::time_point::max()) return -1;
  return std::chrono::duration_cast<std::chrono::milliseconds>(up - down).count();
}

inline void ExpectNoChildCrash(ApacheServer& apache) {
  std::istringstream log(apache.ErrorLog());
  std::string line;
  while (std::getline(log, line)) {
    for (const char* needle :
         {"exit signal", "Segmentation", "AH00052", "ONEP0199", "ONEP0103", "ONEP0001"}) {
      EXPECT_EQ(line.find(needle), std::string::npos) << line;
    }
  }
}

// Of a load's 202s, how many name no event in Redis afterwards: what a
// failover without OnepRedisWait took with it.
struct Lost202s {
  int accepted = 0;
  int lost = 0;
};
inline Lost202s CountLost202s(OnepStack& stack, const std::string& org, const std::string& tag,
                              const std::vector<Outcome>& outcomes) {
  std::set<std::string> recorded;
  for (const auto& [id, message] : LoadEvents(stack, org, tag)) recorded.insert(id);
  Lost202s count;
  for (const auto& o : outcomes) {
    if (o.status != 202) continue;
    ++count.accepted;
    if (recorded.count(o.id) == 0) ++count.lost;
  }
  return count;
}

// Cuts the replica that `replica` is connected to off from its master, so
// that every write the master takes from now on is on the master alone: the
// replica may no longer authenticate to its master (a user that does not
// exist), then drops its link, and every attempt to reconnect fails. For
// outcomes that do not depend on timing (which writes a failover loses).
// Waits, with a bound, until the replica says its link is down. Returns
// what RestoreReplication puts back.
struct ReplicationCut {
  std::string masteruser, masterauth;
};
inline ReplicationCut CutReplicationOff(RedisConnection& replica) {
  ReplicationCut before;
  for (auto [name, value] :
       {std::pair{"masteruser", &before.masteruser}, std::pair{"masterauth", &before.masterauth}}) {
    auto got = replica.Command({"CONFIG", "GET", name});
    EXPECT_TRUE(got.ok() && got->elements.size() == 2) << name;
    if (got.ok() && got->elements.size() == 2) *value = got->elements[1].str;
  }
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"CONFIG", "SET", "masteruser", "onep-test-cut-off"},
        std::vector<std::string>{"CONFIG", "SET", "masterauth", "onep-test-cut-off"},
        std::vector<std::string>{"CLIENT", "KILL", "TYPE", "master"}}) {
    auto done = replica.Command(command);
    EXPECT_TRUE(done.ok() && !done->is_error())
        << command[0] << " " << command[1] << ": " << (done.ok() ? done->str : "");
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (true) {
    auto info = replica.Command({"INFO", "replication"});
    if (info.ok() && info->str.find("master_link_status:down") != std::string::npos) break;
    if (Clock::now() > deadline) {
      ADD_FAILURE() << "the replica's link is still up: " << (info.ok() ? info->str : "");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return before;
}

// Lets a replica cut off by CutReplicationOff authenticate to its master
// again (it reconnects on its own).
inline void RestoreReplication(RedisConnection& replica, const ReplicationCut& cut) {
  EXPECT_TRUE(replica.Command({"CONFIG", "SET", "masteruser", cut.masteruser}).ok());
  EXPECT_TRUE(replica.Command({"CONFIG", "SET", "masterauth", cut.masterauth}).ok());
}

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_LOAD_H_
