// SPDX-License-Identifier: Apache-2.0
// Monitors and incidents through the real module (docs/design.md "Monitors
// and incidents"): hits and failures posted over HTTP open and resolve
// incidents as the rules say, at the times of the events the rules name, with
// each flip in the stream right after the event that caused it; concurrent
// requests recorded in shared calls give what their recorded order gives; a
// retry changes nothing; and a 503 after OnepRedisWait leaves no flip without
// its event. Apps and incidents are read as onepctl --json prints them.
//
// On a single Redis, and on a Redis Cluster when run with
// ONEP_TEST_REDIS=cluster (but the OnepRedisWait test, which needs a replica
// of its own).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "onep/json.h"
#include "onep/parse.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/load.h"
#include "support/monitor_model.h"
#include "support/redis_server.h"
#include "support/test_redis.h"

namespace onep::testing {
namespace {

JsonPtr Parse(const std::string& text) {
  JsonPtr value(json_loads(text.c_str(), 0, nullptr));
  EXPECT_TRUE(value) << text;
  return value;
}

std::string Str(const json_t* object, const char* key) {
  const char* value = json_string_value(json_object_get(object, key));
  return value ? value : "";
}

// An RFC 3339 member of `object` as Unix ms; none for null.
std::optional<int64_t> Time(const json_t* object, const char* key) {
  const json_t* value = json_object_get(object, key);
  if (!json_is_string(value)) return std::nullopt;
  auto ms = ParseRfc3339Ms(json_string_value(value));
  EXPECT_TRUE(ms.ok()) << json_string_value(value);
  return ms.ok() ? std::optional<int64_t>(*ms) : std::nullopt;
}

// An incident as `onepctl incidents --json` prints it.
struct SeenIncident {
  std::string id;
  int64_t opened_at = 0;
  std::optional<int64_t> resolved_at;
  int64_t failures = 0;
};

// The event's "count" (1 when absent).
int64_t CountOf(const StoredEvent& event) {
  JsonPtr fields = Parse(event.fields_json);
  const json_t* count = json_object_get(fields.get(), "count");
  return json_is_integer(count) ? json_integer_value(count) : 1;
}

std::string Body(int64_t count) {
  return R"({"error":"boom","count":)" + std::to_string(count) + "}";
}

class ModuleMonitorTest : public ::testing::Test {
 protected:
  // onepctl's --json output for `args`, parsed.
  JsonPtr Cli(OnepStack& stack, std::vector<std::string> args) {
    args.insert(args.begin(), ONEPCTL_PATH);
    args.push_back("--json");
    RunResult r = ::onep::testing::Run(
        args, {{"ONEP_REDIS_URL", stack.redis().url()}, {"ONEP_KEY_PREFIX", "onep:"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Parse(r.out);
  }

  // failures_to_open 3, hits_to_close 2 for acme's web, through onepctl.
  void SetMonitor(OnepStack& stack) {
    JsonPtr app =
        Cli(stack, {"monitor", "acme", "web", "--failures-to-open", "3", "--hits-to-close", "2"});
    ASSERT_EQ(json_integer_value(json_object_get(app.get(), "failures_to_open")), 3);
    ASSERT_EQ(json_integer_value(json_object_get(app.get(), "hits_to_close")), 2);
  }

  // web as `onepctl apps --json` prints it (null when missing).
  JsonPtr App(OnepStack& stack) {
    JsonPtr apps = Cli(stack, {"apps", "--org", "acme"});
    for (std::size_t i = 0; i < json_array_size(apps.get()); ++i) {
      json_t* app = json_array_get(apps.get(), i);
      if (Str(app, "app") == "web") return JsonPtr(json_incref(app));
    }
    ADD_FAILURE() << "no app web: " << JsonDump(apps.get());
    return JsonPtr(json_null());
  }

  // web's incidents, oldest first.
  std::vector<SeenIncident> Incidents(OnepStack& stack) {
    JsonPtr list = Cli(stack, {"incidents", "--org", "acme", "--app", "web", "--limit", "1000"});
    std::vector<SeenIncident> out;
    for (std::size_t i = 0; i < json_array_size(list.get()); ++i) {
      const json_t* item = json_array_get(list.get(), i);
      SeenIncident seen;
      seen.id = Str(item, "id");
      seen.opened_at = Time(item, "opened_at").value_or(0);
      seen.resolved_at = Time(item, "resolved_at");
      seen.failures = json_integer_value(json_object_get(item, "failures"));
      out.push_back(seen);
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  // Waits, bounded, until Redis' clock has passed `ms`: the next event is
  // recorded at a later time than the last, so that "the time of the first
  // failure" and "of the last" differ.
  void WaitPast(OnepStack& stack, int64_t ms) {
    const auto give_up = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < give_up) {
      auto time = stack.redis().Command("", {"TIME"});
      ASSERT_TRUE(time.ok() && time->elements.size() == 2);
      const int64_t now =
          std::stoll(time->elements[0].str) * 1000 + std::stoll(time->elements[1].str) / 1000;
      if (now > ms) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    FAIL() << "Redis' clock did not pass " << ms;
  }

  // Checks the org's stream against the reference applied to its hits and
  // failures in stream order: the flips where the rules put them, naming the
  // incident that the event before them opened or resolved; the incidents
  // (ids, times, failures) and web's state. Returns the model.
  MonitorModel ExpectTheRules(OnepStack& stack) {
    MonitorModel model;
    const std::vector<StoredEvent> events = stack.Events("acme", 100000);
    std::vector<std::string> types;
    std::vector<std::string> fed_ids;  // the stream id of each event fed to the model
    for (const StoredEvent& e : events) {
      types.push_back(e.type);
      if (e.type == "hit" || e.type == "failure") {
        EXPECT_EQ(e.app, "web");
        model.Apply(e.type == "failure", CountOf(e), e.time_ms);
        fed_ids.push_back(e.id);
      }
    }
    EXPECT_EQ(types, model.stream);

    const std::vector<SeenIncident> incidents = Incidents(stack);
    EXPECT_EQ(incidents.size(), model.incidents.size());
    std::map<std::string, SeenIncident> by_id;
    for (const SeenIncident& seen : incidents) by_id[seen.id] = seen;
    for (const auto& expected : model.incidents) {
      const std::string id = "in_" + fed_ids[expected.opened_by];
      auto found = by_id.find(id);
      if (found == by_id.end()) {
        ADD_FAILURE() << "no incident " << id;
        continue;
      }
      EXPECT_EQ(found->second.opened_at, expected.opened_at) << id;
      EXPECT_EQ(found->second.resolved_at, expected.resolved_at) << id;
      EXPECT_EQ(found->second.failures, expected.failures) << id;
    }
    // Each flip names the incident of the event before it.
    std::string last_opened;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (events[i].type != "incident_opened" && events[i].type != "incident_resolved") continue;
      EXPECT_GT(i, 0u);
      if (i == 0) continue;
      JsonPtr fields = Parse(events[i].fields_json);
      const std::string id = Str(fields.get(), "id");
      if (events[i].type == "incident_opened") {
        EXPECT_EQ(events[i - 1].type, "failure");
        EXPECT_EQ(id, "in_" + events[i - 1].id);
        last_opened = id;
      } else {
        EXPECT_EQ(events[i - 1].type, "hit");
        EXPECT_EQ(id, last_opened);
      }
    }

    JsonPtr app = App(stack);
    EXPECT_EQ(Str(app.get(), "state"), model.state());
    if (model.open && !model.incidents.empty()) {
      EXPECT_EQ(Str(app.get(), "open_incident"), "in_" + fed_ids[model.incidents.back().opened_by]);
    } else {
      EXPECT_TRUE(json_is_null(json_object_get(app.get(), "open_incident")));
    }
    return model;
  }
};

// The stored event of a 202's id.
StoredEvent EventOf(OnepStack& stack, const HttpResponse& accepted) {
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  const std::string id = accepted.JsonString("id");
  for (const StoredEvent& e : stack.Events("acme", 100000)) {
    if (e.id == id) return e;
  }
  ADD_FAILURE() << "no event " << id;
  return {};
}

TEST_F(ModuleMonitorTest, TheRulesHoldThroughTheWebhookRoutes) {
  OnepStack stack;
  ASSERT_TRUE(stack.Start());
  const std::string token = stack.Create("acme", "hits", "web").token;
  SetMonitor(stack);
  ASSERT_FALSE(HasFatalFailure());
  // One event; returns it as recorded, once Redis' clock has passed its time.
  auto post = [&](const char* route, int64_t count) {
    const std::string body = std::string(route) == "/onep/hits"
                                 ? R"({"count":)" + std::to_string(count) + "}"
                                 : Body(count);
    StoredEvent e = EventOf(stack, PostJson(stack.port(), route, token, body));
    WaitPast(stack, e.time_ms);
    return e;
  };
  auto fail = [&](int64_t count = 1) { return post("/onep/failures", count); };
  auto hit = [&] { return post("/onep/hits", 1); };

  // Two failures leave it up.
  const StoredEvent first = fail();
  fail();
  EXPECT_EQ(Str(App(stack).get(), "state"), "up");
  EXPECT_TRUE(Incidents(stack).empty());
  // The third opens one incident, at the first failure's time.
  const StoredEvent third = fail();
  std::vector<SeenIncident> incidents = Incidents(stack);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].id, "in_" + third.id);
  EXPECT_EQ(incidents[0].opened_at, first.time_ms);
  EXPECT_NE(incidents[0].opened_at, third.time_ms);
  EXPECT_FALSE(incidents[0].resolved_at.has_value());
  EXPECT_EQ(incidents[0].failures, 3);
  JsonPtr app = App(stack);
  EXPECT_EQ(Str(app.get(), "state"), "down");
  EXPECT_EQ(Str(app.get(), "open_incident"), incidents[0].id);
  // One hit leaves it down; a failure then a hit too.
  hit();
  EXPECT_EQ(Str(App(stack).get(), "state"), "down");
  fail();
  const StoredEvent first_of_two = hit();
  EXPECT_EQ(Str(App(stack).get(), "state"), "down");
  incidents = Incidents(stack);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_FALSE(incidents[0].resolved_at.has_value());
  EXPECT_EQ(incidents[0].failures, 4);
  // That hit and the next, two in a row, resolve it, at the first of them.
  const StoredEvent second_of_two = hit();
  incidents = Incidents(stack);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].resolved_at, std::optional<int64_t>(first_of_two.time_ms));
  EXPECT_NE(first_of_two.time_ms, second_of_two.time_ms);
  EXPECT_EQ(incidents[0].failures, 4);
  EXPECT_EQ(Str(App(stack).get(), "state"), "up");
  // A failure of count 3 opens the next at once.
  const StoredEvent three = fail(3);
  incidents = Incidents(stack);
  ASSERT_EQ(incidents.size(), 2u);
  EXPECT_EQ(incidents[1].id, "in_" + three.id);
  EXPECT_EQ(incidents[1].opened_at, three.time_ms);
  EXPECT_EQ(incidents[1].failures, 3);
  EXPECT_EQ(Str(App(stack).get(), "state"), "down");

  // The stream, flip by flip.
  const std::vector<std::string> expected = {
      "failure", "failure",           "failure", "incident_opened", "hit", "failure", "hit",
      "hit",     "incident_resolved", "failure", "incident_opened"};
  std::vector<std::string> types;
  for (const StoredEvent& e : stack.Events("acme")) types.push_back(e.type);
  EXPECT_EQ(types, expected);
  ExpectTheRules(stack);
  ExpectNoChildCrash(stack.apache());
}

long long Sample(const std::string& metrics, const std::string& name) {
  const std::size_t at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stoll(metrics.substr(at + name.size() + 2));
}

// 64 concurrent hits and failures of one app, in one Apache child: group
// commit records them in shared calls (Redis' writes are paused while they
// arrive, so that they queue), in an order nobody chose; the stream, the
// incidents and the app are what the rules give for that order.
TEST_F(ModuleMonitorTest, SixtyFourConcurrentRequestsGiveWhatTheirRecordedOrderGives) {
  constexpr int kRequests = 64;
  ApacheOptions options;
  options.start_servers = 1;
  options.server_limit = 1;
  options.threads_per_child = kRequests;
  options.server_directives = {"OnepRedisTimeout 10s"};
  options.extra_config =
      "<Location \"/metrics\">\n  SetHandler onep-metrics\n  Require all granted\n</Location>\n";
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  const std::string token = stack.Create("acme", "hits", "web").token;
  SetMonitor(stack);
  ASSERT_FALSE(HasFatalFailure());
  // The child's first request checks the layout and loads the script.
  ASSERT_EQ(PostJson(stack.port(), "/onep/hits", token, R"({"count":1})").status, 202);

  // A hit every third request (every ninth of count 2), failures of count 1
  // to 3 otherwise. The failures weigh more than twice the hits plus one, so
  // that whatever their order some three in a row open an incident.
  struct Sent {
    bool failure;
    int count;
  };
  std::vector<Sent> sent;
  int hits = 0, failure_weight = 0;
  for (int i = 0; i < kRequests; ++i) {
    const bool failure = i % 3 != 0;
    const int count = failure ? (i % 7 == 1 ? 3 : i % 5 == 2 ? 2 : 1) : (i % 9 == 0 ? 2 : 1);
    sent.push_back({failure, count});
    if (failure) failure_weight += count;
    if (!failure) ++hits;
  }
  ASSERT_GT(failure_weight, 2 * (hits + 2));  // the warm-up hit too

  for (auto& master : stack.redis().MasterConnections()) {
    ASSERT_TRUE(master->Command({"CLIENT", "PAUSE", "2000", "WRITE"}).ok());
  }
  std::vector<HttpResponse> responses(kRequests);
  std::vector<std::thread> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.emplace_back([&, i] {
      const std::string count = std::to_string(sent[i].count);
      responses[i] =
          sent[i].failure
              ? PostJson(stack.port(), "/onep/failures", token, Body(sent[i].count))
              : PostJson(stack.port(), "/onep/hits", token, R"({"count":)" + count + "}");
    });
  }
  for (auto& c : clients) c.join();
  for (const auto& r : responses) ASSERT_EQ(r.status, 202) << r.body;

  const std::string metrics = "\n" + Get(stack.port(), "/metrics").body;
  const long long events = Sample(metrics, "onep_redis_batch_size_sum");
  const long long batches = Sample(metrics, "onep_redis_batch_size_count");
  EXPECT_EQ(events, kRequests + 1) << metrics;
  EXPECT_LT(batches, events) << "no call recorded more than one event";
  std::printf("%d concurrent requests in %lld calls\n", kRequests, batches - 1);

  const MonitorModel model = ExpectTheRules(stack);
  EXPECT_EQ(model.events, static_cast<std::size_t>(kRequests + 1));
  EXPECT_GE(model.opened, 1);
  std::printf("%d incidents opened, %d resolved\n", model.opened, model.resolved);
  ExpectNoChildCrash(stack.apache());
}

// Each failure and hit retried with its Idempotency-Key: the retry is a 202
// duplicate of the first, and nothing else changes.
TEST_F(ModuleMonitorTest, RetriesWithAnIdempotencyKeyChangeNothing) {
  OnepStack stack;
  ASSERT_TRUE(stack.Start());
  const std::string token = stack.Create("acme", "hits", "web").token;
  SetMonitor(stack);
  ASSERT_FALSE(HasFatalFailure());
  // failure, hit and count of each.
  const std::vector<std::pair<bool, int>> sequence = {
      {true, 1}, {true, 1},  {true, 1}, {false, 1}, {true, 1}, {false, 1}, {false, 1},
      {true, 3}, {false, 2}, {true, 2}, {false, 1}, {true, 1}, {true, 2}};
  MonitorModel expected;
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    const auto [failure, count] = sequence[i];
    const std::string route = failure ? "/onep/failures" : "/onep/hits";
    const std::string body = failure ? Body(count) : R"({"count":)" + std::to_string(count) + "}";
    const std::string key = "retry-" + std::to_string(i);
    HttpResponse first = PostJson(stack.port(), route, token, body, {{"Idempotency-Key", key}});
    ASSERT_EQ(first.status, 202) << first.body;
    EXPECT_EQ(first.body.find("\"duplicate\""), std::string::npos) << first.body;
    const StoredEvent e = EventOf(stack, first);
    expected.Apply(failure, count, e.time_ms);
    const std::vector<StoredEvent> before = stack.Events("acme");
    // A retry after Redis' clock moved on: a streak it counted would start
    // at another time.
    WaitPast(stack, e.time_ms);
    for (int retry = 0; retry < 2; ++retry) {
      HttpResponse again = PostJson(stack.port(), route, token, body, {{"Idempotency-Key", key}});
      ASSERT_EQ(again.status, 202) << again.body;
      EXPECT_NE(again.body.find("\"duplicate\":true"), std::string::npos) << again.body;
      EXPECT_EQ(again.JsonString("id"), first.JsonString("id"));
    }
    const std::vector<StoredEvent> after = stack.Events("acme");
    ASSERT_EQ(after.size(), before.size()) << "a retry added to the stream, at " << i;
    JsonPtr app = App(stack);
    EXPECT_EQ(Str(app.get(), "state"), expected.state()) << "after event " << i;
  }
  const MonitorModel seen = ExpectTheRules(stack);
  EXPECT_EQ(seen.stream, expected.stream);
  EXPECT_EQ(seen.opened, 3);
  EXPECT_EQ(seen.resolved, 2);
  ExpectNoChildCrash(stack.apache());
}

// INFO replication of `conn` holds `needle`, within 10 s.
::testing::AssertionResult WaitForReplication(RedisConnection& conn, const std::string& needle) {
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  std::string last;
  while (Clock::now() < give_up) {
    auto info = conn.Command({"INFO", "replication"});
    if (info.ok()) last = info->str;
    if (last.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ::testing::AssertionFailure() << "no " << needle << " in " << last;
}

// OnepRedisWait 1 with the one replica cut off: every event gets 503, yet
// is on the master with the flips it caused, right behind it; once the
// replica is back, a retry is a 202 duplicate and flips nothing again.
TEST_F(ModuleMonitorTest, AnOnepRedisWaitRefusalLeavesNoFlipWithoutItsEvent) {
  ONEP_SINGLE_REDIS_ONLY("it starts a replica of the one Redis server");
  ApacheOptions options;
  options.server_directives = {"OnepRedisTimeout 5s", "OnepRedisWait 1 1s"};
  OnepStack stack(options);
  RedisServer replica({"replicaof 127.0.0.1 " + std::to_string(stack.redis().server().port())});
  auto on_replica = replica.Connect();
  ASSERT_TRUE(on_replica);
  ASSERT_TRUE(WaitForReplication(*on_replica, "master_link_status:up"));
  ASSERT_TRUE(WaitForReplication(stack.conn(), "connected_slaves:1"));
  ASSERT_TRUE(stack.Start());
  const std::string token = stack.Create("acme", "hits", "web").token;
  SetMonitor(stack);
  ASSERT_FALSE(HasFatalFailure());
  // With the replica there, a 202.
  ASSERT_EQ(PostJson(stack.port(), "/onep/hits", token, R"({"count":1})").status, 202);

  const ReplicationCut cut = CutReplicationOff(*on_replica);
  ASSERT_TRUE(WaitForReplication(stack.conn(), "connected_slaves:0"));
  // Three failures (the third opens), a hit, a failure, two hits (the second
  // resolves): each a 503, each recorded on the master.
  const std::vector<std::pair<bool, int>> sequence = {{true, 1}, {true, 1},  {true, 1}, {false, 1},
                                                      {true, 1}, {false, 1}, {false, 1}};
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    const auto [failure, count] = sequence[i];
    HttpResponse r = PostJson(stack.port(), failure ? "/onep/failures" : "/onep/hits", token,
                              failure ? Body(count) : R"({"count":1})",
                              {{"Idempotency-Key", "w-" + std::to_string(i)}});
    EXPECT_EQ(r.status, 503) << i << ": " << r.body;
    EXPECT_EQ(r.ErrorCode(), "store_unavailable") << r.body;
  }
  EXPECT_EQ(stack.Events("acme").size(), 1 + sequence.size() + 2);
  const MonitorModel model = ExpectTheRules(stack);
  EXPECT_EQ(model.opened, 1);
  EXPECT_EQ(model.resolved, 1);

  // The replica back: the retry of the failure that opened the incident is a
  // 202 with its first id, and the stream does not change.
  RestoreReplication(*on_replica, cut);
  ASSERT_TRUE(WaitForReplication(*on_replica, "master_link_status:up"));
  ASSERT_TRUE(WaitForReplication(stack.conn(), "state=online"));
  const std::vector<StoredEvent> before = stack.Events("acme");
  ASSERT_GE(before.size(), 5u);
  ASSERT_EQ(before[4].type, "incident_opened");
  HttpResponse retry =
      PostJson(stack.port(), "/onep/failures", token, Body(1), {{"Idempotency-Key", "w-2"}});
  EXPECT_EQ(retry.status, 202) << retry.body;
  EXPECT_NE(retry.body.find("\"duplicate\":true"), std::string::npos) << retry.body;
  EXPECT_EQ(retry.JsonString("id"), before[3].id);
  std::vector<std::string> ids_before, ids_after;
  for (const StoredEvent& e : before) ids_before.push_back(e.id);
  for (const StoredEvent& e : stack.Events("acme")) ids_after.push_back(e.id);
  EXPECT_EQ(ids_after, ids_before);
  ExpectTheRules(stack);
  ExpectNoChildCrash(stack.apache());
}

}  // namespace
}  // namespace onep::testing
