// SPDX-License-Identifier: Apache-2.0
// Fills an organization for the insights benchmark (bench/insights-scale)
// through the real record script: EVENTS hits and failures over APPS
// applications, of which INCIDENTS failures each open an incident that the
// next hit of its app resolves, and DEPLOYS deploy reports (with deploy_id
// and committed_at), recorded 64 events per script call, 16 calls per round
// trip (EventStore::RecordBatches).
//
//   onep_bench_insights_seed REDIS_URL ORG EVENTS APPS INCIDENTS DEPLOYS
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "onep/clock.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/redis_client.h"
#include "onep/redis_credential_store.h"
#include "onep/token.h"

namespace {

constexpr std::size_t kPerCall = 64;
constexpr std::size_t kCallsPerTrip = 16;

int Fail(const onep::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s REDIS_URL ORG EVENTS APPS INCIDENTS DEPLOYS\n", argv[0]);
    return 2;
  }
  auto target = onep::ParseRedisTarget(argv[1]);
  if (!target.ok()) return Fail(target.status());
  const std::string org = argv[2];
  const long events = std::atol(argv[3]);
  const long apps = std::atol(argv[4]);
  const long incidents = std::atol(argv[5]);
  const long deploys = std::atol(argv[6]);
  onep::RedisClientOptions options;
  options.timeout = std::chrono::milliseconds(30000);
  auto conn = onep::ConnectRedis(*target, options);
  if (!conn.ok()) return Fail(conn.status());
  onep::RedisClient& redis = **conn;
  onep::KeySpace keys("onep:");
  onep::RedisCredentialStore store(redis, keys);
  onep::CredentialService service(store, "bench");
  auto hits = service.Create({org, "hits", "bench hits", "", 0});
  if (!hits.ok()) return Fail(hits.status());
  std::vector<std::string> deploy_tokens;
  for (long a = 0; a < apps; ++a) {
    auto issued = service.Create(
        {org, "deploy", "bench deploys " + std::to_string(a), "app-" + std::to_string(a), 0});
    if (!issued.ok()) return Fail(issued.status());
    deploy_tokens.push_back(issued->token);
  }
  const std::string tag(onep::TokenRoutingTag(hits->token));
  const std::string hits_hash = onep::TokenHash(hits->token);
  const int64_t now = onep::NowMs();
  const std::string committed = onep::FormatRfc3339Ms(now - 3600 * 1000);

  // Event i: every (events / incidents)-th is a failure (opening an incident
  // on its app, which that app's next hit resolves), every
  // (events / deploys)-th a deploy, the others hits.
  const long failure_every = incidents > 0 ? events / incidents : 0;
  const long deploy_every = deploys > 0 ? events / deploys : 0;
  onep::EventStore recorder(keys);
  std::vector<onep::RecordRequest> requests;
  requests.reserve(kPerCall * kCallsPerTrip);
  long recorded = 0;
  long refused = 0;
  auto flush = [&]() -> bool {
    std::vector<std::vector<const onep::RecordRequest*>> batches;
    for (std::size_t first = 0; first < requests.size(); first += kPerCall) {
      std::vector<const onep::RecordRequest*> batch;
      for (std::size_t i = first; i < requests.size() && i < first + kPerCall; ++i) {
        batch.push_back(&requests[i]);
      }
      batches.push_back(std::move(batch));
    }
    for (const auto& outcomes : recorder.RecordBatches(redis, batches)) {
      for (const auto& outcome : outcomes) {
        if (!outcome.ok()) {
          Fail(outcome.status());
          return false;
        }
        if (outcome->kind == onep::RecordOutcome::Kind::kAccepted) {
          ++recorded;
        } else {
          ++refused;
        }
      }
    }
    requests.clear();
    return true;
  };
  for (long i = 0; i < events; ++i) {
    const long app = i % apps;
    onep::EventType type = onep::EventType::kHit;
    std::string body = "{\"app\":\"app-" + std::to_string(app) + "\"}";
    std::string token_hash = hits_hash;
    if (deploy_every > 0 && i % deploy_every == deploy_every - 1) {
      type = onep::EventType::kDeploy;
      body = "{\"version\":\"1." + std::to_string(i) + "\",\"deploy_id\":\"r-" + std::to_string(i) +
             "\",\"committed_at\":\"" + committed + "\"}";
      token_hash = onep::TokenHash(deploy_tokens[app]);
    } else if (failure_every > 0 && i % failure_every == 0) {
      type = onep::EventType::kFailure;
      body = "{\"app\":\"app-" + std::to_string(app) + "\",\"error\":\"bench\"}";
    }
    auto event = onep::ParseEvent(type, body, now);
    if (!event.ok()) return Fail(event.status());
    onep::RecordRequest request;
    request.token_hash = token_hash;
    request.routing_tag = tag;
    request.event = std::move(event).value();
    requests.push_back(std::move(request));
    if (requests.size() == kPerCall * kCallsPerTrip && !flush()) return 1;
  }
  if (!requests.empty() && !flush()) return 1;
  std::printf("recorded %ld events (%ld refused)\n", recorded, refused);
  return 0;
}
