// SPDX-License-Identifier: Apache-2.0
#include "metrics/metrics.h"

#include <apr_shm.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "metrics/metrics_snapshot.h"
#include "mod_onep.h"
#include "mod_status.h"

APLOG_USE_MODULE(onep);

namespace onep::module {

using Counter = std::atomic<uint64_t>;
static_assert(Counter::is_always_lock_free, "counters in shared memory must be lock-free");

// One virtual host's counters, in the shared segment.
struct ServerCounters {
  Counter requests[kNumRoutes][kNumCodes];
  Counter latency[kNumBuckets + 1];  // per bucket, not cumulative; the last is above kBuckets
  Counter latency_sum_ns;
  Counter redis_errors[kNumRedisErrorLabels];
  Counter refusals_without_redis[kNumRefusalReasons];
  Counter incidents_opened;
  Counter incidents_resolved;
  Counter sweeps;
};

void Totals::Add(const ServerCounters& c) {
  for (int route = 0; route < kNumRoutes; ++route) {
    for (int code = 0; code < kNumCodes; ++code) {
      requests[route][code] += c.requests[route][code].load(std::memory_order_relaxed);
    }
  }
  for (int b = 0; b <= kNumBuckets; ++b) latency[b] += c.latency[b].load(std::memory_order_relaxed);
  latency_sum_ns += c.latency_sum_ns.load(std::memory_order_relaxed);
  for (int k = 0; k < kNumRedisErrorLabels; ++k) {
    redis_errors[k] += c.redis_errors[k].load(std::memory_order_relaxed);
  }
  for (int k = 0; k < kNumRefusalReasons; ++k) {
    refusals_without_redis[k] += c.refusals_without_redis[k].load(std::memory_order_relaxed);
  }
  incidents_opened += c.incidents_opened.load(std::memory_order_relaxed);
  incidents_resolved += c.incidents_resolved.load(std::memory_order_relaxed);
  sweeps += c.sweeps.load(std::memory_order_relaxed);
}

namespace {

// The outcome label of onep_notifications_total.
constexpr const char* kNotifyOutcomes[3] = {"delivered", "retry", "failed"};

// Upper bounds of the batch size histogram (events per record call).
constexpr int kBatchBuckets[] = {1, 2, 4, 8, 16, 32, 64};
constexpr int kNumBatchBuckets = sizeof(kBatchBuckets) / sizeof(kBatchBuckets[0]);

// The shared segment: a SegmentHeader, then, from kServersOffset on, one
// ServerCounters per server (`servers` of them). Each object is constructed
// by placement-new in CreateMetrics, and addressed from the segment's base:
// the counters are not an array member of the header (indexing a `[1]`
// member past its first element is undefined behaviour).
struct SegmentHeader {
  Counter pool_opened, pool_closed, pool_connect_failed;
  Counter batches[kNumBatchBuckets + 1];  // per bucket, not cumulative
  Counter batched_events;
  // Notification attempts by outcome (kNotifyOutcomes), all children.
  Counter notifications[3];
  int servers;
};

constexpr std::size_t kServersOffset = (sizeof(SegmentHeader) + alignof(ServerCounters) - 1) /
                                       alignof(ServerCounters) * alignof(ServerCounters);
constexpr std::size_t kSegmentAlign = alignof(SegmentHeader) > alignof(ServerCounters)
                                          ? alignof(SegmentHeader)
                                          : alignof(ServerCounters);

// Where server `index`'s counters start, from the segment's base; the
// segment's size for `index` servers.
constexpr std::size_t ServerOffset(int index) {
  return kServersOffset + static_cast<std::size_t>(index) * sizeof(ServerCounters);
}

// Written once by the parent in post_config, before any child exists; read
// only afterwards (as HandlerMounts' array): the segment's (aligned) base,
// and the header constructed there.
unsigned char* g_base = nullptr;
SegmentHeader* g_segment = nullptr;

// The counters of server `index` (0-based, below g_segment->servers), as
// CreateMetrics constructed them.
ServerCounters* ServerAt(int index) {
  return std::launder(reinterpret_cast<ServerCounters*>(g_base + ServerOffset(index)));
}

ServerCounters* CountersOf(const server_rec* s) {
  if (g_segment == nullptr || s == nullptr) return nullptr;
  const int slot = GetServerConfig(s)->metrics_slot;
  if (slot < 1 || slot > g_segment->servers) return nullptr;
  return ServerAt(slot - 1);
}

int CodeIndex(const char* code) {
  for (int i = 0; i < kNumCodes; ++i) {
    if (strcmp(kCodes[i], code) == 0) return i;
  }
  return -1;
}

RedisErrorLabel ErrorLabelOf(const Status& status) {
  switch (status.code()) {
    case Code::kFailedPrecondition:
      return RedisErrorLabel::kLayout;
    case Code::kUnavailable:
      break;
    default:
      return RedisErrorLabel::kInternal;
  }
  // Core says "unavailable" for all of these; the Redis layer says which.
  switch (status.redis_failure()) {
    case RedisFailure::kCannotConnect:
      return RedisErrorLabel::kConnect;
    case RedisFailure::kTimedOut:
      return RedisErrorLabel::kTimeout;
    default:
      return RedisErrorLabel::kConnection;
  }
}

// "host:port" of a server, the `server` label.
std::string ServerLabel(const server_rec* s) {
  apr_port_t port = s->port;
  if (port == 0 && s->addrs != nullptr) port = s->addrs->host_port;
  return std::string(s->server_hostname != nullptr ? s->server_hostname : "") + ":" +
         std::to_string(port);
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string LabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void Family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

// A histogram's samples: `counts` per bucket (not cumulative; the last one
// above every bound), `labels` ("k=\"v\"," or "") before le.
void Histogram(std::string& out, const std::string& name, const std::string& labels,
               const std::vector<std::string>& bounds, const std::vector<uint64_t>& counts,
               const std::string& sum) {
  uint64_t cumulative = 0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    cumulative += counts[b];
    const std::string le = b < bounds.size() ? bounds[b] : "+Inf";
    out += name + "_bucket{" + labels + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels.substr(0, labels.size() - 1) + "}";
  out += name + "_sum" + braces + " " + sum + "\n";
  out += name + "_count" + braces + " " + std::to_string(cumulative) + "\n";
}

std::vector<std::string> LatencyBounds() {
  std::vector<std::string> out;
  for (double bound : kBuckets) {
    char le[32];
    snprintf(le, sizeof le, "%g", bound);
    out.push_back(le);
  }
  return out;
}

std::string PrometheusText() {
  const auto snapshot = Snapshot();
  std::string out;
  Family(out, "onep_requests_total", "counter",
         "Requests answered by mod_onep, by route and outcome code.");
  for (const auto& [label, t] : snapshot) {
    const std::string server = "server=\"" + LabelValue(label) + "\"";
    for (int route = 0; route < kNumRoutes; ++route) {
      for (int code = 0; code < kNumCodes; ++code) {
        const uint64_t n = t.requests[route][code];
        // Zeros are left out, except the success of each route, so that
        // every route's series exists from the start.
        const bool success = (route < 3 && code == 0) || (route == 3 && code == 2);
        if (n == 0 && !success) continue;
        out += std::string("onep_requests_total{") + server + ",route=\"" + kRoutes[route] +
               "\",code=\"" + kCodes[code] + "\"} " + std::to_string(n) + "\n";
      }
    }
  }
  Family(out, "onep_redis_duration_seconds", "histogram",
         "Round trips to Redis made for requests (record script, layout check, health PING).");
  for (const auto& [label, t] : snapshot) {
    char sum[64];
    snprintf(sum, sizeof sum, "%.9f", static_cast<double>(t.latency_sum_ns) / 1e9);
    Histogram(out, "onep_redis_duration_seconds", "server=\"" + LabelValue(label) + "\",",
              LatencyBounds(), std::vector<uint64_t>(t.latency, t.latency + kNumBuckets + 1), sum);
  }
  Family(out, "onep_redis_errors_total", "counter", "Failed Redis round trips, by kind.");
  for (const auto& [label, t] : snapshot) {
    for (int k = 0; k < kNumRedisErrorLabels; ++k) {
      out += "onep_redis_errors_total{server=\"" + LabelValue(label) + "\",kind=\"" +
             kRedisErrorLabels[k] + "\"} " + std::to_string(t.redis_errors[k]) + "\n";
    }
  }
  Family(out, "onep_refusals_without_redis_total", "counter",
         "Requests with a well-formed token refused without a Redis call, by reason.");
  for (const auto& [label, t] : snapshot) {
    for (int k = 0; k < kNumRefusalReasons; ++k) {
      out += "onep_refusals_without_redis_total{server=\"" + LabelValue(label) + "\",reason=\"" +
             kRefusalReasons[k] + "\"} " + std::to_string(t.refusals_without_redis[k]) + "\n";
    }
  }
  Family(out, "onep_incidents_opened_total", "counter",
         "Incidents opened by the events this server recorded and by its silence sweeps.");
  for (const auto& [label, t] : snapshot) {
    out += "onep_incidents_opened_total{server=\"" + LabelValue(label) + "\"} " +
           std::to_string(t.incidents_opened) + "\n";
  }
  Family(out, "onep_incidents_resolved_total", "counter",
         "Incidents resolved by the events this server recorded.");
  for (const auto& [label, t] : snapshot) {
    out += "onep_incidents_resolved_total{server=\"" + LabelValue(label) + "\"} " +
           std::to_string(t.incidents_resolved) + "\n";
  }
  Family(out, "onep_sweeps_total", "counter",
         "Silence sweeps this server's Redis had from this Apache server (OnepSweepInterval).");
  for (const auto& [label, t] : snapshot) {
    out += "onep_sweeps_total{server=\"" + LabelValue(label) + "\"} " + std::to_string(t.sweeps) +
           "\n";
  }
  const uint64_t opened = g_segment ? g_segment->pool_opened.load() : 0;
  const uint64_t closed = g_segment ? g_segment->pool_closed.load() : 0;
  const uint64_t failed = g_segment ? g_segment->pool_connect_failed.load() : 0;
  Family(out, "onep_redis_connections_open", "gauge",
         "Redis connections open in the connection pools of all children.");
  out += "onep_redis_connections_open " + std::to_string(opened >= closed ? opened - closed : 0) +
         "\n";
  Family(out, "onep_redis_connections_opened_total", "counter", "Redis connections opened.");
  out += "onep_redis_connections_opened_total " + std::to_string(opened) + "\n";
  Family(out, "onep_redis_connections_closed_total", "counter",
         "Redis connections closed (broken, found closed by Redis, surplus, child exit).");
  out += "onep_redis_connections_closed_total " + std::to_string(closed) + "\n";
  Family(out, "onep_redis_connect_failures_total", "counter",
         "Connects to Redis that were refused or timed out.");
  out += "onep_redis_connect_failures_total " + std::to_string(failed) + "\n";
  Family(out, "onep_redis_batch_size", "histogram",
         "Events per record call to Redis (group commit), all children.");
  std::vector<uint64_t> batches(kNumBatchBuckets + 1, 0);
  std::vector<std::string> sizes;
  for (int b = 0; b <= kNumBatchBuckets; ++b) {
    if (g_segment != nullptr) batches[b] = g_segment->batches[b].load();
    if (b < kNumBatchBuckets) sizes.push_back(std::to_string(kBatchBuckets[b]));
  }
  Histogram(out, "onep_redis_batch_size", "", sizes, batches,
            std::to_string(g_segment ? g_segment->batched_events.load() : 0));
  Family(out, "onep_notifications_total", "counter",
         "Notification attempts by outcome: delivered, retry (to be sent again), failed (given "
         "up).");
  for (int k = 0; k < 3; ++k) {
    out += std::string("onep_notifications_total{outcome=\"") + kNotifyOutcomes[k] + "\"} " +
           std::to_string(g_segment ? g_segment->notifications[k].load() : 0) + "\n";
  }
  return out;
}

}  // namespace

// Every server's totals by label, in label order; virtual hosts that share a
// label are summed so that no series appears twice.
std::map<std::string, Totals> Snapshot() {
  std::map<std::string, Totals> by_label;
  for (const server_rec* s = ap_server_conf; s != nullptr; s = s->next) {
    if (const ServerCounters* c = CountersOf(s)) by_label[ServerLabel(s)].Add(*c);
  }
  return by_label;
}

uint64_t RedisConnectionsOpen() {
  const uint64_t opened = g_segment ? g_segment->pool_opened.load() : 0;
  const uint64_t closed = g_segment ? g_segment->pool_closed.load() : 0;
  return opened >= closed ? opened - closed : 0;
}

MetricRoute MetricRouteOf(const char* route_path) {
  if (route_path == nullptr) return MetricRoute::kOther;
  if (strcmp(route_path, "/hits") == 0) return MetricRoute::kHits;
  if (strcmp(route_path, "/failures") == 0) return MetricRoute::kFailures;
  if (strcmp(route_path, "/deploys") == 0) return MetricRoute::kDeploys;
  if (strcmp(route_path, "/health") == 0) return MetricRoute::kHealth;
  return MetricRoute::kOther;
}

Status CreateMetrics(apr_pool_t* pconf, server_rec* main_server) {
  g_segment = nullptr;
  g_base = nullptr;
  int servers = 0;
  for (server_rec* s = main_server; s != nullptr; s = s->next)
    GetServerConfig(s)->metrics_slot = ++servers;
  const std::size_t size = ServerOffset(servers);
  // Room to align the start: APR's anonymous segment need not be aligned
  // beyond 8 bytes.
  std::size_t space = size + kSegmentAlign - 1;
  auto fail = [&](const std::string& why) {
    for (server_rec* s = main_server; s != nullptr; s = s->next)
      GetServerConfig(s)->metrics_slot = 0;
    return Status::Internal("cannot create the metrics' shared memory: " + why);
  };
  apr_shm_t* shm = nullptr;
  // Anonymous: no file to clean up, inherited by the children across fork,
  // destroyed with the configuration pool.
  apr_status_t rv = apr_shm_create(&shm, space, nullptr, pconf);
  if (rv != APR_SUCCESS) {
    char why[256];
    apr_strerror(rv, why, sizeof why);
    return fail(why);
  }
  void* base = apr_shm_baseaddr_get(shm);
  if (std::align(kSegmentAlign, size, base, space) == nullptr) return fail("misaligned");
  memset(base, 0, size);
  auto* segment = new (base) SegmentHeader();
  segment->servers = servers;
  unsigned char* bytes = static_cast<unsigned char*>(base);
  for (int i = 0; i < servers; ++i) new (bytes + ServerOffset(i)) ServerCounters();
  g_base = bytes;
  g_segment = segment;
  return Status::Ok();
}

void CountRequest(const request_rec* r, MetricRoute route, const char* code) {
  ServerCounters* c = CountersOf(r->server);
  const int index = CodeIndex(code);
  if (c == nullptr || index < 0) return;
  c->requests[static_cast<int>(route)][index].fetch_add(1, std::memory_order_relaxed);
}

void CountRefusalWithoutRedis(const request_rec* r, RefusalWithoutRedis reason) {
  ServerCounters* c = CountersOf(r->server);
  if (c == nullptr) return;
  c->refusals_without_redis[static_cast<int>(reason)].fetch_add(1, std::memory_order_relaxed);
}

void CountIncidents(const request_rec* r, int opened, int resolved) {
  ServerCounters* c = CountersOf(r->server);
  if (c == nullptr || (opened == 0 && resolved == 0)) return;
  c->incidents_opened.fetch_add(opened, std::memory_order_relaxed);
  c->incidents_resolved.fetch_add(resolved, std::memory_order_relaxed);
}

void CountSweep(const server_rec* s, int64_t opened) {
  ServerCounters* c = CountersOf(s);
  if (c == nullptr) return;
  c->sweeps.fetch_add(1, std::memory_order_relaxed);
  if (opened > 0) c->incidents_opened.fetch_add(opened, std::memory_order_relaxed);
}

void CountRedisCall(const request_rec* r, std::chrono::steady_clock::duration elapsed,
                    const Status& status) {
  ServerCounters* c = CountersOf(r->server);
  if (c == nullptr) return;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  int bucket = 0;
  while (bucket < kNumBuckets && seconds > kBuckets[bucket]) ++bucket;
  c->latency[bucket].fetch_add(1, std::memory_order_relaxed);
  c->latency_sum_ns.fetch_add(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()),
      std::memory_order_relaxed);
  if (!status.ok())
    c->redis_errors[static_cast<int>(ErrorLabelOf(status))].fetch_add(1, std::memory_order_relaxed);
}

void CountBatch(std::size_t events) {
  if (g_segment == nullptr) return;
  int b = 0;
  const int size = static_cast<int>(events);
  while (b < kNumBatchBuckets && size > kBatchBuckets[b]) ++b;
  g_segment->batches[b].fetch_add(1, std::memory_order_relaxed);
  g_segment->batched_events.fetch_add(events, std::memory_order_relaxed);
}

void CountNotification(const std::string& outcome) {
  if (g_segment == nullptr) return;
  for (int k = 0; k < 3; ++k) {
    if (outcome == kNotifyOutcomes[k]) {
      g_segment->notifications[k].fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void CountPoolEvent(RedisPoolEvent event, int n) {
  if (g_segment == nullptr) return;
  switch (event) {
    case RedisPoolEvent::kOpened:
      g_segment->pool_opened.fetch_add(n, std::memory_order_relaxed);
      break;
    case RedisPoolEvent::kClosed:
      g_segment->pool_closed.fetch_add(n, std::memory_order_relaxed);
      break;
    case RedisPoolEvent::kConnectFailed:
      g_segment->pool_connect_failed.fetch_add(n, std::memory_order_relaxed);
      break;
  }
}

int MetricsHandler(request_rec* r) {
  if (r->handler == nullptr || strcmp(r->handler, kMetricsHandlerName) != 0) return DECLINED;
  if (r->method_number != M_GET) {
    r->allowed = AP_METHOD_BIT << M_GET;
    return HTTP_METHOD_NOT_ALLOWED;
  }
  try {
    const std::string text = PrometheusText();
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) ap_rwrite(text.data(), static_cast<int>(text.size()), r);
    return OK;
  } catch (...) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0200: cannot serve the metrics");
    return HTTP_INTERNAL_SERVER_ERROR;
  }
}

}  // namespace onep::module
