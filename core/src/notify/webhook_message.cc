// SPDX-License-Identifier: Apache-2.0
#include "onep/webhook_message.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

#include "onep/admin.h"
#include "onep/json.h"
#include "onep/monitor_store.h"
#include "onep/parse.h"
#include "onep/text.h"

namespace onep {
namespace {

void SetString(json_t* object, const char* key, const std::string& value) {
  json_object_set_new(object, key, json_stringn(value.data(), value.size()));
}

// "12:03:04 UTC"
std::string ClockUtc(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%H:%M:%S UTC", &utc);
  return text;
}

// "45s", "5m", "1h 5m", "2d 3h": the two largest units, rounded down.
std::string HumanDuration(int64_t ms) {
  int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + "s";
  const int64_t m = s / 60;
  if (m < 60) return std::to_string(m) + "m";
  const int64_t h = m / 60;
  if (h < 24) return std::to_string(h) + "h" + (m % 60 ? " " + std::to_string(m % 60) + "m" : "");
  return std::to_string(h / 24) + "d" + (h % 24 ? " " + std::to_string(h % 24) + "h" : "");
}

std::string Text(const OutboxEntry& entry, const Incident* incident) {
  const std::string where = entry.org + "/" + entry.app;
  if (entry.type == "incident_opened") {
    return "\xF0\x9F\x94\xB4 " + where + " is down: " + std::to_string(incident->failures) +
           (incident->failures == 1 ? " failure" : " failures") + " since " +
           ClockUtc(incident->opened_at) + " (incident " + incident->id + ")";
  }
  if (entry.type == "incident_resolved") {
    int64_t ms = 0;
    if (incident->duration_s) {
      ms = static_cast<int64_t>(*incident->duration_s * 1000);
    } else if (incident->resolved_at) {
      ms = *incident->resolved_at - incident->opened_at;
    }
    return "\xE2\x9C\x85 " + where + " recovered after " + HumanDuration(ms);
  }
  return "onep test notification for " + entry.org;
}

}  // namespace

OutboxEntry OutboxEntryFromFields(std::string id, const std::vector<std::string>& fields) {
  OutboxEntry entry;
  entry.id = std::move(id);
  entry.incident = "{}";
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i];
    const std::string& value = fields[i + 1];
    if (name == "type") {
      entry.type = value;
    } else if (name == "org") {
      entry.org = value;
    } else if (name == "app") {
      entry.app = value;
    } else if (name == "incident") {
      entry.incident = value;
    } else if (name == "time") {
      entry.time_ms = std::strtoll(value.c_str(), nullptr, 10);
    } else if (name == "endpoint") {
      entry.endpoint = value;
    }
  }
  return entry;
}

bool OutboxEntryIsFor(const OutboxEntry& entry, std::string_view endpoint_id) {
  return entry.type != "test" || entry.endpoint == endpoint_id;
}

std::string WebhookId(std::string_view endpoint_id, std::string_view outbox_id) {
  std::string id = "msg_";
  id.append(endpoint_id).append("_").append(outbox_id);
  return id;
}

Result<std::string> WebhookBody(const OutboxEntry& entry, int64_t now_ms) {
  const char* type = nullptr;
  if (entry.type == "incident_opened") {
    type = "incident.opened";
  } else if (entry.type == "incident_resolved") {
    type = "incident.resolved";
  } else if (entry.type == "test") {
    type = "test";
  } else {
    return Status::InvalidArgument("unknown notification type \"" + entry.type + "\"");
  }
  JsonPtr body(json_object());
  SetString(body.get(), "type", type);
  SetString(body.get(), "timestamp", FormatRfc3339Ms(now_ms));
  SetString(body.get(), "org", entry.org);
  SetString(body.get(), "app", entry.app);
  Incident incident;
  if (entry.type == "test") {
    json_object_set_new(body.get(), "incident", json_null());
  } else {
    auto parsed = ParseIncident("", entry.incident);
    if (!parsed.ok()) return parsed.status();
    incident = std::move(parsed).value();
    json_object_set_new(body.get(), "incident", admin::IncidentJson(incident).release());
  }
  SetString(body.get(), "text", Text(entry, &incident));
  return JsonDump(body.get());
}

std::string WebhookSignature(std::string_view key, std::string_view webhook_id, int64_t timestamp_s,
                             std::string_view body) {
  std::string signed_text;
  signed_text.reserve(webhook_id.size() + body.size() + 24);
  signed_text.append(webhook_id).append(".").append(std::to_string(timestamp_s)).append(".");
  signed_text.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &mac_len);
  return "v1," + Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

}  // namespace onep
