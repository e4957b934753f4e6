// SPDX-License-Identifier: Apache-2.0
// mod_onep's metrics: counters per virtual host, summed across every child
// process, in one anonymous shared memory segment that the parent creates at
// post_config and each child inherits across fork. Children add with atomic
// increments; a scrape (`SetHandler onep-metrics`) or mod_status' page reads
// the same memory: no Redis call, no lock.
//
// The segment lives as long as one configuration generation: a restart
// (graceful or not) starts the counters at zero, which Prometheus reads as a
// counter reset. Children of the previous generation that still finish
// requests keep writing to the previous segment, which stays mapped in them.
//
// Thread-safety: every function here may be called from any thread of a
// child once CreateMetrics has run in the parent.
#ifndef ONEP_MOD_ONEP_METRICS_METRICS_H_
#define ONEP_MOD_ONEP_METRICS_METRICS_H_

#include <chrono>
#include <string>

// clang-format off
#include "httpd.h"
#include "http_config.h"
// clang-format on
#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep::module {

inline constexpr const char* kMetricsHandlerName = "onep-metrics";

// The route label of onep_requests_total. kOther: a path below the mount that
// is no route (404) or a request that failed before its route was known.
enum class MetricRoute { kHits, kFailures, kDeploys, kHealth, kOther };

// The route of a route path ("/hits"), kOther for anything else.
MetricRoute MetricRouteOf(const char* route_path);

// Creates the segment for every server of this configuration and gives each
// server's config its slot. Called by the parent in post_config; on failure
// the module counts nothing (and says so in the error log) but serves.
Status CreateMetrics(apr_pool_t* pconf, server_rec* main_server);

// One answered request of `r`'s server. `code` is the contract's code:
// "accepted", "duplicate", "ok" (health) or the error code of the body.
void CountRequest(const request_rec* r, MetricRoute route, const char* code);

// Why a request was refused without a Redis call although its token is
// well-formed (docs/design.md, "Cheap refusals"): its token was found unknown
// moments ago, its credential is over its rate limit in this second, or its
// client address is over its budget of unknown tokens (the `reason` label of
// onep_refusals_without_redis_total: kRefusalReasons in metrics.cc).
enum class RefusalWithoutRedis { kUnknownToken, kRateLimited, kAddressBudget };

// One such refusal for a request of `r`'s server (CountRequest counts its
// answer too).
void CountRefusalWithoutRedis(const request_rec* r, RefusalWithoutRedis reason);

// The incidents that an event recorded for `r` opened and resolved
// (RecordOutcome::incidents_opened, incidents_resolved).
void CountIncidents(const request_rec* r, int opened, int resolved);

// One silence sweep of `s`'s Redis and key prefix, and the incidents it
// opened (sweep.h).
void CountSweep(const server_rec* s, int64_t opened);

// One Redis round trip made for a request of `r`'s server, and its outcome:
// its latency goes into the histogram, a failure into the errors by kind.
void CountRedisCall(const request_rec* r, std::chrono::steady_clock::duration elapsed,
                    const Status& status);

// Counts the connection pools' events (RedisLog::pool); pools are shared by
// the virtual hosts that use the same Redis, so these are per Apache server.
void CountPoolEvent(RedisPoolEvent event, int n);

// One record call to Redis that carried `events` events (group commit).
void CountBatch(std::size_t events);

// One notification attempt of the deliverer and its outcome: "delivered",
// "retry" or "failed" (onep_notifications_total).
void CountNotification(const std::string& outcome);

// The handler of `SetHandler onep-metrics`: the Prometheus text format.
int MetricsHandler(request_rec* r);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_METRICS_METRICS_H_
