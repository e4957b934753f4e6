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

namespace onep {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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

Result<std::string> WebhookSecretKey(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) != kSecretPrefix) {
    return Status::InvalidArgument("a webhook secret starts with whsec_");
  }
  auto key = Base64Decode(secret.substr(kSecretPrefix.size()));
  if (!key.ok() || key->empty()) {
    return Status::InvalidArgument("a webhook secret is whsec_ and base64");
  }
  return key;
}

std::string WebhookSignature(std::string_view key, std::string_view webhook_id,
                             int64_t timestamp_s, std::string_view body) {
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

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Status::InvalidArgument("base64 of a wrong length");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t n = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    int value;
    if (c == '=') {
      if (i + 2 < text.size()) return Status::InvalidArgument("base64 padding inside");
      ++padding;
      value = 0;
    } else {
      if (padding > 0) return Status::InvalidArgument("base64 after its padding");
      const char* at = std::strchr(kAlphabet, c);
      if (at == nullptr || c == '\0') return Status::InvalidArgument("not base64");
      value = static_cast<int>(at - kAlphabet);
    }
    n = (n << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits == 24) {
      out += static_cast<char>((n >> 16) & 0xFF);
      out += static_cast<char>((n >> 8) & 0xFF);
      out += static_cast<char>(n & 0xFF);
      n = 0;
      bits = 0;
    }
  }
  out.resize(out.size() - padding);
  return out;
}

}  // namespace onep
