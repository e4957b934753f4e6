// SPDX-License-Identifier: Apache-2.0
#include "webhook/webhook_handler.h"

#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "apr_strings.h"
#include "http_core.h"
#include "http_io.h"
#include "http_log.h"
#include "http_protocol.h"
#include "metrics/metrics.h"
#include "mod_onep.h"
#include "mounts.h"
#include "onep/clock.h"
#include "onep/event.h"
#include "onep/event_store.h"
#include "onep/health.h"
#include "onep/json.h"
#include "onep/layout.h"
#include "onep/parse.h"
#include "onep/sha1.h"
#include "onep/token.h"
#include "webhook/address_budget.h"

APLOG_USE_MODULE(onep);

namespace onep::module {
namespace {

// ---------------------------------------------------------------------------
// Routes, relative to the <Location> the handler is mounted at.

struct Route {
  const char* path;
  int method;         // M_POST, or M_GET (which serves HEAD too)
  const char* allow;  // the Allow header of a 405
  bool health;
  EventType type;  // event routes only
};

constexpr Route kRoutes[] = {
    {"/hits", M_POST, "POST", false, EventType::kHit},
    {"/failures", M_POST, "POST", false, EventType::kFailure},
    {"/deploys", M_POST, "POST", false, EventType::kDeploy},
    {"/health", M_GET, "GET, HEAD", true, EventType::kHit},
};

// The route of r->uri below its webhook mount (mounts.h), or null.
const Route* FindRoute(const request_rec* r) {
  std::optional<MountMatch> match = FindMount(r, kWebhookHandlerName);
  if (!match) return nullptr;
  for (const Route& route : kRoutes) {
    if (match->rest == route.path) return &route;
  }
  return nullptr;
}

bool MethodAllowed(const request_rec* r, const Route& route) {
  return r->method_number == route.method;  // HEAD is M_GET with header_only set
}

// ---------------------------------------------------------------------------
// Responses, each with its one debug line (LogLevel onep:debug).

// A log field: "-" when empty, as in Apache's access log.
const char* DashIfEmpty(const std::string& s) { return s.empty() ? "-" : s.c_str(); }

int Respond(request_rec* r, const char* route, int status, const char* code,
            const std::string& message, const RecordOutcome* outcome = nullptr) {
  ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "ONEP0100: %s %s -> %d %s credential=%s org=%s",
                r->method, route, status, code, outcome ? DashIfEmpty(outcome->credential_id) : "-",
                outcome ? DashIfEmpty(outcome->org) : "-");
  CountRequest(r, MetricRouteOf(route), code);
  return SendError(r, status, code, message);
}

// A refusal whose body never changes (`body`: ErrorBody of its code and
// message, built once by the caller): nothing to build per request.
int RespondFixed(request_rec* r, const char* route, int status, const char* code,
                 const std::string& body) {
  ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "ONEP0100: %s %s -> %d %s credential=- org=-",
                r->method, route, status, code);
  CountRequest(r, MetricRouteOf(route), code);
  return SendJson(r, status, body);
}

// What a test event's 202 says it did (docs/api.md).
constexpr const char kTestNote[] =
    ",\"test\":true,\"note\":\"test event: recorded and listed in events; not counted in stats, "
    "monitors or incidents\"";

int RespondAccepted(request_rec* r, const char* route, const RecordOutcome& outcome, bool test) {
  const bool duplicate = outcome.kind == RecordOutcome::Kind::kDuplicate;
  ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                "ONEP0101: %s %s -> 202 %s credential=%s org=%s event=%s", r->method, route,
                duplicate ? "duplicate" : "accepted", outcome.credential_id.c_str(),
                outcome.org.c_str(), outcome.event_id.c_str());
  CountRequest(r, MetricRouteOf(route), duplicate ? "duplicate" : "accepted");
  CountIncidents(r, outcome.incidents_opened, outcome.incidents_resolved);
  // The credential id is public: the access log can show it with %u.
  r->user = apr_pstrdup(r->pool, outcome.credential_id.c_str());
  r->ap_auth_type = const_cast<char*>("Bearer");
  apr_table_setn(r->notes, "onep-org", apr_pstrdup(r->pool, outcome.org.c_str()));

  // {"ok":true,"id":...,"credential":...[,"duplicate":true][,"test":true,
  // "note":...]}, written directly: the hot path.
  std::string body;
  body.reserve(60 + outcome.event_id.size() + outcome.credential_id.size());
  body.append("{\"ok\":true,\"id\":");
  AppendJsonString(outcome.event_id, body);
  body.append(",\"credential\":");
  AppendJsonString(outcome.credential_id, body);
  if (duplicate) body.append(",\"duplicate\":true");
  if (test) body.append(kTestNote);
  body.push_back('}');
  return SendJson(r, HTTP_ACCEPTED, body);
}

void SetRetryAfter(request_rec* r, int seconds) {
  apr_table_setn(r->headers_out, "Retry-After", apr_itoa(r->pool, seconds < 1 ? 1 : seconds));
}

int RespondUnavailable(request_rec* r, const char* route, const Status& status) {
  ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0102: %s %s: Redis unavailable: %s", r->method,
                route, status.message().c_str());
  SetRetryAfter(r, 1);
  return Respond(r, route, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                 "the event store is unavailable; nothing was recorded, retry later");
}

int RespondInternal(request_rec* r, const char* route, const std::string& why) {
  ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0103: %s %s: %s", r->method, route, why.c_str());
  return Respond(r, route, HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                 "internal error; see the server's error log");
}

int RespondOutcome(request_rec* r, const char* route, const RecordOutcome& outcome, bool test) {
  using Kind = RecordOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kAccepted:
    case Kind::kDuplicate:
      return RespondAccepted(r, route, outcome, test);
    case Kind::kInvalidToken:
      apr_table_setn(r->headers_out, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return Respond(r, route, HTTP_UNAUTHORIZED, "invalid_token",
                     "the token is unknown, rotated, deleted or expired", &outcome);
    case Kind::kForbidden:
      return Respond(
          r, route, HTTP_FORBIDDEN, "forbidden",
          outcome.message.empty() ? "this token may not post to this route" : outcome.message,
          &outcome);
    case Kind::kRateLimited:
      SetRetryAfter(r, outcome.retry_after_s);
      return Respond(r, route, HTTP_TOO_MANY_REQUESTS, "rate_limited",
                     "too many requests for this credential; retry after the delay in "
                     "Retry-After",
                     &outcome);
    case Kind::kInvalidEvent:
      return Respond(r, route, HTTP_UNPROCESSABLE_ENTITY, "invalid_event",
                     outcome.message.empty() ? "invalid event" : outcome.message, &outcome);
    case Kind::kIdempotencyKeyReused:
      return Respond(r, route, HTTP_UNPROCESSABLE_ENTITY, "idempotency_key_reused",
                     "this Idempotency-Key was first used with another request (route or "
                     "body); nothing was recorded: use a new key for a new event",
                     &outcome);
  }
  return RespondInternal(r, route, "unknown record outcome");
}

// A request answered without reading its body: closed after the answer when
// it has one, so that Apache does not wait to read and discard it (a client
// could send it as slowly as it likes); one without a body keeps its
// connection.
void CloseIfBodyUnread(request_rec* r) {
  if (ap_request_has_body(r)) CloseAfterResponse(r);
}

// ---------------------------------------------------------------------------
// Refusals without Redis (docs/design.md, "Cheap refusals"): what this child
// remembers of Redis' verdicts (RefusalCache) and the unknown tokens counted
// per client address in the shared memory (address_budget.h).

// The answer when Redis would only refuse the request again, else nullopt.
std::optional<int> RefuseFromMemory(request_rec* r, const char* path, ServerRuntime& runtime,
                                    const std::string& token_hash, uint32_t rate_limit,
                                    uint32_t invalid_token_limit) {
  const int64_t now_ms = NowMs();
  switch (runtime.refusals.Check(token_hash, now_ms, rate_limit)) {
    case RefusalCache::Refusal::kNone:
      break;
    case RefusalCache::Refusal::kUnknownToken: {
      CountRefusalWithoutRedis(r, RefusalWithoutRedis::kUnknownToken);
      static const std::string kBody =
          ErrorBody("invalid_token", "the token is unknown, rotated, deleted or expired");
      apr_table_setn(r->headers_out, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return RespondFixed(r, path, HTTP_UNAUTHORIZED, "invalid_token", kBody);
    }
    case RefusalCache::Refusal::kRateLimited: {
      CountRefusalWithoutRedis(r, RefusalWithoutRedis::kRateLimited);
      static const std::string kBody =
          ErrorBody("rate_limited",
                    "too many requests for this credential; retry after the delay in "
                    "Retry-After");
      SetRetryAfter(r, 1);
      return RespondFixed(r, path, HTTP_TOO_MANY_REQUESTS, "rate_limited", kBody);
    }
  }
  // A token this child has seen Redis know in the last minute still goes to
  // Redis: a sender behind the same address (NAT) keeps working.
  if (invalid_token_limit > 0 && UnknownTokensFrom(r, now_ms / 1000) >= invalid_token_limit &&
      !runtime.refusals.IsKnown(token_hash, now_ms)) {
    CountRefusalWithoutRedis(r, RefusalWithoutRedis::kAddressBudget);
    static const std::string kBody =
        ErrorBody("rate_limited",
                  "too many unknown tokens came from this address; retry after the delay in "
                  "Retry-After");
    SetRetryAfter(r, static_cast<int>(60 - (now_ms / 1000) % 60));
    return RespondFixed(r, path, HTTP_TOO_MANY_REQUESTS, "rate_limited", kBody);
  }
  return std::nullopt;
}

// Remembers what Redis said of the request's token. `sent_s`: the Unix
// second before the call; a rate limit is remembered only when the call
// ended in that same second, the one whose window the script judged.
void Remember(const request_rec* r, ServerRuntime& runtime, const RecordRequest& request,
              const RecordOutcome& outcome, int64_t sent_s) {
  const int64_t now_ms = NowMs();
  if (outcome.kind == RecordOutcome::Kind::kInvalidToken) {
    runtime.refusals.RememberUnknown(request.token_hash, now_ms);
    CountUnknownTokenFrom(r, now_ms / 1000);
    return;
  }
  runtime.refusals.RememberKnown(request.token_hash, now_ms);
  if (outcome.kind == RecordOutcome::Kind::kRateLimited && now_ms / 1000 == sent_s) {
    runtime.refusals.RememberRateLimited(request.token_hash, sent_s, request.rate_limit);
  }
}

// ---------------------------------------------------------------------------
// The routes

// Runs one Redis round trip (a callable returning a Status or a Result) and
// counts its latency and outcome in the metrics.
Status StatusOf(const Status& status) { return status; }
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.status();
}
template <typename Call>
auto Timed(const request_rec* r, Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  auto result = call();
  CountRedisCall(r, std::chrono::steady_clock::now() - start, StatusOf(result));
  return result;
}

ServerRuntime* Runtime(const request_rec* r) { return GetServerConfig(r->server)->runtime; }

// Redis answers (one PING, every probe) and would take a write, judged from
// INFO (health.h) at most once a second per child and server; the cached
// verdict is never held locked across the network call.
Status RedisHealth(ServerRuntime& runtime) {
  if (Status alive = runtime.redis->Ping(); !alive.ok()) return alive;
  const int64_t now = NowMs();
  {
    std::lock_guard<std::mutex> lock(runtime.health_mu);
    if (runtime.health_checked_ms != 0 && now - runtime.health_checked_ms < 1000) {
      return runtime.health;
    }
  }
  Status writable = CheckWritable(*runtime.redis);
  std::lock_guard<std::mutex> lock(runtime.health_mu);
  runtime.health_checked_ms = now;
  runtime.health = writable;
  return writable;
}

int HandleHealth(request_rec* r, const Route& route) {
  ServerRuntime* runtime = Runtime(r);
  if (runtime == nullptr) return RespondInternal(r, route.path, "no Redis pool in this process");
  Status alive = Timed(r, [&] { return RedisHealth(*runtime); });
  if (!alive.ok()) {
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "ONEP0104: health check failed: %s",
                  alive.message().c_str());
    SetRetryAfter(r, 1);
    return Respond(r, route.path, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                   alive.redis_failure() == RedisFailure::kRefusesWrites ? "Redis refuses writes"
                                                                         : "Redis is unreachable");
  }
  ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "ONEP0105: %s %s -> 200 ok", r->method, route.path);
  CountRequest(r, MetricRoute::kHealth, "ok");
  return SendJson(r, HTTP_OK, "{\"status\":\"ok\"}");
}

// The order of checks is part of the contract (docs/api.md): the cheap,
// offline ones first, so that a malformed token never costs a Redis call.
int HandleEvent(request_rec* r, const Route& route) {
  const char* path = route.path;
  std::optional<std::string_view> token = BearerToken(r);
  if (!token) {
    CloseIfBodyUnread(r);
    static const std::string kBody =
        ErrorBody("missing_token",
                  "send the integration token in an \"Authorization: Bearer <token>\" header");
    apr_table_setn(r->headers_out, "WWW-Authenticate", "Bearer");
    return RespondFixed(r, path, HTTP_UNAUTHORIZED, "missing_token", kBody);
  }
  if (!CheckTokenFormat(*token).ok()) {
    CloseIfBodyUnread(r);
    static const std::string kBody =
        ErrorBody("invalid_token", "the token is malformed or mistyped");
    apr_table_setn(r->headers_out, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return RespondFixed(r, path, HTTP_UNAUTHORIZED, "invalid_token", kBody);
  }
  if (!HasJsonContentType(r)) {
    CloseIfBodyUnread(r);
    static const std::string kBody =
        ErrorBody("unsupported_media_type", "Content-Type must be application/json");
    return RespondFixed(r, path, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", kBody);
  }

  const DirConfig* dconf = GetDirConfig(r);
  const uint64_t limit = EffectiveMaxBodySize(dconf);
  std::string body;
  const int64_t timeout_ms = EffectiveBodyTimeoutMs(dconf);
  switch (int read = ReadBody(r, limit, &body, apr_time_from_msec(timeout_ms))) {
    case OK:
      break;
    case HTTP_REQUEST_ENTITY_TOO_LARGE:
      // Announced too large (nothing read) or found so: the rest is not read.
      CloseAfterResponse(r);
      return Respond(r, path, HTTP_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                     "the body is larger than " + std::to_string(limit) + " bytes");
    case HTTP_REQUEST_TIME_OUT:
      CloseAfterResponse(r);
      return Respond(r, path, HTTP_REQUEST_TIME_OUT, "request_timeout",
                     "the body did not arrive in time");
    case AP_FILTER_ERROR:  // Apache has answered already (malformed framing)
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                    "ONEP0106: %s %s: the request body could not be read", r->method, path);
      CountRequest(r, MetricRouteOf(path), "unreadable_body");
      return AP_FILTER_ERROR;
    default:
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                    "ONEP0108: %s %s: the request body could not be read (%d)", r->method, path,
                    read);
      return Respond(r, path, HTTP_BAD_REQUEST, "invalid_json",
                     "the request body could not be read");
  }

  Result<ValidatedEvent> event = ParseEvent(route.type, body, NowMs(), EffectiveEventLimits(dconf));
  if (!event.ok()) {
    const Status& bad = event.status();
    if (bad.code() == Code::kInvalidJson) {
      return Respond(r, path, HTTP_BAD_REQUEST, "invalid_json", bad.message());
    }
    if (bad.code() == Code::kInvalidEvent) {
      return Respond(r, path, HTTP_UNPROCESSABLE_ENTITY, "invalid_event", bad.message());
    }
    return RespondInternal(r, path, "cannot validate the event: " + bad.ToString());
  }

  const char* idempotency_key = apr_table_get(r->headers_in, "Idempotency-Key");
  if (idempotency_key != nullptr && !IsValidIdempotencyKey(idempotency_key)) {
    return Respond(r, path, HTTP_UNPROCESSABLE_ENTITY, "invalid_event",
                   "the Idempotency-Key header must be 1-200 printable ASCII characters");
  }

  ServerRuntime* runtime = Runtime(r);
  if (runtime == nullptr) return RespondInternal(r, path, "no Redis pool in this process");
  const std::string token_hash = TokenHash(*token);
  const ServerConfig* sconf = GetServerConfig(r->server);
  const uint32_t rate_limit = EffectiveRateLimit(dconf);
  if (std::optional<int> refused = RefuseFromMemory(r, path, *runtime, token_hash, rate_limit,
                                                    EffectiveInvalidTokenLimit(sconf))) {
    return *refused;
  }
  // One deadline for everything this request waits for Redis: the layout
  // check, the wait for its batch, a legacy token's lookup, the connect and
  // the script call with its retry (OnepRedisTimeout, docs/configuration.md).
  const Deadline deadline = DeadlineIn(runtime->redis->timeout());
  if (!runtime->layout_checked.load(std::memory_order_acquire)) {
    // Once per child and server: a keyspace of another layout is refused
    // before anything is written to it.
    Status usable = Timed(r, [&] { return CheckLayout(*runtime->redis, runtime->keys, deadline); });
    if (!usable.ok()) {
      if (usable.code() == Code::kFailedPrecondition) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0107: %s", usable.message().c_str());
        SetRetryAfter(r, 1);
        return Respond(r, path, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                       "the event store is being upgraded; nothing was recorded, retry later");
      }
      return RespondUnavailable(r, path, usable);
    }
    runtime->layout_checked.store(true, std::memory_order_release);
  }
  RecordRequest request;
  request.token_hash = token_hash;
  request.routing_tag = std::string(TokenRoutingTag(*token));
  request.event = std::move(event).value();
  request.idempotency_key = idempotency_key != nullptr ? idempotency_key : "";
  if (idempotency_key != nullptr) {
    // A retry must be the same request: same route, same bytes.
    request.request_fingerprint = Sha1Hex(std::string(path) + "\n" + body);
  }
  request.rate_limit = rate_limit;
  request.wait_replicas = EffectiveWaitReplicas(sconf);
  request.wait_timeout_ms = EffectiveWaitTimeoutMs(sconf);
  request.deadline = deadline;

  // One Redis round trip, shared with the child's concurrent events (group
  // commit: RecordBatcher).
  const int64_t sent_s = NowMs() / 1000;
  Result<RecordOutcome> outcome =
      Timed(r, [&] { return runtime->batcher.Record(*runtime->redis, request); });
  if (outcome.ok()) Remember(r, *runtime, request, *outcome, sent_s);
  if (!outcome.ok()) {
    if (outcome.status().code() == Code::kUnavailable) {
      return RespondUnavailable(r, path, outcome.status());
    }
    return RespondInternal(r, path, "cannot record the event: " + outcome.status().ToString());
  }
  return RespondOutcome(r, path, *outcome, request.event.test);
}

int Handle(request_rec* r) {
  const Route* route = FindRoute(r);
  // None of these reads a body; an event route that goes on to read one
  // keeps the connection.
  if (route == nullptr || !MethodAllowed(r, *route) || route->health) CloseIfBodyUnread(r);
  if (route == nullptr) {
    return Respond(r, ap_escape_logitem(r->pool, r->uri), HTTP_NOT_FOUND, "not_found",
                   "no such route; under this location: POST /hits, POST /failures, "
                   "POST /deploys, GET /health");
  }
  if (!MethodAllowed(r, *route)) {
    apr_table_setn(r->headers_out, "Allow", route->allow);
    return Respond(r, route->path, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                   std::string(route->path) + " accepts " + route->allow);
  }
  return route->health ? HandleHealth(r, *route) : HandleEvent(r, *route);
}

}  // namespace

int WebhookHandler(request_rec* r) {
  if (r->handler == nullptr || strcmp(r->handler, kWebhookHandlerName) != 0) return DECLINED;
  return RunGuarded(r, Handle);
}

}  // namespace onep::module
