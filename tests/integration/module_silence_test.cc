// SPDX-License-Identifier: Apache-2.0
// Silence through the real module and its sweep (docs/design.md "Silence"):
// with expect_every 2s, grace 1s and OnepSweepInterval 1s, an app that stops
// sending reads late after 2 s and down, with a silence incident opened at
// its last event + 2 s, after 3 s; its next hit resolves it; a paused app
// and an app with expect_every off stay quiet; two Apache servers sweeping
// one Redis open one incident per app; a timed pause ends by itself and the
// audit trail shows it. Waits are bounded polls, never fixed sleeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "onep/json.h"
#include "onep/parse.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/redis_server.h"
#include "support/test_redis.h"

namespace onep::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kMetricsLocation =
    "<Location \"/metrics\">\n  SetHandler onep-metrics\n  Require all granted\n</Location>\n";

ApacheOptions SweepOptions() {
  ApacheOptions options;
  options.server_directives = {"OnepSweepInterval 1s"};
  options.extra_config = kMetricsLocation;
  return options;
}

JsonPtr Parse(const std::string& text) {
  JsonPtr value(json_loads(text.c_str(), 0, nullptr));
  EXPECT_TRUE(value) << text;
  return value;
}

std::string Str(const json_t* object, const char* key) {
  const char* value = json_string_value(json_object_get(object, key));
  return value ? value : "";
}

std::optional<int64_t> Time(const json_t* object, const char* key) {
  const json_t* value = json_object_get(object, key);
  if (!json_is_string(value)) return std::nullopt;
  auto ms = ParseRfc3339Ms(json_string_value(value));
  return ms.ok() ? std::optional<int64_t>(*ms) : std::nullopt;
}

// The sum of the samples of the metric `name` at `port` (-1: none).
long long Metric(int port, const std::string& name) {
  HttpResponse r = Get(port, "/metrics");
  std::istringstream lines(r.body);
  long long sum = -1;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    sum = (sum < 0 ? 0 : sum) + std::stoll(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

class ModuleSilenceTest : public ::testing::Test {
 protected:
  JsonPtr Cli(OnepStack& stack, std::vector<std::string> args) {
    args.insert(args.begin(), ONEPCTL_PATH);
    args.push_back("--json");
    RunResult r = ::onep::testing::Run(
        args, {{"ONEP_REDIS_URL", stack.redis().url()}, {"ONEP_KEY_PREFIX", "onep:"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Parse(r.out);
  }

  JsonPtr App(OnepStack& stack, const std::string& app) {
    return Cli(stack, {"monitor", "acme", app});
  }

  JsonPtr Incidents(OnepStack& stack, const std::string& app) {
    return Cli(stack, {"incidents", "--org", "acme", "--app", app});
  }

  int64_t RedisNow(OnepStack& stack) {
    auto time = stack.redis().Command("", {"TIME"});
    EXPECT_TRUE(time.ok() && time->elements.size() == 2);
    if (!time.ok() || time->elements.size() != 2) return 0;
    return std::stoll(time->elements[0].str) * 1000 + std::stoll(time->elements[1].str) / 1000;
  }

  // Polls `done` every 50 ms for up to `bound`.
  static bool WaitFor(const std::function<bool()>& done, std::chrono::seconds bound) {
    const auto give_up = Clock::now() + bound;
    while (Clock::now() < give_up) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  }

  // Waits until `port`'s server has swept twice more after Redis' clock
  // passed `ms`: by then a sweep has looked at every app due at `ms`.
  void WaitForTwoSweepsAfter(OnepStack& stack, int port, int64_t ms) {
    ASSERT_TRUE(WaitFor([&] { return RedisNow(stack) > ms; }, std::chrono::seconds(10)));
    const long long before = Metric(port, "onep_sweeps_total");
    ASSERT_GE(before, 0);
    ASSERT_TRUE(WaitFor([&] { return Metric(port, "onep_sweeps_total") >= before + 2; },
                        std::chrono::seconds(15)))
        << "the sweep did not run twice";
  }

  // A hit of `app` with `token`; returns its time (Redis' clock, Unix ms).
  int64_t Hit(OnepStack& stack, const std::string& token, const std::string& app) {
    HttpResponse r = PostJson(stack.port(), "/onep/hits", token, R"({"app":")" + app + R"("})");
    EXPECT_EQ(r.status, 202) << r.body;
    const std::string id = r.JsonString("id");
    for (const StoredEvent& e : stack.Events("acme", 100000)) {
      if (e.id == id) return e.time_ms;
    }
    ADD_FAILURE() << "no event " << id;
    return 0;
  }
};

TEST_F(ModuleSilenceTest, ASilentAppIsLateThenDownAndItsNextHitResolves) {
  OnepStack stack(SweepOptions());
  ASSERT_TRUE(stack.Start());
  const std::string token = stack.Create("acme", "hits", "web").token;
  JsonPtr set = Cli(stack, {"monitor", "acme", "web", "--expect-every", "2s", "--grace", "1s"});
  ASSERT_EQ(Str(set.get(), "expect_every"), "2s");
  ASSERT_EQ(Str(set.get(), "grace"), "1s");
  const int64_t last = Hit(stack, token, "web");
  EXPECT_EQ(Str(App(stack, "web").get(), "state"), "up");

  // Late once 2 s have passed, since the moment silence began.
  JsonPtr app;
  ASSERT_TRUE(WaitFor(
      [&] {
        app = App(stack, "web");
        return Str(app.get(), "state") != "up";
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(Str(app.get(), "state"), "late");
  EXPECT_EQ(Time(app.get(), "since"), last + 2000);
  EXPECT_TRUE(json_is_null(json_object_get(app.get(), "open_incident")));

  // Down with a silence incident once the grace has passed too.
  ASSERT_TRUE(WaitFor([&] { return Str(App(stack, "web").get(), "state") == "down"; },
                      std::chrono::seconds(10)));
  JsonPtr incidents = Incidents(stack, "web");
  ASSERT_EQ(json_array_size(incidents.get()), 1u);
  const json_t* incident = json_array_get(incidents.get(), 0);
  EXPECT_EQ(Str(incident, "cause"), "silence");
  EXPECT_EQ(Time(incident, "opened_at"), last + 2000);
  EXPECT_GE(Time(incident, "detected_at").value_or(0), last + 3000);
  EXPECT_TRUE(json_is_null(json_object_get(incident, "resolved_at")));
  const std::string id = Str(incident, "id");
  // The flip is in the stream, after the last hit, naming the incident.
  std::vector<StoredEvent> events = stack.Events("acme");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "incident_opened");
  EXPECT_EQ("in_" + events.back().id, id);
  EXPECT_EQ(Metric(stack.port(), "onep_incidents_opened_total"), 1);

  // The next hit resolves it.
  const int64_t resolving = Hit(stack, token, "web");
  incidents = Incidents(stack, "web");
  ASSERT_EQ(json_array_size(incidents.get()), 1u);
  EXPECT_EQ(Time(json_array_get(incidents.get(), 0), "resolved_at"), resolving);
  EXPECT_EQ(Str(App(stack, "web").get(), "state"), "up");
  events = stack.Events("acme");
  EXPECT_EQ(events.back().type, "incident_resolved");
}

TEST_F(ModuleSilenceTest, APausedAppAndOneWithExpectEveryOffStayQuiet) {
  OnepStack stack(SweepOptions());
  ASSERT_TRUE(stack.Start());
  const std::string token = stack.Create("acme", "hits").token;
  // An app exists once an event names it.
  const int64_t last = std::max(Hit(stack, token, "paused"), Hit(stack, token, "off"));
  Cli(stack, {"monitor", "acme", "paused", "--expect-every", "2s", "--grace", "1s", "--pause"});
  Cli(stack, {"monitor", "acme", "off", "--expect-every", "2s", "--grace", "1s"});
  Cli(stack, {"monitor", "acme", "off", "--expect-every", "off"});
  WaitForTwoSweepsAfter(stack, stack.port(), last + 3000);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(json_array_size(Incidents(stack, "paused").get()), 0u);
  EXPECT_EQ(json_array_size(Incidents(stack, "off").get()), 0u);
  EXPECT_EQ(Str(App(stack, "paused").get(), "state"), "paused");
  EXPECT_EQ(Str(App(stack, "off").get(), "state"), "up");
}

TEST_F(ModuleSilenceTest, TwoServersSweepingOneRedisOpenOneIncidentPerApp) {
  OnepStack stack(SweepOptions());
  ASSERT_TRUE(stack.Start());
  ApacheOptions second_options = SweepOptions();
  second_options.server_directives.push_back("OnepRedis " + stack.redis().url());
  second_options.server_directives.push_back("OnepKeyPrefix onep:");
  ApacheServer second(second_options);
  ASSERT_TRUE(second.Start());
  const std::string token = stack.Create("acme", "hits").token;
  constexpr int kApps = 20;
  int64_t last = 0;
  for (int i = 0; i < kApps; ++i) {
    const std::string app = "app" + std::to_string(i);
    last = std::max(last, Hit(stack, token, app));
    Cli(stack, {"monitor", "acme", app, "--expect-every", "2s", "--grace", "1s"});
  }
  // Every app's silence is due by then, and both servers have swept twice.
  WaitForTwoSweepsAfter(stack, second.port(), last + 3000 + 2000);
  WaitForTwoSweepsAfter(stack, stack.port(), RedisNow(stack));
  ASSERT_FALSE(HasFatalFailure());
  JsonPtr all = Cli(stack, {"incidents", "--org", "acme", "--limit", "1000"});
  EXPECT_EQ(json_array_size(all.get()), static_cast<std::size_t>(kApps));
  for (int i = 0; i < kApps; ++i) {
    EXPECT_EQ(json_array_size(Incidents(stack, "app" + std::to_string(i)).get()), 1u) << i;
  }
  int flips = 0;
  for (const StoredEvent& e : stack.Events("acme", 100000)) flips += e.type == "incident_opened";
  EXPECT_EQ(flips, kApps);
  EXPECT_EQ(Metric(stack.port(), "onep_incidents_opened_total") +
                Metric(second.port(), "onep_incidents_opened_total"),
            kApps);
}

TEST_F(ModuleSilenceTest, ATimedPauseEndsByItselfAndTheAuditShowsIt) {
  OnepStack stack(SweepOptions());
  ASSERT_TRUE(stack.Start());
  const std::string token = stack.Create("acme", "hits", "web").token;
  Hit(stack, token, "web");
  JsonPtr paused = Cli(stack, {"monitor", "acme", "web", "--pause", "2s"});
  EXPECT_TRUE(json_is_true(json_object_get(paused.get(), "paused")));
  EXPECT_EQ(Str(paused.get(), "state"), "paused");
  ASSERT_TRUE(Time(paused.get(), "paused_until").has_value());
  const int64_t until = *Time(paused.get(), "paused_until");
  // Not paused once its time is up, and the sweep writes the resumption.
  auto resumed_by_onep = [&] {
    JsonPtr audit = Cli(stack, {"audit", "--org", "acme"});
    for (std::size_t i = 0; i < json_array_size(audit.get()); ++i) {
      const json_t* entry = json_array_get(audit.get(), i);
      const json_t* changes = json_object_get(entry, "changes");
      if (Str(entry, "action") == "monitor" && Str(entry, "actor") == "onep" &&
          json_is_false(json_object_get(changes, "paused"))) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(WaitFor(resumed_by_onep, std::chrono::seconds(15)));
  EXPECT_GE(RedisNow(stack), until);
  JsonPtr app = App(stack, "web");
  EXPECT_FALSE(json_is_true(json_object_get(app.get(), "paused")));
  EXPECT_EQ(Str(app.get(), "state"), "up");
}

}  // namespace
}  // namespace onep::testing
