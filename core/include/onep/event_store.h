// SPDX-License-Identifier: Apache-2.0
// Recording and reading events in Redis.
//
// Record() is the one function that records a validated webhook event: a
// single Lua script (one round trip) that authenticates the token hash, checks
// the credential, applies the rate limit and idempotency, appends the event to
// the org's stream, updates counters and last_used_at, and says what happened.
#ifndef ONEP_EVENT_STORE_H_
#define ONEP_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onep/event.h"
#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/stream_id.h"

namespace onep {

struct RecordRequest {
  std::string token_hash;   // TokenHash() of a well-formed token
  std::string routing_tag;  // TokenRoutingTag() of it; empty for a legacy token (looked up)
  ValidatedEvent event;
  std::string idempotency_key;  // empty: none
  // What the key is tied to (the route and the body, e.g. their SHA-1): the
  // same key with another fingerprint is refused (kIdempotencyKeyReused).
  std::string request_fingerprint;
  uint32_t rate_limit = 0;  // accepted events per second per credential; 0: off
  // With wait_replicas > 0, an outcome counts only once that many replicas
  // acknowledged the write (Redis WAIT, in the same round trip); else the
  // record is Unavailable and the event may exist (ScriptCall).
  int wait_replicas = 0;
  int64_t wait_timeout_ms = 0;
  // The request's deadline (onep/deadline.h): the wait in a RecordBatcher's
  // queue, a legacy token's lookup and the script call all end by then.
  // kNoDeadline: the client's timeout, per step.
  Deadline deadline = kNoDeadline;
};

struct RecordOutcome {
  enum class Kind {
    kAccepted,      // recorded; event_id is new
    kDuplicate,     // Idempotency-Key or deploy_id seen before; event_id is the first one
    kInvalidToken,  // unknown, rotated away, deleted or expired
    kForbidden,     // right token, wrong route for its type, or app differs
    kRateLimited,   // retry_after_s says when to try again
    kInvalidEvent,  // e.g. no app and the credential is not bound to one
    // The Idempotency-Key was first used with another request; event_id is
    // the first one's, nothing was recorded.
    kIdempotencyKeyReused,
  };
  Kind kind = Kind::kInvalidToken;
  std::string event_id;       // accepted, duplicate
  std::string credential_id;  // every kind but invalid token
  std::string org;            // every kind but invalid token
  std::string message;        // forbidden, invalid event: says why
  int retry_after_s = 0;      // rate limited
  // Accepted: the incidents this event opened and resolved (0 or 1 each).
  int incidents_opened = 0;
  int incidents_resolved = 0;
};

struct StoredEvent {
  std::string id;  // stream id, e.g. "1764237600000-0"
  std::string type;
  std::string credential;
  std::string app;
  int64_t time_ms = 0;      // the event's time (its timestamp, or when recorded)
  std::string fields_json;  // the event's own fields as a JSON object
};

// Which events to read. Every filter is applied by the store, precisely:
// since/until by the event's own time (`time`, what the table and --json
// show), after/before by stream id. Filters left unset do not filter.
struct EventQuery {
  std::string org;
  std::string app;  // empty: all
  // hit, failure, deploy, or a flip: incident_opened, incident_resolved
  // (kFlipTypes); empty: all.
  std::string type;
  std::string credential;           // a credential id; empty: all
  std::optional<int64_t> since_ms;  // event time at or after (Unix ms)
  std::optional<int64_t> until_ms;  // event time strictly before (Unix ms)
  std::optional<StreamId> after;    // stream id strictly greater
  std::optional<StreamId> before;   // stream id strictly smaller
  std::size_t limit = 100;          // at most this many (kNoEventLimit: all)
};
// The stream's entries that are not events: an incident opened or resolved
// by the event just before it (docs/redis-layout.md "The event stream").
inline constexpr const char* kIncidentOpened = "incident_opened";
inline constexpr const char* kIncidentResolved = "incident_resolved";
inline bool IsFlipType(std::string_view type) {
  return type == kIncidentOpened || type == kIncidentResolved;
}

inline constexpr std::size_t kNoEventLimit = std::numeric_limits<std::size_t>::max();

// An event's own time and the time Redis recorded it (its stream id) differ
// by at most what validation accepts (event.h: up to kMaxEventAgeMs old, up
// to kMaxEventSkewMs ahead), plus this much for the clocks of the Apache
// hosts and of Redis disagreeing. A time filter reads the stream ids widened
// by these bounds, then filters by `time` exactly.
inline constexpr int64_t kEventClockMarginMs = 5LL * 60 * 1000;

// One page of matching events, oldest first, at most 1000. Whatever the
// callback returns other than OK stops the read and is returned by it.
using EventPageFn = std::function<Status(const std::vector<StoredEvent>& page)>;

struct AppStats {
  std::string app;
  int64_t hits = 0;
  int64_t failures = 0;
  int64_t deploys = 0;
  std::optional<double> failure_rate;  // failures / (hits + failures); nullopt when both 0
};

// One hour of one app's counters.
struct HourStats {
  int64_t hour_ms = 0;  // the hour's start (Unix ms)
  int64_t hits = 0;
  int64_t failures = 0;
  int64_t deploys = 0;
};

inline constexpr int64_t kStatsRetentionMs = 32LL * 24 * 3600 * 1000;
// Counters an org's hour bucket may hold (one per application and kind:
// hits, failures, deploys): 1000 to 3000 applications per organization and
// hour; an event that would add one more is refused (invalid_event).
inline constexpr int64_t kMaxStatsFieldsPerHour = 3000;

// An event whose own time is more than this before it is recorded is still
// stored with its time, but counted in the hour it is recorded: so at most
// 25 hourly stats buckets of an org grow at any moment.
inline constexpr int64_t kMaxCountedEventAgeMs = 24LL * 3600 * 1000;

// How long an Idempotency-Key is remembered.
inline constexpr int64_t kIdempotencyKeyTtlMs = 24LL * 3600 * 1000;

// How long an org's events are kept, and how many at most (the stream is
// trimmed by both, approximately: whole stream nodes at a time). A deploy_id
// is remembered as long as events are (after that it can be recorded again).
// An org remembers at most max_idempotency_keys Idempotency-Keys and
// max_deploy_ids deploy_ids: a new one over the cap evicts the oldest, whose
// retry is then recorded again.
struct EventRetention {
  uint64_t max_events = 1000000;
  int64_t max_age_ms = 30LL * 24 * 3600 * 1000;
  uint64_t max_idempotency_keys = 100000;  // OnepMaxIdempotencyKeys
  uint64_t max_deploy_ids = 10000;         // OnepMaxDeployIds
  uint64_t max_apps = 1000;                // OnepMaxApps
  // Incidents an org keeps (the oldest resolved dropped first); resolved
  // ones are also dropped once resolved longer than max_age_ms ago.
  uint64_t max_incidents = 10000;
};
// The range of OnepMaxApps.
inline constexpr uint64_t kMinMaxApps = 1;
inline constexpr uint64_t kMaxMaxApps = 100000;
inline constexpr uint64_t kMaxRetentionEvents = 100000000;
inline constexpr int64_t kMaxRetentionAgeMs = 3650LL * 24 * 3600 * 1000;
// The ranges of OnepMaxIdempotencyKeys and OnepMaxDeployIds.
inline constexpr uint64_t kMinQuotaEntries = 100;
inline constexpr uint64_t kMaxQuotaEntries = 10000000;

// Stateless apart from its configuration; thread-safe.
class EventStore {
 public:
  explicit EventStore(KeySpace keys, EventRetention retention = EventRetention())
      : keys_(std::move(keys)), retention_(retention) {}
  const EventRetention& retention() const { return retention_; }

  // One round trip to the server of the token's slot (two only if Redis lost
  // its script cache; one more, a GET, for a legacy token). Unavailable when
  // Redis is unreachable or timed out: the caller must not report acceptance.
  // The script carries a deadline in Redis' clock (the connection's timeout,
  // less a margin): a command that a paused or slow Redis runs after the
  // caller gave up writes nothing, so there is no write without acceptance.
  Result<RecordOutcome> Record(RedisClient& redis, const RecordRequest& request) const;

  // Several events in one script call (group commit, record_batcher.h): one
  // outcome per request, in order, each exactly what Record() would have
  // given it alone. Every request has the same non-empty routing_tag (one
  // slot) and the same wait settings. A call that fails fails every request
  // of it with the same status.
  std::vector<Result<RecordOutcome>> RecordBatch(
      RedisClient& redis, const std::vector<const RecordRequest*>& requests) const;
  // Several batches (of several slots: several orgs), each as RecordBatch
  // would record it, their calls sent together (RedisClient::EvalAll: one
  // round trip on one server). The outcomes per batch, in order.
  std::vector<std::vector<Result<RecordOutcome>>> RecordBatches(
      RedisClient& redis, const std::vector<std::vector<const RecordRequest*>>& batches) const;

  // The scripts Record and RecordBatch run: for RedisClientOptions::preload.
  static std::vector<const Script*> Scripts();

  // Matching events, oldest first (the newest `limit` of them). Empty for an
  // org without a routing tag. Holds them all: for a bounded `limit`.
  Result<std::vector<StoredEvent>> List(RedisClient& redis, const EventQuery& query) const;

  // The first `limit` matching events, oldest first, handed to `page_fn` a
  // page at a time as they are read (XRANGE pages of 1000 entries, pages
  // without a match skipped): only one page is held, whatever the stream's
  // length, so query.limit = kNoEventLimit exports everything with flat
  // memory. Events recorded while it runs are read too if they match. An org
  // without a routing tag has no pages.
  Status Scan(RedisClient& redis, const EventQuery& query, const EventPageFn& page_fn) const;

  // Matching events recorded after stream id `after_id` ("$" style ids are not
  // accepted: pass the last id seen, or "0-0"), waiting up to block_ms for one.
  // When `cursor` is given it is set to the last id read, matching or not:
  // pass it as the next after_id so filtered-out events are not read again.
  Result<std::vector<StoredEvent>> ReadAfter(RedisClient& redis, const EventQuery& query,
                                             const std::string& after_id, int64_t block_ms,
                                             std::string* cursor = nullptr) const;

  // The id of the newest event of the org, "0-0" when there is none.
  Result<std::string> LastId(RedisClient& redis, const std::string& org) const;

  // Per-app totals over [now - window_ms, now], in whole hours (the current
  // hour included). Apps sorted by name; `app` non-empty restricts to one.
  Result<std::vector<AppStats>> Stats(RedisClient& redis, const std::string& org,
                                      const std::string& app, int64_t window_ms) const;

  // The same counters of one app hour by hour: every hour of the window,
  // oldest first, zeros included.
  Result<std::vector<HourStats>> HourlyStats(RedisClient& redis, const std::string& org,
                                             const std::string& app, int64_t window_ms) const;

 private:
  // The window's hour buckets, oldest first: each "<counter>:<app>" field
  // with its count, handed to `add` with the bucket's hour.
  Status ReadStatsBuckets(RedisClient& redis, const std::string& org, int64_t window_ms,
                          const std::function<void(int64_t hour, const std::string& counter,
                                                   const std::string& app, int64_t n)>& add) const;
  KeySpace keys_;
  EventRetention retention_;
};

}  // namespace onep

#endif  // ONEP_EVENT_STORE_H_
