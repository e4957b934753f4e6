#include "onep/event_store.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "onep/parse.h"
#include "scripts.h"

namespace onep {
namespace {

constexpr int64_t kHourMs = 3600LL * 1000;
constexpr std::size_t kPageSize = 1000;

RecordOutcome::Kind KindFromName(const std::string& name, bool* known) {
  *known = true;
  if (name == "accepted") return RecordOutcome::Kind::kAccepted;
  if (name == "duplicate") return RecordOutcome::Kind::kDuplicate;
  if (name == "invalid_token") return RecordOutcome::Kind::kInvalidToken;
  if (name == "forbidden") return RecordOutcome::Kind::kForbidden;
  if (name == "rate_limited") return RecordOutcome::Kind::kRateLimited;
  if (name == "invalid_event") return RecordOutcome::Kind::kInvalidEvent;
  *known = false;
  return RecordOutcome::Kind::kInvalidToken;
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
  if (q.type && e.type != EventTypeName(*q.type)) return false;
  return true;
}

}  // namespace

Result<RecordOutcome> EventStore::Record(RedisConnection& conn,
                                         const RecordRequest& request) const {
  const ValidatedEvent& ev = request.event;
  // The script must not write once this call has timed out; the margin covers
  // the reply's way back and the error of the clock offset.
  const int64_t timeout_ms = conn.timeout().count();
  const int64_t deadline =
      NowMs() + conn.clock_offset_ms() + timeout_ms - std::max<int64_t>(timeout_ms / 10, 5);
  auto reply =
      conn.Eval(scripts::Record(), {keys_.Token(request.token_hash)},
                {keys_.prefix(), EventTypeName(ev.type), ev.app, std::to_string(ev.time_ms),
                 std::to_string(ev.count), ev.fields_json, request.idempotency_key, ev.deploy_id,
                 std::to_string(request.rate_limit), std::to_string(stream_max_len_),
                 std::to_string(kStatsRetentionMs), std::to_string(deadline)});
  if (!reply.ok()) return reply.status();
  if (reply->type == Reply::Type::kArray && !reply->elements.empty() &&
      reply->elements[0].str == "late") {
    return Status::Unavailable("Redis ran the command after its " + std::to_string(timeout_ms) +
                               "ms deadline; nothing was recorded");
  }
  if (reply->type != Reply::Type::kArray || reply->elements.size() != 4) {
    return Status::Internal("unexpected reply from the record script");
  }
  bool known = false;
  RecordOutcome out;
  out.kind = KindFromName(reply->elements[0].str, &known);
  if (!known) return Status::Internal("unknown outcome " + reply->elements[0].str);
  out.credential_id = reply->elements[1].str;
  out.org = reply->elements[2].str;
  const std::string& detail = reply->elements[3].str;
  switch (out.kind) {
    case RecordOutcome::Kind::kAccepted:
    case RecordOutcome::Kind::kDuplicate:
      out.event_id = detail;
      break;
    case RecordOutcome::Kind::kRateLimited:
      out.retry_after_s = std::atoi(detail.c_str());
      break;
    default:
      out.message = detail;
  }
  return out;
}

Result<std::vector<StoredEvent>> EventStore::List(RedisConnection& conn,
                                                  const EventQuery& query) const {
  // Walk back from the newest entry, page by page, until `limit` match.
  std::vector<StoredEvent> out;
  const std::string min = query.since_ms > 0 ? std::to_string(query.since_ms) : "-";
  std::string max = "+";
  while (out.size() < query.limit) {
    auto page = conn.Command(
        {"XREVRANGE", keys_.Events(query.org), max, min, "COUNT", std::to_string(kPageSize)});
    if (!page.ok()) return page.status();
    if (page->type != Reply::Type::kArray) return Status::Internal("unexpected XREVRANGE reply");
    for (const auto& entry : page->elements) {
      if (!IsEntry(entry)) continue;
      StoredEvent e = FromEntry(entry);
      if (Matches(e, query) && out.size() < query.limit) out.push_back(std::move(e));
    }
    if (page->elements.size() < kPageSize) break;
    max = "(" + page->elements.back().elements[0].str;  // exclusive: continue below
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<StoredEvent>> EventStore::ReadAfter(RedisConnection& conn,
                                                       const EventQuery& query,
                                                       const std::string& after_id,
                                                       int64_t block_ms,
                                                       std::string* cursor) const {
  auto reply =
      conn.Command({"XREAD", "COUNT", std::to_string(kPageSize), "BLOCK", std::to_string(block_ms),
                    "STREAMS", keys_.Events(query.org), after_id});
  if (!reply.ok()) return reply.status();
  if (cursor != nullptr) *cursor = after_id;
  std::vector<StoredEvent> out;
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

Result<std::string> EventStore::LastId(RedisConnection& conn, const std::string& org) const {
  auto reply = conn.Command({"XREVRANGE", keys_.Events(org), "+", "-", "COUNT", "1"});
  if (!reply.ok()) return reply.status();
  if (reply->elements.empty() || !IsEntry(reply->elements[0])) return std::string("0-0");
  return reply->elements[0].elements[0].str;
}

Result<std::vector<AppStats>> EventStore::Stats(RedisConnection& conn, const std::string& org,
                                                const std::string& app, int64_t window_ms) const {
  const int64_t now = NowMs();
  const int64_t first = (now - window_ms) / kHourMs;
  const int64_t last = now / kHourMs;
  std::vector<std::vector<std::string>> reads;
  for (int64_t hour = first; hour <= last; ++hour) {
    reads.push_back({"HGETALL", keys_.StatsBucket(org, hour)});
  }
  auto buckets = conn.Pipeline(reads);
  if (!buckets.ok()) return buckets.status();
  std::map<std::string, AppStats> by_app;
  for (const auto& bucket : *buckets) {
    for (size_t i = 0; i + 1 < bucket.elements.size(); i += 2) {
      const std::string& field = bucket.elements[i].str;  // "<counter>:<app>"
      auto colon = field.find(':');
      if (colon == std::string::npos) continue;
      std::string name = field.substr(colon + 1);
      if (!app.empty() && name != app) continue;
      int64_t n = std::strtoll(bucket.elements[i + 1].str.c_str(), nullptr, 10);
      AppStats& s = by_app[name];
      s.app = name;
      std::string counter = field.substr(0, colon);
      if (counter == "hits") s.hits += n;
      if (counter == "failures") s.failures += n;
      if (counter == "deploys") s.deploys += n;
    }
  }
  std::vector<AppStats> out;
  for (auto& [name, s] : by_app) {
    if (s.hits + s.failures > 0) {
      s.failure_rate = static_cast<double>(s.failures) / static_cast<double>(s.hits + s.failures);
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace onep
