// SPDX-License-Identifier: Apache-2.0
// What one accepted event costs Redis, by the number of events per script
// call (group commit's batch size), measured in Redis itself: its own CPU
// time (INFO cpu) and the EVALSHA time it reports (INFO commandstats), for
// EVENTS events sent as calls of N events each, one call at a time.
//
//   onep_bench_script_cost REDIS_URL EVENTS N [N ...]
//
// Prints one line per N: calls, Redis CPU us per event (user + system,
// its network I/O included), EVALSHA us per call and per event.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "onep/clock.h"
#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/redis_client.h"
#include "onep/redis_credential_store.h"
#include "onep/token.h"

namespace {

// A field of an INFO section ("used_cpu_user:0.123"), as a number.
double InfoField(onep::RedisClient& redis, const std::string& section, const std::string& field) {
  auto replies = redis.OnEveryMaster({"INFO", section});
  if (!replies.ok() || replies->empty()) return -1;
  const std::string& text = replies->front().str;
  const std::string needle = field + ":";
  auto at = text.find(needle);
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + needle.size(), nullptr);
}

// EVALSHA's calls and usec from INFO commandstats.
void Evalsha(onep::RedisClient& redis, double* calls, double* usec) {
  *calls = *usec = 0;
  auto replies = redis.OnEveryMaster({"INFO", "commandstats"});
  if (!replies.ok() || replies->empty()) return;
  const std::string& text = replies->front().str;
  auto at = text.find("cmdstat_evalsha:calls=");
  if (at == std::string::npos) return;
  *calls = std::strtod(text.c_str() + at + 22, nullptr);
  auto u = text.find("usec=", at);
  if (u != std::string::npos) *usec = std::strtod(text.c_str() + u + 5, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s REDIS_URL EVENTS N [N ...]\n", argv[0]);
    return 2;
  }
  auto target = onep::ParseRedisTarget(argv[1]);
  if (!target.ok()) {
    std::fprintf(stderr, "%s\n", target.status().ToString().c_str());
    return 2;
  }
  const long events = std::atol(argv[2]);
  onep::RedisClientOptions options;
  options.timeout = std::chrono::milliseconds(5000);
  options.preload = onep::EventStore::Scripts();
  auto conn = onep::ConnectRedis(*target, options);
  if (!conn.ok()) {
    std::fprintf(stderr, "%s\n", conn.status().ToString().c_str());
    return 1;
  }
  onep::RedisClient& redis = **conn;
  onep::KeySpace keys("onep:");
  onep::RedisCredentialStore store(redis, keys);
  auto issued = onep::CredentialService(store, "bench").Create({"bench", "hits", "cost", "web", 0});
  if (!issued.ok()) {
    std::fprintf(stderr, "%s\n", issued.status().ToString().c_str());
    return 1;
  }
  onep::EventStore store_events(keys);
  auto event = onep::ParseEvent(onep::EventType::kHit, R"({"app":"web"})", onep::NowMs());
  onep::RecordRequest request;
  request.token_hash = onep::TokenHash(issued->token);
  request.routing_tag = std::string(onep::TokenRoutingTag(issued->token));
  request.event = *event;
  std::printf("%8s %8s %16s %16s %16s\n", "events/call", "calls", "redis cpu us/ev",
              "evalsha us/call", "evalsha us/ev");
  for (int a = 3; a < argc; ++a) {
    const long n = std::atol(argv[a]);
    if (n < 1 || n > 64) {
      std::fprintf(stderr, "N must be 1 to 64, not %s\n", argv[a]);
      return 2;
    }
    const std::vector<const onep::RecordRequest*> batch(static_cast<std::size_t>(n), &request);
    const long calls = events / n;
    double calls0, usec0, calls1, usec1;
    Evalsha(redis, &calls0, &usec0);
    const double cpu0 =
        InfoField(redis, "cpu", "used_cpu_user") + InfoField(redis, "cpu", "used_cpu_sys");
    for (long c = 0; c < calls; ++c) {
      for (const auto& out : store_events.RecordBatch(redis, batch)) {
        if (!out.ok() || out->kind != onep::RecordOutcome::Kind::kAccepted) {
          std::fprintf(stderr, "record failed: %s\n",
                       out.ok() ? "not accepted" : out.status().ToString().c_str());
          return 1;
        }
      }
    }
    const double cpu1 =
        InfoField(redis, "cpu", "used_cpu_user") + InfoField(redis, "cpu", "used_cpu_sys");
    Evalsha(redis, &calls1, &usec1);
    const double recorded = static_cast<double>(calls * n);
    std::printf("%11ld %8ld %16.2f %16.2f %16.2f\n", n, calls, (cpu1 - cpu0) * 1e6 / recorded,
                (usec1 - usec0) / (calls1 - calls0), (usec1 - usec0) / recorded);
  }
  return 0;
}
