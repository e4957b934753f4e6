// SPDX-License-Identifier: Apache-2.0
// Validation of webhook bodies.
//
// Rules (docs/api.md describes them for users):
// - The body must be one JSON object, UTF-8, without duplicate keys, nested at
//   most kMaxJsonDepth levels (the top-level object is level 1). Anything else
//   is InvalidJson.
// - Fields are then checked in this order, and the first problem is reported
//   (InvalidEvent, the message naming the field): unknown fields, in body
//   order; then each known field in the order of the tables below.
// - "\u0000" is valid JSON but no field accepts it (InvalidEvent).
// - null is not "absent": {"message":null} is refused ("message must be a
//   string"), so that a client bug is reported rather than papered over.
// - String limits are in bytes of UTF-8. Single-line fields (everything but
//   message, error and description) must not contain control characters.
// - fields_json holds the event's own fields in the order of the tables below,
//   defaults applied: hits and failures always have "count", deploys always
//   have "version", "environment" and "status". Times (started_at,
//   finished_at, committed_at) are normalised to UTC with milliseconds. "app" and
//   "timestamp" are not in it: they become ValidatedEvent::app and time_ms.
// - "test" is known on every route and checked first, as it decides what is
//   required: true or false only (false is as if absent). A test event needs
//   no "version" (deploys); its fields_json ends with "test":true.
#include "onep/event.h"

#include <charconv>
#include <cstring>
#include <vector>

#include "onep/json.h"
#include "onep/parse.h"
#include "onep/text.h"

namespace onep {
namespace {

enum class FieldKind {
  kApp,        // slug
  kTimestamp,  // RFC 3339, within the accepted window; becomes time_ms
  kCount,      // integer 1..kMaxCount, default 1 (ValidatedEvent's default)
  kText,       // string, may span lines
  kLine,       // string without control characters
  kTime,       // RFC 3339, normalised
  kStatus,     // deploy status
  kDeployId,   // 1-128 of [A-Za-z0-9._:-]
};

struct FieldSpec {
  const char* name;
  FieldKind kind;
  std::size_t min_bytes = 0;  // kLine
  std::size_t max_bytes = 0;  // kLine, as received; kText: EventLimits::max_field_bytes, as stored
  const char* default_value = nullptr;  // kLine and kStatus: added when absent
  bool required = false;
};

const std::vector<FieldSpec>& HitFields() {
  static const std::vector<FieldSpec> kFields = {
      {"app", FieldKind::kApp},
      {"timestamp", FieldKind::kTimestamp},
      {"count", FieldKind::kCount},
      {"message", FieldKind::kText},
  };
  return kFields;
}

const std::vector<FieldSpec>& FailureFields() {
  static const std::vector<FieldSpec> kFields = {
      {"app", FieldKind::kApp},     {"timestamp", FieldKind::kTimestamp},
      {"count", FieldKind::kCount}, {"message", FieldKind::kText},
      {"error", FieldKind::kText},
  };
  return kFields;
}

const std::vector<FieldSpec>& DeployFields() {
  static const std::vector<FieldSpec> kFields = {
      {"app", FieldKind::kApp},
      {"timestamp", FieldKind::kTimestamp},
      {"version", FieldKind::kLine, 1, 200, nullptr, true},
      {"environment", FieldKind::kLine, 1, 100, "production"},
      {"status", FieldKind::kStatus, 0, 0, "succeeded"},
      {"commit", FieldKind::kLine, 0, 200},
      {"repository", FieldKind::kLine, 0, 2048},
      {"author", FieldKind::kLine, 0, 200},
      {"description", FieldKind::kText},
      {"url", FieldKind::kLine, 0, 2048},
      {"started_at", FieldKind::kTime},
      {"finished_at", FieldKind::kTime},
      {"committed_at", FieldKind::kTime},
      {"deploy_id", FieldKind::kDeployId},
  };
  return kFields;
}

const std::vector<FieldSpec>& FieldsOf(EventType type) {
  switch (type) {
    case EventType::kHit:
      return HitFields();
    case EventType::kFailure:
      return FailureFields();
    case EventType::kDeploy:
      break;
  }
  return DeployFields();
}

// Marks a test event (ValidatedEvent::test); on every route.
constexpr const char* kTestField = "test";

constexpr const char* kStatuses[] = {"succeeded", "failed", "rolled_back", "started"};

// The deepest nesting of arrays and objects in `body`, counting brackets
// outside strings. Cheap, and it runs before Jansson so that a hostile body
// cannot make the parser recurse deeply. Malformed input is left for Jansson.
int MaxDepth(std::string_view body) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) max_depth = depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

bool HasControlCharacter(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      return true;  // C1 control, U+0080..U+009F
    }
  }
  return false;
}

bool IsDeployIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

std::string Describe(int64_t ms) {
  if (ms % (24 * 3600 * 1000) == 0) {
    int64_t days = ms / (24 * 3600 * 1000);
    return std::to_string(days) + (days == 1 ? " day" : " days");
  }
  int64_t hours = ms / (3600 * 1000);
  return std::to_string(hours) + (hours == 1 ? " hour" : " hours");
}

Status NotATime(const std::string& name) {
  return Status::InvalidEvent(name +
                              " must be an RFC 3339 date-time such as \"2026-11-27T10:00:00Z\"");
}

// The bytes `text` takes as a JSON string, quotes included: what it costs in
// the stored fields.
std::size_t StoredBytes(std::string_view text) {
  std::string out;
  AppendJsonString(text, out);
  return out.size();
}

// An event's fields as stored (fields_json), written as they are checked, in
// the order of the tables: compact JSON, byte for byte what JsonDump writes
// for the same object, without building one.
class FieldsJson {
 public:
  FieldsJson() { out_.push_back('{'); }
  void Integer(const char* name, int64_t value) {
    Key(name);
    char digits[24];
    out_.append(digits, std::to_chars(digits, digits + sizeof(digits), value).ptr);
  }
  void String(const char* name, std::string_view value) {
    Key(name);
    const std::size_t before = out_.size();
    AppendJsonString(value, out_);
    // The first of the largest, as the message about a too large event names.
    if (out_.size() - before > largest_bytes_) {
      largest_ = name;
      largest_bytes_ = out_.size() - before;
    }
  }
  void True(const char* name) {
    Key(name);
    out_.append("true");
  }
  std::size_t size() const { return out_.size() + 1; }  // with its closing brace
  // The string field that takes the most bytes, or null.
  const char* largest() const { return largest_; }
  std::string Finish() {
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  void Key(const char* name) {
    if (out_.size() > 1) out_.push_back(',');
    AppendJsonString(name, out_);
    out_.push_back(':');
  }
  std::string out_;
  const char* largest_ = nullptr;
  std::size_t largest_bytes_ = 0;
};

// Checks one present field and stores it in `event` or `fields`.
Status ApplyField(const FieldSpec& spec, json_t* value, int64_t now_ms, const EventLimits& limits,
                  ValidatedEvent& event, FieldsJson& fields) {
  const std::string name = spec.name;
  if (spec.kind == FieldKind::kCount) {
    if (!json_is_integer(value) || json_integer_value(value) < 1 ||
        json_integer_value(value) > kMaxCount) {
      return Status::InvalidEvent(name + " must be an integer from 1 to " +
                                  std::to_string(kMaxCount));
    }
    event.count = json_integer_value(value);
    fields.Integer(spec.name, event.count);
    return Status::Ok();
  }
  if (!json_is_string(value)) return Status::InvalidEvent(name + " must be a string");
  std::string_view text(json_string_value(value), json_string_length(value));

  switch (spec.kind) {
    case FieldKind::kApp:
      if (!IsValidSlug(text)) {
        return Status::InvalidEvent(name + " must be a slug: it must match " +
                                    std::string(kSlugPattern));
      }
      event.app = std::string(text);
      return Status::Ok();

    case FieldKind::kTimestamp: {
      auto ms = ParseRfc3339Ms(text);
      if (!ms.ok()) return NotATime(name);
      if (*ms < now_ms - kMaxEventAgeMs) {
        return Status::InvalidEvent(name + " must not be more than " + Describe(kMaxEventAgeMs) +
                                    " in the past");
      }
      if (*ms > now_ms + kMaxEventSkewMs) {
        return Status::InvalidEvent(name + " must not be more than " + Describe(kMaxEventSkewMs) +
                                    " in the future");
      }
      event.time_ms = *ms;
      return Status::Ok();
    }

    case FieldKind::kTime: {
      auto ms = ParseRfc3339Ms(text);
      if (!ms.ok()) return NotATime(name);
      fields.String(spec.name, FormatRfc3339Ms(*ms));
      return Status::Ok();
    }

    case FieldKind::kStatus:
      for (const char* status : kStatuses) {
        if (text == status) {
          fields.String(spec.name, status);
          event.deploy_status = status;
          return Status::Ok();
        }
      }
      return Status::InvalidEvent(name + " must be one of succeeded, failed, rolled_back, started");

    case FieldKind::kDeployId: {
      bool ok = !text.empty() && text.size() <= 128;
      for (char c : text) ok = ok && IsDeployIdChar(c);
      if (!ok) {
        return Status::InvalidEvent(
            name + " must be 1 to 128 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'");
      }
      event.deploy_id = std::string(text);
      fields.String(spec.name, text);
      return Status::Ok();
    }

    case FieldKind::kText:
      if (StoredBytes(text) > limits.max_field_bytes + 2) {
        return Status::InvalidEvent(
            name + " must be at most " + std::to_string(limits.max_field_bytes) +
            " bytes as stored (a control character takes 6, '\"' and '\\' take 2)");
      }
      if (text.find('\0') != std::string_view::npos) {
        return Status::InvalidEvent(name + " must not contain NUL (\\u0000)");
      }
      fields.String(spec.name, text);
      return Status::Ok();

    case FieldKind::kLine:
      if (text.size() < spec.min_bytes || text.size() > spec.max_bytes) {
        if (spec.min_bytes == 0) {
          return Status::InvalidEvent(name + " must be at most " + std::to_string(spec.max_bytes) +
                                      " bytes long");
        }
        return Status::InvalidEvent(name + " must be " + std::to_string(spec.min_bytes) + " to " +
                                    std::to_string(spec.max_bytes) + " bytes long");
      }
      if (HasControlCharacter(text)) {
        return Status::InvalidEvent(name + " must not contain control characters");
      }
      if (text.find('\0') != std::string_view::npos) {
        return Status::InvalidEvent(name + " must not contain NUL (\\u0000)");
      }
      fields.String(spec.name, text);
      return Status::Ok();

    case FieldKind::kCount:
      break;  // handled above
  }
  return Status::Internal("unhandled field kind");
}

}  // namespace

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kHit:
      return "hit";
    case EventType::kFailure:
      return "failure";
    case EventType::kDeploy:
      return "deploy";
  }
  return "unknown";
}

std::optional<EventType> ParseEventType(std::string_view name) {
  for (EventType type : {EventType::kHit, EventType::kFailure, EventType::kDeploy}) {
    if (name == EventTypeName(type)) return type;
  }
  return std::nullopt;
}

Result<ValidatedEvent> ParseEvent(EventType type, std::string_view body, int64_t now_ms,
                                  const EventLimits& limits) {
  if (MaxDepth(body) > kMaxJsonDepth) {
    return Status::InvalidJson("body is nested deeper than " + std::to_string(kMaxJsonDepth) +
                               " levels");
  }
  json_error_t error;
  // JSON_ALLOW_NUL: "\u0000" is valid JSON, so a string holding it is a field
  // problem (422, naming the field), not a syntax error.
  JsonPtr root(json_loadb(body.data(), body.size(),
                          JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &error));
  if (root == nullptr) {
    if (json_error_code(&error) == json_error_numeric_overflow) {
      return Status::InvalidEvent("a number is out of range");
    }
    if (json_error_code(&error) == json_error_null_byte_in_key) {
      return Status::InvalidEvent("unknown field (a key containing \\u0000)");
    }
    return Status::InvalidJson(std::string(error.text) + " (line " + std::to_string(error.line) +
                               ", column " + std::to_string(error.column) + ")");
  }
  if (!json_is_object(root.get())) return Status::InvalidJson("body must be a JSON object");

  const std::vector<FieldSpec>& specs = FieldsOf(type);
  for (void* it = json_object_iter(root.get()); it != nullptr;
       it = json_object_iter_next(root.get(), it)) {
    const char* key = json_object_iter_key(it);
    bool known = std::strcmp(key, kTestField) == 0;
    for (const FieldSpec& spec : specs) known = known || std::strcmp(key, spec.name) == 0;
    if (!known) return Status::InvalidEvent("unknown field " + QuoteForMessage(key));
  }

  ValidatedEvent event;
  event.type = type;
  if (json_t* test = json_object_get(root.get(), kTestField); test != nullptr) {
    if (!json_is_boolean(test)) {
      return Status::InvalidEvent(std::string(kTestField) + " must be true or false");
    }
    event.test = json_is_true(test);
  }
  FieldsJson fields;
  for (const FieldSpec& spec : specs) {
    json_t* value = json_object_get(root.get(), spec.name);
    if (value == nullptr) {
      if (spec.required && !event.test)
        return Status::InvalidEvent(std::string(spec.name) + " is required");
      if (spec.kind == FieldKind::kCount) {
        fields.Integer(spec.name, event.count);
      } else if (spec.default_value != nullptr) {
        fields.String(spec.name, spec.default_value);
        if (spec.kind == FieldKind::kStatus) event.deploy_status = spec.default_value;
      }
      continue;
    }
    Status st = ApplyField(spec, value, now_ms, limits, event, fields);
    if (!st.ok()) return st;
  }
  if (event.test) fields.True(kTestField);
  if (fields.size() > limits.max_event_bytes) {
    // Named by the largest field, the one to shorten.
    return Status::InvalidEvent(
        "the event's fields take " + std::to_string(fields.size()) +
        " bytes as stored, more than " + std::to_string(limits.max_event_bytes) +
        (fields.largest() == nullptr ? std::string()
                                     : "; shorten " + std::string(fields.largest())));
  }
  event.fields_json = fields.Finish();
  return event;
}

bool IsValidIdempotencyKey(std::string_view key) {
  // "1-200 printable characters" (the contract): printable ASCII, space
  // included. Leading or trailing spaces cannot arrive in an HTTP header value,
  // so they are refused to keep a key and its trimmed form from differing.
  if (key.empty() || key.size() > 200) return false;
  if (key.front() == ' ' || key.back() == ' ') return false;
  for (char c : key) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace onep
