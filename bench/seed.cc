// SPDX-License-Identifier: Apache-2.0
// Fills a Redis with credentials and events through the core (the same code
// onepctl and mod_onep run), for the CLI-at-scale benchmark.
//
//   onep_bench_seed REDIS_URL ORG CREDENTIALS EVENTS APPS
//
// Creates CREDENTIALS hits credentials in ORG (unbound), then records EVENTS
// hits and failures spread over APPS applications with the first credential.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "onep/clock.h"
#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/redis_client.h"
#include "onep/redis_credential_store.h"
#include "onep/token.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s REDIS_URL ORG CREDENTIALS EVENTS APPS\n", argv[0]);
    return 2;
  }
  auto target = onep::ParseRedisTarget(argv[1]);
  if (!target.ok()) {
    std::fprintf(stderr, "%s\n", target.status().ToString().c_str());
    return 2;
  }
  const std::string org = argv[2];
  const long credentials = std::atol(argv[3]);
  const long events = std::atol(argv[4]);
  const long apps = std::atol(argv[5]);
  onep::RedisClientOptions options;
  options.timeout = std::chrono::milliseconds(5000);
  auto conn = onep::ConnectRedis(*target, options);
  if (!conn.ok()) {
    std::fprintf(stderr, "%s\n", conn.status().ToString().c_str());
    return 1;
  }
  onep::KeySpace keys("onep:");
  onep::RedisCredentialStore store(**conn, keys);
  onep::CredentialService service(store, "bench");
  std::string first_token;
  for (long i = 0; i < credentials; ++i) {
    auto issued = service.Create({org, "hits", "bench credential " + std::to_string(i), "", 0});
    if (!issued.ok()) {
      std::fprintf(stderr, "%s\n", issued.status().ToString().c_str());
      return 1;
    }
    if (i == 0) first_token = issued->token;
  }
  onep::EventStore store_events(keys);
  const std::string hash = onep::TokenHash(first_token);
  for (long i = 0; i < events; ++i) {
    const bool failure = i % 10 == 0;
    std::string body = "{\"app\":\"app-" + std::to_string(i % apps) + "\"}";
    auto event = onep::ParseEvent(failure ? onep::EventType::kFailure : onep::EventType::kHit, body,
                                  onep::NowMs());
    onep::RecordRequest request;
    request.token_hash = hash;
    request.routing_tag = std::string(onep::TokenRoutingTag(first_token));
    request.event = *event;
    auto out = store_events.Record(**conn, request);
    if (!out.ok() || out->kind != onep::RecordOutcome::Kind::kAccepted) {
      std::fprintf(stderr, "record failed\n");
      return 1;
    }
  }
  std::printf("seeded org %s: %ld credentials, %ld events over %ld apps\n", org.c_str(),
              credentials, events, apps);
  return 0;
}
