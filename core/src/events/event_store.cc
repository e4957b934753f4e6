// SPDX-License-Identifier: Apache-2.0
#include "onep/event_store.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "onep/clock.h"
#include "onep/parse.h"
#include "onep/routing.h"
#include "onep/sha1.h"
#include "onep/stream_id.h"
#include "scripts/record_script.h"

namespace onep {
namespace {

constexpr int64_t kHourMs = 3600LL * 1000;
constexpr std::size_t kPageSize = 1000;

// The outcome the record script names `name`; nullopt for a name it never
// returns.
std::optional<RecordOutcome::Kind> OutcomeKindNamed(const std::string& name) {
  if (name == "accepted") return RecordOutcome::Kind::kAccepted;
  if (name == "duplicate") return RecordOutcome::Kind::kDuplicate;
  if (name == "invalid_token") return RecordOutcome::Kind::kInvalidToken;
  if (name == "forbidden") return RecordOutcome::Kind::kForbidden;
  if (name == "rate_limited") return RecordOutcome::Kind::kRateLimited;
  if (name == "invalid_event") return RecordOutcome::Kind::kInvalidEvent;
  if (name == "idempotency_key_reused") return RecordOutcome::Kind::kIdempotencyKeyReused;
  return std::nullopt;
}

// One XRANGE/XREAD entry: [id, [field, value, ...]].
StoredEvent FromEntry(const Reply& entry) {
  StoredEvent e;
  e.id = entry.elements[0].str;
  const auto& fields = entry.elements[1].elements;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].str;
    const std::string& value = fields[i + 1].str;
    if (name == "type") e.type = value;
    if (name == "credential") e.credential = value;
    if (name == "app") e.app = value;
    if (name == "time") e.time_ms = std::strtoll(value.c_str(), nullptr, 10);
    if (name == "fields") e.fields_json = value;
  }
  return e;
}

bool IsEntry(const Reply& entry) {
  return entry.elements.size() == 2 && entry.elements[1].type == Reply::Type::kArray;
}

bool Matches(const StoredEvent& e, const EventQuery& q) {
  if (!q.app.empty() && e.app != q.app) return false;
  if (!q.type.empty() && e.type != q.type) return false;
  if (!q.credential.empty() && e.credential != q.credential) return false;
  if (q.since_ms && e.time_ms < *q.since_ms) return false;
  if (q.until_ms && e.time_ms >= *q.until_ms) return false;
  if (q.after || q.before) {
    auto id = ParseStreamId(e.id);
    if (!id.ok()) return false;
    if (q.after && !(*q.after < *id)) return false;
    if (q.before && !(*id < *q.before)) return false;
  }
  return true;
}

// The stream ids that can hold a match, both ends included.
struct IdRange {
  StreamId first;
  StreamId last;
};

// The ids a query has to read: its after/before bounds, narrowed by its time
// bounds widened by how far an event's time may be from its recording (see
// kEventClockMarginMs). nullopt when no id can match.
std::optional<IdRange> CandidateIds(const EventQuery& q) {
  IdRange range{StreamId{0, 0}, StreamId{StreamId::kMaxPart, StreamId::kMaxPart}};
  if (q.after) {
    if (*q.after == range.last) return std::nullopt;
    range.first = q.after->seq < StreamId::kMaxPart ? StreamId{q.after->ms, q.after->seq + 1}
                                                    : StreamId::FirstOf(q.after->ms + 1);
  }
  if (q.before) {
    if (q.before->ms == 0 && q.before->seq == 0) return std::nullopt;
    range.last = q.before->seq > 0 ? StreamId{q.before->ms, q.before->seq - 1}
                                   : StreamId::LastOf(q.before->ms - 1);
  }
  // Recorded at most kMaxEventSkewMs before the event's time...
  if (q.since_ms) {
    int64_t earliest = *q.since_ms - kMaxEventSkewMs - kEventClockMarginMs;
    if (earliest > 0) range.first = std::max(range.first, StreamId::FirstOf(earliest));
  }
  // ... and at most kMaxEventAgeMs after it.
  if (q.until_ms) {
    int64_t latest = *q.until_ms + kMaxEventAgeMs + kEventClockMarginMs;
    if (latest < 0) return std::nullopt;
    range.last = std::min(range.last, StreamId::LastOf(latest));
  }
  if (range.last < range.first) return std::nullopt;
  return range;
}

Result<std::vector<StoredEvent>> PageOf(const Result<Reply>& reply, const char* command) {
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kArray) {
    return Status::Internal(std::string("unexpected ") + command + " reply: " + reply->str);
  }
  std::vector<StoredEvent> entries;
  entries.reserve(reply->elements.size());
  for (const auto& entry : reply->elements) {
    if (IsEntry(entry)) entries.push_back(FromEntry(entry));
  }
  return entries;
}

}  // namespace

Result<RecordOutcome> EventStore::Record(RedisClient& redis, const RecordRequest& request) const {
  if (!request.routing_tag.empty()) return std::move(RecordBatch(redis, {&request}).front());
  auto legacy = TokenRoutingTagOf(redis, keys_, "", request.token_hash, request.deadline);
  if (!legacy.ok()) return legacy.status();
  if (!legacy->has_value()) return RecordOutcome{};  // unknown: invalid token
  RecordRequest tagged = request;
  tagged.routing_tag = std::move(**legacy);
  return std::move(RecordBatch(redis, {&tagged}).front());
}

namespace {

// The record script's call for one org's events (one slot, one
// configuration), without its events: the keys and arguments they share.
Result<ScriptCall> RecordCall(const KeySpace& keys, const EventRetention& retention,
                              const std::string& tag, const std::string& events_key, int64_t now) {
  return scripts::RecordScript().BindCall(
      {{"last_used_key", keys.LastUsed(tag)},
       {"events_key", events_key},
       {"rate_key", keys.RateWindow(tag, now / 1000)},
       {"idempotencies_key", keys.Idempotencies(tag)},
       {"idempotency_ages_key", keys.IdempotencyAges(tag)},
       {"deploy_ids_key", keys.DeployIds(tag)},
       {"deploy_ages_key", keys.DeployIdAges(tag)},
       {"apps_key", keys.Apps(tag)},
       {"apps_seen_key", keys.AppsSeen(tag)},
       {"incidents_key", keys.Incidents(tag)},
       {"incident_index_key", keys.IncidentIndex(tag)},
       {"incidents_resolved_key", keys.IncidentsResolved(tag)},
       {"deploy_index_key", keys.DeployIndex(tag)},
       {"notify_key", keys.Notify(tag)},
       {"outbox_key", keys.Outbox(tag)}},
      {{"stream_max_len", std::to_string(retention.max_events)},
       // Stream ids are Unix ms: "<ms>-0" is the oldest an entry may be.
       {"oldest_event_id", std::to_string(std::max<int64_t>(now - retention.max_age_ms, 0)) + "-0"},
       {"retention_ms", std::to_string(retention.max_age_ms)},
       {"max_stats_fields", std::to_string(kMaxStatsFieldsPerHour)},
       {"max_idempotency_keys", std::to_string(retention.max_idempotency_keys)},
       {"max_deploy_ids", std::to_string(retention.max_deploy_ids)},
       {"max_apps", std::to_string(retention.max_apps)},
       {"max_incidents", std::to_string(retention.max_incidents)}});
}

// The hour whose stats bucket counts an event of time `event_time` recorded
// at `now`: its own, unless it is more than a day old (kMaxCountedEventAgeMs).
int64_t CountedHour(int64_t event_time, int64_t now) {
  return (event_time < now - kMaxCountedEventAgeMs ? now : event_time) / kHourMs;
}

// Adds one event's part to the record script's call `batch`.
Status AddRecordItem(const KeySpace& keys, const RecordRequest& request,
                     const std::string& events_key, int64_t now, ScriptCall& batch) {
  const ValidatedEvent& ev = request.event;
  const std::string& tag = request.routing_tag;
  // Keys that depend on time are named here, from this host's clock: the
  // hour that counts the event (its own time, or now). An event without a
  // timestamp is stored with the script's now (Redis' clock), the time the
  // rules give its incidents.
  const int64_t event_time = ev.time_ms != 0 ? ev.time_ms : now;
  const int64_t hour = CountedHour(event_time, now);
  const bool has_key = !request.idempotency_key.empty();
  // A test event's deploy_id is neither checked nor remembered.
  const bool has_deploy_id = !ev.test && !ev.deploy_id.empty();
  // Without an Idempotency-Key or a deploy_id the script never touches their
  // keys of before the quotas: the events key stands in (declared, in the
  // same slot), so that no key is hashed for nothing.
  return scripts::RecordScript().BindItem(
      batch,
      {{"token_key", keys.Token(tag, request.token_hash)},
       {"stats_key", keys.StatsBucket(tag, hour)},
       {"legacy_idempotency_key",
        has_key ? keys.Idempotency(tag, request.idempotency_key) : events_key},
       {"legacy_deploy_key", has_deploy_id ? keys.DeployId(tag, ev.deploy_id) : events_key}},
      {{"event_type", EventTypeName(ev.type)},
       {"app", ev.app},
       {"event_time", ev.time_ms != 0 ? std::to_string(ev.time_ms) : ""},
       {"count", std::to_string(ev.count)},
       {"fields", ev.fields_json},
       {"has_idempotency_key", has_key ? "1" : ""},
       {"idempotency_digest", has_key ? Sha1Hex(request.idempotency_key) : ""},
       {"request_fingerprint", request.request_fingerprint},
       {"deploy_id", has_deploy_id ? ev.deploy_id : ""},
       {"deploy_digest", has_deploy_id ? Sha1Hex(ev.deploy_id) : ""},
       {"deploy_status", ev.deploy_status},
       {"rate_limit", std::to_string(request.rate_limit)},
       {"stats_expire_at", std::to_string((hour + 1) * kHourMs + kStatsRetentionMs)},
       {"is_test", ev.test ? "1" : ""}});
}

// One event's result: {kind, credential id, org, detail}, or the error its
// part of the call raised (its event was not recorded; the call's other
// events were): Internal, or Unavailable for a command the ACL refuses, as
// when a whole call fails (ScriptReplyStatus).
Result<RecordOutcome> OutcomeOf(Reply&& reply, int64_t timeout_ms, const RedisClient& redis) {
  if (reply.is_error()) return ScriptReplyStatus(std::move(reply), redis.Describe()).status();
  if (reply.type == Reply::Type::kArray && !reply.elements.empty() &&
      reply.elements[0].str == "late") {
    return Status::Unavailable("Redis ran the command after its " + std::to_string(timeout_ms) +
                                   "ms deadline; nothing was recorded",
                               RedisFailure::kTimedOut);
  }
  // {kind, credential id, org, detail}, and for an accepted event the
  // incidents it opened and resolved.
  if (reply.type != Reply::Type::kArray ||
      (reply.elements.size() != 4 && reply.elements.size() != 6)) {
    return Status::Internal("unexpected reply from the record script");
  }
  const std::optional<RecordOutcome::Kind> kind = OutcomeKindNamed(reply.elements[0].str);
  if (!kind) return Status::Internal("unknown outcome " + reply.elements[0].str);
  RecordOutcome out;
  out.kind = *kind;
  out.credential_id = std::move(reply.elements[1].str);
  out.org = std::move(reply.elements[2].str);
  std::string& detail = reply.elements[3].str;
  switch (out.kind) {
    case RecordOutcome::Kind::kAccepted:
      if (reply.elements.size() == 6) {
        out.incidents_opened = static_cast<int>(reply.elements[4].integer);
        out.incidents_resolved = static_cast<int>(reply.elements[5].integer);
      }
      out.event_id = std::move(detail);
      break;
    case RecordOutcome::Kind::kDuplicate:
    case RecordOutcome::Kind::kIdempotencyKeyReused:
      out.event_id = std::move(detail);
      break;
    case RecordOutcome::Kind::kRateLimited:
      out.retry_after_s = std::atoi(detail.c_str());
      break;
    default:
      out.message = std::move(detail);
  }
  return out;
}

}  // namespace

std::vector<const Script*> EventStore::Scripts() { return {&scripts::RecordScript().script()}; }

namespace {

// The record script's call for one batch (one slot, one wait setting).
Result<ScriptCall> BatchCall(const KeySpace& keys, const EventRetention& retention,
                             const std::vector<const RecordRequest*>& requests, int64_t now) {
  const std::string& tag = requests.front()->routing_tag;
  const std::string events_key = keys.Events(tag);
  auto batch = RecordCall(keys, retention, tag, events_key, now);
  if (!batch.ok()) return batch;
  scripts::RecordScript().Reserve(*batch, requests.size());
  for (const RecordRequest* request : requests) {
    if (Status added = AddRecordItem(keys, *request, events_key, now, *batch); !added.ok()) {
      return added;
    }
  }
  // The call ends when the first of its events' requests must have its answer.
  for (const RecordRequest* request : requests) {
    batch->until = Earlier(batch->until, request->deadline);
  }
  batch->wait_replicas = requests.front()->wait_replicas;
  batch->wait_timeout_ms = requests.front()->wait_timeout_ms;
  return batch;
}

// Each event's outcome from the call's reply (a failed call fails them all;
// an event that failed in a call that ran has its own error).
std::vector<Result<RecordOutcome>> BatchOutcomes(Result<Reply> reply, std::size_t n,
                                                 int64_t timeout_ms, const RedisClient& redis) {
  if (!reply.ok()) return std::vector<Result<RecordOutcome>>(n, reply.status());
  if (reply->type != Reply::Type::kArray || reply->elements.size() != n) {
    return std::vector<Result<RecordOutcome>>(
        n, Status::Internal("unexpected reply from the record script"));
  }
  std::vector<Result<RecordOutcome>> out;
  out.reserve(n);
  for (Reply& item : reply->elements) {
    out.push_back(OutcomeOf(std::move(item), timeout_ms, redis));
  }
  return out;
}

}  // namespace

std::vector<Result<RecordOutcome>> EventStore::RecordBatch(
    RedisClient& redis, const std::vector<const RecordRequest*>& requests) const {
  if (requests.empty()) return {};
  auto call = BatchCall(keys_, retention_, requests, NowMs());
  if (!call.ok()) return std::vector<Result<RecordOutcome>>(requests.size(), call.status());
  return BatchOutcomes(redis.Eval(KeySpace::SlotKey(requests.front()->routing_tag), *call),
                       requests.size(), redis.timeout().count(), redis);
}

std::vector<std::vector<Result<RecordOutcome>>> EventStore::RecordBatches(
    RedisClient& redis, const std::vector<std::vector<const RecordRequest*>>& batches) const {
  const int64_t now = NowMs();
  const int64_t timeout_ms = redis.timeout().count();
  std::vector<std::vector<Result<RecordOutcome>>> out(batches.size());
  // Reserved: `sent` points into them.
  std::vector<ScriptCall> calls;
  std::vector<std::string> slot_keys;
  calls.reserve(batches.size());
  slot_keys.reserve(batches.size());
  std::vector<RedisClient::SlotCall> sent;
  std::vector<std::size_t> call_of(batches.size(), std::string::npos);  // batch -> its call
  for (std::size_t b = 0; b < batches.size(); ++b) {
    if (batches[b].empty()) continue;
    auto call = BatchCall(keys_, retention_, batches[b], now);
    if (!call.ok()) {
      out[b] = std::vector<Result<RecordOutcome>>(batches[b].size(), call.status());
      continue;
    }
    call_of[b] = calls.size();
    calls.push_back(std::move(call).value());
    slot_keys.push_back(KeySpace::SlotKey(batches[b].front()->routing_tag));
    sent.push_back({slot_keys.back(), &calls.back()});
  }
  std::vector<Result<Reply>> replies = redis.EvalAll(sent);
  for (std::size_t b = 0; b < batches.size(); ++b) {
    if (call_of[b] == std::string::npos) continue;
    out[b] = BatchOutcomes(std::move(replies[call_of[b]]), batches[b].size(), timeout_ms, redis);
  }
  return out;
}

Result<std::vector<StoredEvent>> EventStore::List(RedisClient& redis,
                                                  const EventQuery& query) const {
  // Walk back from the newest candidate, page by page, until `limit` match.
  std::vector<StoredEvent> out;
  auto tag = OrgRoutingTag(redis, keys_, query.org);
  if (!tag.ok()) return tag.status();
  std::optional<IdRange> range = CandidateIds(query);
  if (!tag->has_value() || !range) return out;
  const std::string events_key = keys_.Events(**tag);
  const std::string min = range->first.ToString();
  std::string max = range->last.ToString();
  while (out.size() < query.limit) {
    auto page = PageOf(redis.Command(events_key, {"XREVRANGE", events_key, max, min, "COUNT",
                                                  std::to_string(kPageSize)}),
                       "XREVRANGE");
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    const std::string last_read = page->back().id;  // before the moves below
    for (auto& e : *page) {
      if (Matches(e, query) && out.size() < query.limit) out.push_back(std::move(e));
    }
    if (page->size() < kPageSize) break;
    max = "(" + last_read;  // exclusive: continue below
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Status EventStore::Scan(RedisClient& redis, const EventQuery& query,
                        const EventPageFn& page_fn) const {
  auto tag = OrgRoutingTag(redis, keys_, query.org);
  if (!tag.ok()) return tag.status();
  std::optional<IdRange> range = CandidateIds(query);
  if (!tag->has_value() || !range) return Status::Ok();
  const std::string events_key = keys_.Events(**tag);
  const std::string max = range->last.ToString();
  std::string min = range->first.ToString();
  std::size_t left = query.limit;
  std::vector<StoredEvent> matching;
  while (left > 0) {
    auto page = PageOf(redis.Command(events_key, {"XRANGE", events_key, min, max, "COUNT",
                                                  std::to_string(kPageSize)}),
                       "XRANGE");
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    const std::string last_read = page->back().id;  // before the moves below
    matching.clear();
    for (auto& e : *page) {
      if (left > 0 && Matches(e, query)) {
        matching.push_back(std::move(e));
        --left;
      }
    }
    if (!matching.empty()) {
      if (Status s = page_fn(matching); !s.ok()) return s;
    }
    if (page->size() < kPageSize) break;
    min = "(" + last_read;  // exclusive: continue above
  }
  return Status::Ok();
}

Result<std::vector<StoredEvent>> EventStore::ReadAfter(RedisClient& redis, const EventQuery& query,
                                                       const std::string& after_id,
                                                       int64_t block_ms,
                                                       std::string* cursor) const {
  if (cursor != nullptr) *cursor = after_id;
  std::vector<StoredEvent> out;
  auto tag = OrgRoutingTag(redis, keys_, query.org);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return out;
  const std::string events_key = keys_.Events(**tag);
  auto reply =
      redis.Command(events_key, {"XREAD", "COUNT", std::to_string(kPageSize), "BLOCK",
                                 std::to_string(block_ms), "STREAMS", events_key, after_id});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return out;  // nothing new within block_ms
  if (reply->is_error()) return Status::Internal("XREAD failed: " + reply->str);
  for (const auto& stream : reply->elements) {
    if (stream.elements.size() != 2) continue;
    for (const auto& entry : stream.elements[1].elements) {
      if (!IsEntry(entry)) continue;
      StoredEvent e = FromEntry(entry);
      if (cursor != nullptr) *cursor = e.id;
      if (Matches(e, query)) out.push_back(std::move(e));
    }
  }
  return out;
}

Result<std::string> EventStore::LastId(RedisClient& redis, const std::string& org) const {
  auto tag = OrgRoutingTag(redis, keys_, org);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return std::string("0-0");
  const std::string events_key = keys_.Events(**tag);
  auto reply = redis.Command(events_key, {"XREVRANGE", events_key, "+", "-", "COUNT", "1"});
  if (!reply.ok()) return reply.status();
  if (reply->elements.empty() || !IsEntry(reply->elements[0])) return std::string("0-0");
  return reply->elements[0].elements[0].str;
}

Status EventStore::ReadStatsBuckets(
    RedisClient& redis, const std::string& org, int64_t window_ms,
    const std::function<void(int64_t hour, const std::string& counter, const std::string& app,
                             int64_t n)>& add) const {
  auto tag = OrgRoutingTag(redis, keys_, org);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return Status::Ok();
  const int64_t now = NowMs();
  const int64_t first = (now - window_ms) / kHourMs;
  const int64_t last = now / kHourMs;
  std::vector<std::vector<std::string>> reads;
  for (int64_t hour = first; hour <= last; ++hour) {
    reads.push_back({"HGETALL", keys_.StatsBucket(**tag, hour)});
  }
  auto buckets = redis.Pipeline(KeySpace::SlotKey(**tag), reads);
  if (!buckets.ok()) return buckets.status();
  for (std::size_t b = 0; b < buckets->size(); ++b) {
    const auto& bucket = (*buckets)[b];
    for (size_t i = 0; i + 1 < bucket.elements.size(); i += 2) {
      const std::string& field = bucket.elements[i].str;  // "<counter>:<app>"
      auto colon = field.find(':');
      if (colon == std::string::npos) continue;
      const int64_t n = std::strtoll(bucket.elements[i + 1].str.c_str(), nullptr, 10);
      add(first + static_cast<int64_t>(b), field.substr(0, colon), field.substr(colon + 1), n);
    }
  }
  return Status::Ok();
}

Result<std::vector<AppStats>> EventStore::Stats(RedisClient& redis, const std::string& org,
                                                const std::string& app, int64_t window_ms) const {
  std::map<std::string, AppStats> by_app;
  Status read = ReadStatsBuckets(
      redis, org, window_ms,
      [&](int64_t, const std::string& counter, const std::string& name, int64_t n) {
        if (!app.empty() && name != app) return;
        AppStats& s = by_app[name];
        s.app = name;
        if (counter == "hits") s.hits += n;
        if (counter == "failures") s.failures += n;
        if (counter == "deploys") s.deploys += n;
      });
  if (!read.ok()) return read;
  std::vector<AppStats> out;
  for (auto& [name, s] : by_app) {
    if (s.hits + s.failures > 0) {
      s.failure_rate = static_cast<double>(s.failures) / static_cast<double>(s.hits + s.failures);
    }
    out.push_back(s);
  }
  return out;
}

Result<std::vector<HourStats>> EventStore::HourlyStats(RedisClient& redis, const std::string& org,
                                                       const std::string& app,
                                                       int64_t window_ms) const {
  std::map<int64_t, HourStats> by_hour;
  Status read = ReadStatsBuckets(
      redis, org, window_ms,
      [&](int64_t hour, const std::string& counter, const std::string& name, int64_t n) {
        if (name != app) return;
        HourStats& s = by_hour[hour];
        if (counter == "hits") s.hits += n;
        if (counter == "failures") s.failures += n;
        if (counter == "deploys") s.deploys += n;
      });
  if (!read.ok()) return read;
  std::vector<HourStats> out;
  const int64_t now = NowMs();
  for (int64_t hour = (now - window_ms) / kHourMs; hour <= now / kHourMs; ++hour) {
    HourStats s = by_hour[hour];
    s.hour_ms = hour * kHourMs;
    out.push_back(s);
  }
  return out;
}

}  // namespace onep
