// SPDX-License-Identifier: Apache-2.0
#include "output.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "onep/monitor_store.h"
#include "onep/parse.h"
#include "onep/text.h"

namespace onep::cli {
namespace {

constexpr std::size_t kMaxDetailValue = 60;  // code points of one value in a table

std::string DetailValue(const json_t* value) {
  if (json_is_string(value)) {
    std::string text(json_string_value(value), json_string_length(value));
    bool plain = !text.empty() && text.find_first_of(" \"='\\") == std::string::npos;
    return CutToColumns(plain ? text : JsonDump(value), kMaxDetailValue);
  }
  return CutToColumns(JsonDump(value), kMaxDetailValue);
}

}  // namespace

std::string JsonOut(const json_t* value, bool pretty) {
  return EscapeTerminalUnsafe(JsonDump(value, pretty));
}

std::size_t DisplayWidth(std::string_view text) { return TerminalWidth(text); }

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (auto& cell : cells) cell = SanitizeForTerminal(cell);
  rows_.push_back(std::move(cells));
}

std::vector<std::size_t> Table::Widths() const {
  std::vector<std::size_t> widths;
  for (const auto& header : headers_) widths.push_back(DisplayWidth(header));
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  return widths;
}

std::string Table::RenderRow(const std::vector<std::string>& cells,
                             const std::vector<std::size_t>& widths) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += "  ";
    line += cells[i];
    if (i + 1 < cells.size() && i < widths.size()) {
      std::size_t width = DisplayWidth(cells[i]);
      if (width < widths[i]) line.append(widths[i] - width, ' ');
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

std::string Table::Render() const {
  std::vector<std::size_t> widths = Widths();
  std::string out = RenderRow(headers_, widths);
  for (const auto& row : rows_) out += RenderRow(row, widths);
  return out;
}

std::string KeyValueBlock(const KeyValues& rows) {
  std::size_t width = 0;
  for (const auto& [key, value] : rows) width = std::max(width, DisplayWidth(key) + 1);
  std::string out;
  for (const auto& [key, value] : rows) {
    std::string label = key + ":";
    label.append(width - DisplayWidth(label) + 2, ' ');
    out += label + SanitizeForTerminal(value) + "\n";
  }
  return out;
}

std::string HumanTime(std::optional<int64_t> unix_ms, std::string_view absent) {
  if (!unix_ms) return std::string(absent);
  std::string text = FormatRfc3339Ms(*unix_ms);  // "...:00.123Z"
  std::size_t dot = text.rfind('.');
  if (dot != std::string::npos && text.size() == dot + 5) text.erase(dot, 4);
  return text;
}

std::string HumanRate(std::optional<double> rate) {
  if (!rate) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *rate * 100.0);
  std::string text = buf;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text + "%";
}

std::string EventDetails(const std::string& fields_json) {
  JsonPtr fields(json_loadb(fields_json.data(), fields_json.size(), 0, nullptr));
  if (!json_is_object(fields.get())) return CutToColumns(fields_json, kMaxDetailValue);
  // A test event ("test": true) says so first, in a word.
  const bool test = json_is_true(json_object_get(fields.get(), "test"));
  std::string out = test ? "test" : "";
  const char* key;
  json_t* value;
  json_object_foreach(fields.get(), key, value) {
    if (test && std::strcmp(key, "test") == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::string(key) + "=" + DetailValue(value);
  }
  return out;
}

std::string FlipDetails(const std::string& fields_json) {
  auto incident = ParseIncident("", fields_json);
  if (!incident.ok()) return EventDetails(fields_json);
  std::string out = "incident=" + incident->id;
  if (incident->resolved_at) {
    out += " lasted " + admin::FormatDuration(static_cast<int64_t>(*incident->duration_s) * 1000);
  }
  out += " failures=" + std::to_string(incident->failures);
  if (!incident->resolved_at && !incident->first_error.empty()) {
    JsonPtr error(json_string(incident->first_error.c_str()));
    out += " first_error=" + DetailValue(error.get());
  }
  return out;
}

KeyValues CredentialRows(const Credential& cred, int64_t now_ms) {
  KeyValues rows = {
      {"id", cred.id},
      {"org", cred.org},
      {"type", CredentialTypeName(cred.type)},
      {"name", cred.name},
      {"app", cred.app.empty() ? "- (any app)" : cred.app},
      {"token_hint", cred.token_hint},
      {"created_at", HumanTime(cred.created_at_ms)},
      {"rotated_at", HumanTime(cred.rotated_at_ms, "never")},
      {"last_used_at", HumanTime(cred.last_used_at_ms, "never")},
      {"expires_at", HumanTime(cred.expires_at_ms, "never")},
      {"state", cred.State(now_ms)},
  };
  // Only during a grace period: until when the previous token still works.
  if (cred.previous_token_valid_until_ms) {
    rows.emplace_back("old token until", HumanTime(cred.previous_token_valid_until_ms));
  }
  return rows;
}

std::string AuditDetails(const AuditEntry& entry) {
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (!entry.previous_name.empty()) {
    add("name \"" + entry.previous_name + "\" -> \"" + entry.name + "\"");
  } else if (!entry.name.empty()) {
    add("name \"" + entry.name + "\"");
  }
  if (entry.grace_ms && *entry.grace_ms > 0) {
    add("old token kept " + std::to_string(*entry.grace_ms / 1000) + "s");
  }
  if (entry.expiry_recorded) {
    add(entry.expires_at_ms ? "expires " + HumanTime(entry.expires_at_ms) : "no expiry");
  }
  if (!entry.app.empty()) add("app " + entry.app);
  JsonPtr changes(json_loads(entry.changes.c_str(), 0, nullptr));
  if (json_is_object(changes.get())) {
    const char* key;
    json_t* value;
    json_object_foreach(changes.get(), key, value) {
      add(std::string(key) + " " + DetailValue(value));
    }
  }
  if (entry.pause == "1") add("paused");
  if (entry.pause == "0") add("resumed");
  return out;
}

}  // namespace onep::cli
