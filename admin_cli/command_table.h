// SPDX-License-Identifier: Apache-2.0
// onepctl's command table: one entry per command, driving dispatch, argument
// checks, --help, the man page and the bash completion (manual.h).
#ifndef ONEP_ADMIN_CLI_COMMAND_TABLE_H_
#define ONEP_ADMIN_CLI_COMMAND_TABLE_H_

#include <string>
#include <string_view>
#include <vector>

namespace onep::cli {

struct OptionSpec {
  std::string_view name;        // "--org"
  std::string_view value_name;  // "ORG"; empty: a flag without a value
  std::string_view help;
  bool required = false;
  // The option just before this one in the table, which this one excludes:
  // the synopsis shows them as one "[--limit N|--all]", and giving both is
  // a usage error.
  std::string_view excludes = {};
  // The value may be left out ("--pause" or "--pause 2h"): the next
  // argument is its value only when it starts with a digit.
  bool value_optional = false;
};

struct Invocation;
class Context;
using Handler = int (*)(Context&, const Invocation&);

// One entry per command: drives dispatch, argument checks and --help.
struct CommandSpec {
  std::string_view name;
  std::string_view summary;            // one line, for the global help
  std::vector<std::string_view> args;  // positional arguments, all required ("ID", "NAME")
  std::vector<OptionSpec> options;     // the command's own options
  std::string_view description;        // a paragraph for `onepctl CMD --help`
  std::vector<std::string_view> examples;
  Handler handler = nullptr;
};

const std::vector<CommandSpec>& Commands();
const CommandSpec* FindCommand(std::string_view name);
const std::vector<OptionSpec>& GlobalOptions();

// Texts that --help and the man page share.
inline constexpr std::string_view kSummary =
    "manage onep webhook credentials and read the events they record";
inline constexpr std::string_view kDurationHelp =
    "500ms, 30s, 15m, 24h, 7d; a bare number means seconds";
inline constexpr std::string_view kTimeHelp =
    "RFC 3339, e.g. 2026-11-27T10:00:00Z or 2026-11-27T12:00:00+02:00";
inline constexpr std::string_view kEnvironmentHelp =
    "ONEP_REDIS_URL, ONEP_KEY_PREFIX, ONEP_REDIS_TLS_CA, ONEP_REDIS_TLS_CERT, ONEP_REDIS_TLS_KEY, "
    "ONEP_REDIS_TLS_SNI (defaults of --redis, --prefix and --tls-*), ONEP_URL (base URL in curl "
    "commands)";
inline constexpr std::string_view kExitStatusHelp =
    "0 success; 1 Redis unreachable or runtime failure; 2 usage error or invalid input; 3 no "
    "such credential, organization or application";

// "--org ORG"
std::string OptionLabel(const OptionSpec& option);
// "onepctl create --org ORG ... [--app APP]"
std::string Synopsis(const CommandSpec& command);
std::string GlobalHelp();
std::string CommandHelp(const CommandSpec& command);

// Runs one command line and returns the exit code.
struct Io;  // context.h
int Run(const std::vector<std::string>& argv, Io io);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMAND_TABLE_H_
