// SPDX-License-Identifier: Apache-2.0
// The silence sweep's cost (docs/benchmarks.md, "Silence sweep"): seeds ORGS
// organizations of APPS applications each, every one with expect_every 1m
// and heard from now, of which DUE (spread over the orgs) were last heard
// from an hour ago, straight into their keys (P{tag}:org, :apps, :appseen,
// :sweep, P sweeporgs) as the monitor script and the record script leave
// them; then runs SilenceSweep::Run ROUNDS times and prints, per sweep, the
// wall time and Redis' CPU (INFO used_cpu_sys + used_cpu_user) and commands.
//
//   onep_bench_sweep_cost REDIS_URL ORGS APPS DUE ROUNDS [stale]
//
// With `stale`, every app's look is due although each was heard from now:
// the worst case of apps that send steadily (each is looked at about once
// per expect_every + grace, finds the app in time and moves its look).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/silence_sweep.h"

namespace {

double InfoValue(const std::string& info, const std::string& name) {
  const auto at = info.find(name + ":");
  if (at == std::string::npos) return 0;
  return std::strtod(info.c_str() + at + name.size() + 1, nullptr);
}

struct RedisCost {
  double cpu_s = 0;
  double commands = 0;
};

RedisCost Cost(onep::RedisClient& redis) {
  auto info = redis.Command("", {"INFO", "all"});
  if (!info.ok()) return {};
  return {InfoValue(info->str, "used_cpu_sys") + InfoValue(info->str, "used_cpu_user"),
          InfoValue(info->str, "total_commands_processed")};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: %s REDIS_URL ORGS APPS DUE ROUNDS [stale]\n", argv[0]);
    return 2;
  }
  auto target = onep::ParseRedisTarget(argv[1]);
  if (!target.ok()) return 2;
  onep::RedisClientOptions options;
  options.timeout = std::chrono::milliseconds(30000);
  auto opened = onep::ConnectRedis(*target, options);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  onep::RedisClient& redis = **opened;
  const long orgs = std::atol(argv[2]), apps = std::atol(argv[3]), due = std::atol(argv[4]);
  const int rounds = std::atoi(argv[5]);
  const bool stale = argc == 7 && std::string(argv[6]) == "stale";
  const onep::KeySpace keys("onep:");
  auto time = redis.Command("", {"TIME"});
  const long long now = std::stoll(time->elements[0].str) * 1000;
  const std::string monitor =
      R"({"state":"up","since":1,"expect_every_ms":60000,"grace_ms":60000})";
  long due_left = due;
  for (long o = 0; o < orgs; ++o) {
    const std::string tag = "b" + std::to_string(o);
    std::vector<std::string> apps_argv = {"HSET", keys.Apps(tag)};
    std::vector<std::string> seen_argv = {"HSET", keys.AppsSeen(tag)};
    std::vector<std::string> sweep_argv = {"ZADD", keys.Sweep(tag)};
    long long org_next = now + 120000;
    for (long a = 0; a < apps; ++a) {
      const std::string app = "app" + std::to_string(a);
      // The due apps: the first app of the first DUE orgs.
      const bool silent = a == 0 && due_left > 0;
      if (silent) --due_left;
      const long long seen = silent ? now - 3600000 : now;
      apps_argv.insert(apps_argv.end(), {app, monitor});
      seen_argv.insert(seen_argv.end(), {app, std::to_string(seen)});
      const long long look = stale ? now - 1 : seen + 120000;
      sweep_argv.insert(sweep_argv.end(), {std::to_string(look), app});
      org_next = std::min(org_next, look);
    }
    const std::string slot = onep::KeySpace::SlotKey(tag);
    for (const auto& argv : {std::vector<std::string>{"SET", keys.OrgOwner(tag), "bench" + tag},
                             apps_argv, seen_argv, sweep_argv}) {
      if (!redis.Command(slot, argv).ok()) return 1;
    }
    if (!redis.Command(keys.SweepOrgs(), {"ZADD", keys.SweepOrgs(), std::to_string(org_next), tag})
             .ok()) {
      return 1;
    }
  }
  const onep::SilenceSweep sweep(keys, onep::EventRetention());
  for (int round = 0; round < rounds; ++round) {
    const RedisCost before = Cost(redis);
    const auto start = std::chrono::steady_clock::now();
    auto report = sweep.Run(redis);
    const double wall_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const RedisCost after = Cost(redis);
    if (!report.ok()) {
      std::fprintf(stderr, "%s\n", report.status().ToString().c_str());
      return 1;
    }
    // The INFO of `after` counts as one command.
    std::printf(
        "sweep %d: %zu orgs looked at, %lld opened, wall %.2f ms, Redis CPU %.2f ms, "
        "%.0f commands\n",
        round + 1, report->orgs, static_cast<long long>(report->opened), wall_ms,
        (after.cpu_s - before.cpu_s) * 1000, after.commands - before.commands - 1);
  }
  return 0;
}
