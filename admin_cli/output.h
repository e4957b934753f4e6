// SPDX-License-Identifier: Apache-2.0
// onepctl output: human tables and key/value blocks, and the JSON objects of
// the --json contract (docs/cli.md). Pure functions, no I/O.
#ifndef ONEP_ADMIN_CLI_OUTPUT_H_
#define ONEP_ADMIN_CLI_OUTPUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "onep/admin.h"
#include "onep/credential.h"
#include "onep/event_store.h"
#include "onep/json.h"
#include "onep/text.h"
#include "terminal.h"

namespace onep::cli {

// JsonDump for stdout: every terminal-unsafe character (text.h) escaped as
// \uXXXX, so `--json` output is the same JSON and safe on a terminal too.
std::string JsonOut(const json_t* value, bool pretty = false);

// Columns `text` takes on a terminal, counted as UTF-8 code points.
std::size_t DisplayWidth(std::string_view text);

// A table aligned on columns separated by two spaces. Cells are sanitized;
// the last column is not padded, so no line ends in spaces.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  // Header and rows, one line each, "\n"-terminated.
  std::string Render() const;
  // The widths Render() uses, for rows printed later (events --follow).
  std::vector<std::size_t> Widths() const;
  static std::string RenderRow(const std::vector<std::string>& cells,
                               const std::vector<std::size_t>& widths);

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// "key:  value" lines, values aligned after the longest key.
std::string KeyValueBlock(const KeyValues& rows);

// RFC 3339 UTC, to the second for humans ("2026-11-27T10:00:00Z"), or
// `absent` when there is no time.
std::string HumanTime(std::optional<int64_t> unix_ms, std::string_view absent = "-");

// "12.5%" with at most two decimals, or "-" when there is no rate.
std::string HumanRate(std::optional<double> rate);

// An event's own fields, compact for a table: count=3 message="all good".
// Long values are cut (the JSON output has them whole). A test event starts
// with the word "test": test count=1.
std::string EventDetails(const std::string& fields_json);

// An incident_opened or incident_resolved entry's fields, for the table:
// incident=in_... [lasted 5m] failures=3 [first_error="..."].
std::string FlipDetails(const std::string& fields_json);

// The rows of `show` (and of create/rotate/rename), in the order of the JSON keys.
KeyValues CredentialRows(const Credential& cred, int64_t now_ms);

// "name \"a\" -> \"b\", old token kept 3600s, expires ...": what an audit entry
// says changed, for the table.
std::string AuditDetails(const AuditEntry& entry);

// The JSON objects of --json, shared with the admin API (onep/admin.h).
using admin::AuditJson;
using admin::CredentialJson;
using admin::EventJson;
using admin::IssuedJson;
using admin::JsonArrayOf;
using admin::OrgJson;
using admin::StatsJson;

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_OUTPUT_H_
