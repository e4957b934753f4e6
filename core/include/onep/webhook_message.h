// SPDX-License-Identifier: Apache-2.0
// What one notification looks like on the wire: the entry of an org's outbox
// it comes from, its body (JSON with a one-line `text` a Slack incoming
// webhook shows), its webhook-id, and its signature as the Standard Webhooks
// specification defines it (docs/api.md, "Notifications").
//
// Thread-safety: plain functions of their arguments.
#ifndef ONEP_WEBHOOK_MESSAGE_H_
#define ONEP_WEBHOOK_MESSAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "onep/status.h"

namespace onep {

// One entry of P{tag}:outbox (docs/redis-layout.md).
struct OutboxEntry {
  std::string id;        // the stream entry id, "1700000000000-0"
  std::string type;      // incident_opened, incident_resolved or test
  std::string org;       // slug
  std::string app;       // empty for test
  std::string incident;  // the incident as stored (JSON object), "{}" for test
  int64_t time_ms = 0;   // when it was written, by Redis' clock
  std::string endpoint;  // test only: the one endpoint it is for
};

// The entry from a stream entry's field/value list (XREADGROUP's reply).
// Fields it does not know are ignored.
OutboxEntry OutboxEntryFromFields(std::string id, const std::vector<std::string>& fields);

// Whether the entry is for `endpoint_id`: every entry but a test entry for
// another endpoint.
bool OutboxEntryIsFor(const OutboxEntry& entry, std::string_view endpoint_id);

// "msg_" + endpoint id + "_" + outbox entry id: the same for every attempt.
std::string WebhookId(std::string_view endpoint_id, std::string_view outbox_id);

// The body: {"type", "timestamp" (RFC 3339 of `now_ms`), "org", "app",
// "incident" (as `onepctl incidents --json` prints it, null for test),
// "text"}. InvalidArgument for an unknown type; Internal when the stored
// incident is not a JSON object.
Result<std::string> WebhookBody(const OutboxEntry& entry, int64_t now_ms);

// "v1," + base64 of HMAC-SHA256(key, id + "." + timestamp + "." + body);
// `key` is the decoded secret (WebhookSigningKey, secret_box.h).
std::string WebhookSignature(std::string_view key, std::string_view webhook_id, int64_t timestamp_s,
                             std::string_view body);

}  // namespace onep

#endif  // ONEP_WEBHOOK_MESSAGE_H_
