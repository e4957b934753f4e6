#include "metrics.h"

#include <apr_shm.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <new>
#include <string>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "mod_onep.h"
#include "mod_status.h"

APLOG_USE_MODULE(onep);

namespace onep::module {
namespace {

// The codes of onep_requests_total: the contract's error codes, plus
// "accepted" / "duplicate" (202) and "ok" (a healthy /health).
constexpr const char* kCodes[] = {
    "accepted",          "duplicate",          "ok",
    "missing_token",     "invalid_token",      "forbidden",
    "not_found",         "method_not_allowed", "unsupported_media_type",
    "payload_too_large", "request_timeout",    "invalid_json",
    "invalid_event",     "rate_limited",       "store_unavailable",
    "internal_error",    "unreadable_body",
};
constexpr int kNumCodes = sizeof(kCodes) / sizeof(kCodes[0]);
constexpr const char* kRoutes[] = {"hits", "failures", "deploys", "health", "other"};
constexpr int kNumRoutes = sizeof(kRoutes) / sizeof(kRoutes[0]);

// Upper bounds of the latency histogram, in seconds (Prometheus' `le`): a
// local Redis answers in well under a millisecond, a timeout is 500 ms.
constexpr double kBuckets[] = {0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                               0.025,   0.05,   0.1,   0.25,   0.5,   1.0};
constexpr int kNumBuckets = sizeof(kBuckets) / sizeof(kBuckets[0]);

// Kinds of Redis errors. "connect": no connection could be opened;
// "timeout": a command got no answer in time; "connection": the connection
// broke or Redis answered that it cannot serve now (LOADING, BUSY, a cluster
// without a master); "layout": the keyspace needs onepctl migrate;
// "internal": an unexpected reply.
enum ErrorKind { kConnect, kTimeout, kConnection, kLayout, kInternal, kNumErrorKinds };
constexpr const char* kErrorKinds[] = {"connect", "timeout", "connection", "layout", "internal"};

using Counter = std::atomic<uint64_t>;
static_assert(Counter::is_always_lock_free, "counters in shared memory must be lock-free");

// One virtual host's counters, in the shared segment.
struct ServerCounters {
  Counter requests[kNumRoutes][kNumCodes];
  Counter latency[kNumBuckets + 1];  // per bucket, not cumulative; the last is above kBuckets
  Counter latency_sum_ns;
  Counter redis_errors[kNumErrorKinds];
};

// Upper bounds of the batch size histogram (events per record call).
constexpr int kBatchBuckets[] = {1, 2, 4, 8, 16, 32, 64};
constexpr int kNumBatchBuckets = sizeof(kBatchBuckets) / sizeof(kBatchBuckets[0]);

struct Segment {
  Counter pool_opened, pool_closed, pool_connect_failed;
  Counter batches[kNumBatchBuckets + 1];  // per bucket, not cumulative
  Counter batched_events;
  int servers;
  ServerCounters server[1];  // `servers` of them: the segment is sized for all
};

// Written once by the parent in post_config, before any child exists; read
// only afterwards (as HandlerMounts' array).
Segment* g_segment = nullptr;

ServerCounters* CountersOf(const server_rec* s) {
  if (g_segment == nullptr || s == nullptr) return nullptr;
  const int slot = GetServerConfig(s)->metrics_slot;
  if (slot < 1 || slot > g_segment->servers) return nullptr;
  return &g_segment->server[slot - 1];
}

int CodeIndex(const char* code) {
  for (int i = 0; i < kNumCodes; ++i) {
    if (strcmp(kCodes[i], code) == 0) return i;
  }
  return -1;
}

ErrorKind KindOf(const Status& status) {
  switch (status.code()) {
    case Code::kFailedPrecondition:
      return kLayout;
    case Code::kUnavailable:
      break;
    default:
      return kInternal;
  }
  // Core says "unavailable" for all of these; its messages say which
  // (core/src/redis.cc: "cannot connect to ...", "... timed out").
  const std::string& m = status.message();
  if (m.rfind("cannot connect", 0) == 0) return kConnect;
  if (m.find("timed out") != std::string::npos) return kTimeout;
  return kConnection;
}

// A snapshot of one server's counters (or the sum of several with one label).
struct Totals {
  uint64_t requests[kNumRoutes][kNumCodes] = {};
  uint64_t latency[kNumBuckets + 1] = {};
  uint64_t latency_sum_ns = 0;
  uint64_t redis_errors[kNumErrorKinds] = {};

  void Add(const ServerCounters& c) {
    for (int route = 0; route < kNumRoutes; ++route) {
      for (int code = 0; code < kNumCodes; ++code) {
        requests[route][code] += c.requests[route][code].load(std::memory_order_relaxed);
      }
    }
    for (int b = 0; b <= kNumBuckets; ++b)
      latency[b] += c.latency[b].load(std::memory_order_relaxed);
    latency_sum_ns += c.latency_sum_ns.load(std::memory_order_relaxed);
    for (int k = 0; k < kNumErrorKinds; ++k) {
      redis_errors[k] += c.redis_errors[k].load(std::memory_order_relaxed);
    }
  }
  uint64_t LatencyCount() const {
    uint64_t n = 0;
    for (uint64_t b : latency) n += b;
    return n;
  }
};

// "host:port" of a server, the `server` label.
std::string ServerLabel(const server_rec* s) {
  apr_port_t port = s->port;
  if (port == 0 && s->addrs != nullptr) port = s->addrs->host_port;
  return std::string(s->server_hostname != nullptr ? s->server_hostname : "") + ":" +
         std::to_string(port);
}

// Every server's totals by label, in label order; virtual hosts that share a
// label are summed so that no series appears twice.
std::map<std::string, Totals> Snapshot() {
  std::map<std::string, Totals> by_label;
  for (const server_rec* s = ap_server_conf; s != nullptr; s = s->next) {
    if (const ServerCounters* c = CountersOf(s)) by_label[ServerLabel(s)].Add(*c);
  }
  return by_label;
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
    const std::string server = "server=\"" + LabelValue(label) + "\"";
    uint64_t cumulative = 0;
    for (int b = 0; b < kNumBuckets; ++b) {
      cumulative += t.latency[b];
      char le[32];
      snprintf(le, sizeof le, "%g", kBuckets[b]);
      out += "onep_redis_duration_seconds_bucket{" + server + ",le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    char sum[64];
    snprintf(sum, sizeof sum, "%.9f", static_cast<double>(t.latency_sum_ns) / 1e9);
    out += "onep_redis_duration_seconds_bucket{" + server + ",le=\"+Inf\"} " +
           std::to_string(t.LatencyCount()) + "\n";
    out += "onep_redis_duration_seconds_sum{" + server + "} " + sum + "\n";
    out += "onep_redis_duration_seconds_count{" + server + "} " + std::to_string(t.LatencyCount()) +
           "\n";
  }
  Family(out, "onep_redis_errors_total", "counter", "Failed Redis round trips, by kind.");
  for (const auto& [label, t] : snapshot) {
    for (int k = 0; k < kNumErrorKinds; ++k) {
      out += "onep_redis_errors_total{server=\"" + LabelValue(label) + "\",kind=\"" +
             kErrorKinds[k] + "\"} " + std::to_string(t.redis_errors[k]) + "\n";
    }
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
  uint64_t batches = 0;
  for (int b = 0; b <= kNumBatchBuckets; ++b) {
    batches += g_segment ? g_segment->batches[b].load() : 0;
    const std::string le = b < kNumBatchBuckets ? std::to_string(kBatchBuckets[b]) : "+Inf";
    out += "onep_redis_batch_size_bucket{le=\"" + le + "\"} " + std::to_string(batches) + "\n";
  }
  out += "onep_redis_batch_size_sum " +
         std::to_string(g_segment ? g_segment->batched_events.load() : 0) + "\n";
  out += "onep_redis_batch_size_count " + std::to_string(batches) + "\n";
  return out;
}

}  // namespace

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
  int servers = 0;
  for (server_rec* s = main_server; s != nullptr; s = s->next)
    GetServerConfig(s)->metrics_slot = ++servers;
  const apr_size_t size = sizeof(Segment) + (servers - 1) * sizeof(ServerCounters);
  apr_shm_t* shm = nullptr;
  // Anonymous: no file to clean up, inherited by the children across fork,
  // destroyed with the configuration pool.
  apr_status_t rv = apr_shm_create(&shm, size, nullptr, pconf);
  if (rv != APR_SUCCESS) {
    char why[256];
    apr_strerror(rv, why, sizeof why);
    for (server_rec* s = main_server; s != nullptr; s = s->next)
      GetServerConfig(s)->metrics_slot = 0;
    return Status::Internal(std::string("cannot create the metrics' shared memory: ") + why);
  }
  void* base = apr_shm_baseaddr_get(shm);
  memset(base, 0, size);
  auto* segment = new (base) Segment();
  segment->servers = servers;
  for (int i = 1; i < servers; ++i) new (&segment->server[i]) ServerCounters();
  g_segment = segment;
  return Status::Ok();
}

void CountRequest(const request_rec* r, MetricRoute route, const char* code) {
  ServerCounters* c = CountersOf(r->server);
  const int index = CodeIndex(code);
  if (c == nullptr || index < 0) return;
  c->requests[static_cast<int>(route)][index].fetch_add(1, std::memory_order_relaxed);
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
  if (!status.ok()) c->redis_errors[KindOf(status)].fetch_add(1, std::memory_order_relaxed);
}

void CountBatch(std::size_t events) {
  if (g_segment == nullptr) return;
  int b = 0;
  while (b<kNumBatchBuckets&& static_cast<int>(events)> kBatchBuckets[b]) ++b;
  g_segment->batches[b].fetch_add(1, std::memory_order_relaxed);
  g_segment->batched_events.fetch_add(events, std::memory_order_relaxed);
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

int StatusHook(request_rec* r, int flags) {
  try {
    uint64_t accepted = 0, duplicate = 0, refused = 0, unavailable = 0, errors = 0, calls = 0;
    const auto snapshot = Snapshot();
    for (const auto& [label, t] : snapshot) {
      for (int route = 0; route < kNumRoutes; ++route) {
        for (int code = 0; code < kNumCodes; ++code) {
          const uint64_t n = t.requests[route][code];
          if (code == 0)
            accepted += n;
          else if (code == 1)
            duplicate += n;
          else if (strcmp(kCodes[code], "store_unavailable") == 0)
            unavailable += n;
          else if (code != 2)
            refused += n;
        }
      }
      for (uint64_t n : t.redis_errors) errors += n;
      calls += t.LatencyCount();
    }
    const uint64_t opened = g_segment ? g_segment->pool_opened.load() : 0;
    const uint64_t closed = g_segment ? g_segment->pool_closed.load() : 0;
    const uint64_t open = opened >= closed ? opened - closed : 0;
    // APR's printf has no %llu: numbers go through std::to_string.
    auto n = [](uint64_t v) { return std::to_string(v); };
    if (flags & AP_STATUS_SHORT) {
      const std::string lines =
          "OnepAccepted: " + n(accepted) + "\nOnepDuplicate: " + n(duplicate) +
          "\nOnepRefused: " + n(refused) + "\nOnepUnavailable: " + n(unavailable) +
          "\nOnepRedisCalls: " + n(calls) + "\nOnepRedisErrors: " + n(errors) +
          "\nOnepRedisConnectionsOpen: " + n(open) + "\n";
      ap_rputs(lines.c_str(), r);
      return OK;
    }
    std::string html =
        "<hr />\n<h2>onep (mod_onep)</h2>\n<table border=\"1\">\n"
        "<tr><th>server</th><th>route</th><th>code</th><th>requests</th></tr>\n";
    for (const auto& [label, t] : snapshot) {
      for (int route = 0; route < kNumRoutes; ++route) {
        for (int code = 0; code < kNumCodes; ++code) {
          if (t.requests[route][code] == 0) continue;
          html += std::string("<tr><td>") + ap_escape_html(r->pool, label.c_str()) + "</td><td>" +
                  kRoutes[route] + "</td><td>" + kCodes[code] + "</td><td>" +
                  n(t.requests[route][code]) + "</td></tr>\n";
        }
      }
    }
    html += "</table>\n<p>accepted " + n(accepted) + ", duplicate " + n(duplicate) + ", refused " +
            n(refused) + ", unavailable " + n(unavailable) + "; Redis round trips " + n(calls) +
            ", Redis errors " + n(errors) + "; Redis connections open " + n(open) + "</p>\n";
    ap_rputs(html.c_str(), r);
  } catch (...) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0201: cannot write the server-status section");
  }
  return OK;
}

}  // namespace onep::module
