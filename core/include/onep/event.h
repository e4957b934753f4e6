// SPDX-License-Identifier: Apache-2.0
// Webhook events: the three types and the validation of a request body.
#ifndef ONEP_EVENT_H_
#define ONEP_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "onep/status.h"

namespace onep {

enum class EventType { kHit, kFailure, kDeploy };

// "hit", "failure", "deploy".
const char* EventTypeName(EventType type);
std::optional<EventType> ParseEventType(std::string_view name);

// Limits applied by ParseEvent (documented in docs/api.md).
inline constexpr int64_t kMaxCount = 10000;
inline constexpr int64_t kMaxEventAgeMs = 30LL * 24 * 3600 * 1000;  // timestamps up to 30 days old
inline constexpr int64_t kMaxEventSkewMs = 3600LL * 1000;           // and 1 hour in the future
inline constexpr int kMaxJsonDepth = 16;

// The byte budget of an event as stored in Redis, where its fields are kept
// as JSON: a control character costs 6 bytes there (\u001F), '"' and '\' 2,
// so limits count the bytes stored, not the bytes received.
struct EventLimits {
  // Each free-text field (message, error, description), as stored.
  std::size_t max_field_bytes = 4096;
  // All the event's own fields together (the JSON object), as stored.
  std::size_t max_event_bytes = 6144;
};
inline constexpr std::size_t kMaxFieldBytesLimit = 64 * 1024;
inline constexpr std::size_t kMaxEventBytesLimit = 256 * 1024;

// A request body that passed validation, ready to record.
struct ValidatedEvent {
  EventType type = EventType::kHit;
  std::string app;            // empty: the credential's app applies
  int64_t time_ms = 0;        // 0: "now" as Redis records it
  int64_t count = 1;          // hits and failures; 1 for deploys
  std::string deploy_id;      // deploys only; empty: none
  std::string deploy_status;  // deploys only: succeeded (default), failed, rolled_back, started
  // "test": true: recorded in the stream and listed, left out of stats, apps,
  // monitors, incidents and the deploy index; its deploy_id is not remembered.
  bool test = false;
  // The event's own fields as a compact JSON object, defaults applied:
  // {"count":3,"message":"..."} or {"version":"1.2.0","environment":"production",...}.
  std::string fields_json;
};

// Validates `body` for the route of `type`, field by field.
// InvalidJson: not UTF-8 JSON, not an object, duplicate keys, nested deeper than kMaxJsonDepth.
// InvalidEvent: a field is missing, unknown, of the wrong type or out of range;
//   the message names the field ("count must be an integer from 1 to 10000").
//   A test event ("test": true) needs none of the fields otherwise required
//   (app, version); the fields it has are checked as usual.
//   A free-text field larger than limits.max_field_bytes as stored, or an event
//   whose fields take more than limits.max_event_bytes as stored, is refused
//   naming the field.
// `now_ms` bounds `timestamp`.
Result<ValidatedEvent> ParseEvent(EventType type, std::string_view body, int64_t now_ms,
                                  const EventLimits& limits = EventLimits());

// Idempotency-Key header values: 1-200 printable ASCII characters.
bool IsValidIdempotencyKey(std::string_view key);

}  // namespace onep

#endif  // ONEP_EVENT_H_
