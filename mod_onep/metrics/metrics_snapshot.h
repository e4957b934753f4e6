// SPDX-License-Identifier: Apache-2.0
// What mod_onep's two views of its counters share: the Prometheus text
// (metrics.cc) and the server-status section (metrics_status.cc) both read a
// snapshot of the shared segment. Internal to mod_onep.
#ifndef ONEP_MOD_ONEP_METRICS_METRICS_SNAPSHOT_H_
#define ONEP_MOD_ONEP_METRICS_METRICS_SNAPSHOT_H_

#include <cstdint>
#include <map>
#include <string>

namespace onep::module {

// The codes of onep_requests_total: the contract's error codes, plus
// "accepted" / "duplicate" (202) and "ok" (a healthy /health).
inline constexpr const char* kCodes[] = {
    "accepted",          "duplicate",          "ok",
    "missing_token",     "invalid_token",      "forbidden",
    "not_found",         "method_not_allowed", "unsupported_media_type",
    "payload_too_large", "request_timeout",    "invalid_json",
    "invalid_event",     "rate_limited",       "store_unavailable",
    "internal_error",    "unreadable_body",
};
inline constexpr int kNumCodes = sizeof(kCodes) / sizeof(kCodes[0]);
inline constexpr const char* kRoutes[] = {"hits", "failures", "deploys", "health", "other"};
inline constexpr int kNumRoutes = sizeof(kRoutes) / sizeof(kRoutes[0]);

// Upper bounds of the latency histogram, in seconds (Prometheus' `le`): a
// local Redis answers in well under a millisecond, a timeout is 500 ms.
inline constexpr double kBuckets[] = {0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                      0.025,   0.05,   0.1,   0.25,   0.5,   1.0};
inline constexpr int kNumBuckets = sizeof(kBuckets) / sizeof(kBuckets[0]);

// The kinds of Redis errors the metrics count. "connect": no connection could be opened;
// "timeout": a command got no answer in time; "connection": the connection
// broke or Redis answered that it cannot serve now (LOADING, BUSY, a cluster
// without a master); "layout": the keyspace needs onepctl migrate;
// "internal": an unexpected reply.
// The value of onep_redis_errors_total's `kind` label: kRedisErrorLabels[kind].
enum class RedisErrorLabel { kConnect, kTimeout, kConnection, kLayout, kInternal };
inline constexpr const char* kRedisErrorLabels[] = {"connect", "timeout", "connection", "layout",
                                                    "internal"};
inline constexpr int kNumRedisErrorLabels = 5;

// The `reason` label of onep_refusals_without_redis_total, by
// RefusalWithoutRedis (metrics.h).
inline constexpr const char* kRefusalReasons[] = {"unknown_token", "rate_limited",
                                                  "address_budget"};
inline constexpr int kNumRefusalReasons = 3;

struct ServerCounters;  // metrics.cc: one virtual host's counters in the segment

// A snapshot of one server's counters (or the sum of several with one label).
struct Totals {
  uint64_t requests[kNumRoutes][kNumCodes] = {};
  uint64_t latency[kNumBuckets + 1] = {};
  uint64_t latency_sum_ns = 0;
  uint64_t redis_errors[kNumRedisErrorLabels] = {};
  uint64_t refusals_without_redis[kNumRefusalReasons] = {};
  uint64_t incidents_opened = 0;
  uint64_t incidents_resolved = 0;
  uint64_t sweeps = 0;

  void Add(const ServerCounters& c);
  uint64_t LatencyCount() const {
    uint64_t n = 0;
    for (uint64_t b : latency) n += b;
    return n;
  }
};

// Every server's totals by label, in label order; virtual hosts that share a
// label are summed so that no series appears twice.
std::map<std::string, Totals> Snapshot();

// Redis connections open in the pools of all children.
uint64_t RedisConnectionsOpen();

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_METRICS_METRICS_SNAPSHOT_H_
