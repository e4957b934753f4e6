// SPDX-License-Identifier: Apache-2.0
// onepctl: the command table, the parsed command line and the context that
// command handlers run in. Handlers turn core results into output and an exit
// code; they never spell out a Redis command (core does that).
#ifndef ONEP_ADMIN_CLI_CLI_H_
#define ONEP_ADMIN_CLI_CLI_H_

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onep/admin.h"
#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/redis_credential_store.h"
#include "onep/status.h"

namespace onep::cli {

// The exit status is the CLI's whole error contract (docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,   // Redis unreachable, or another runtime failure
  kExitUsage = 2,     // usage error or invalid input
  kExitNotFound = 3,  // no such credential or organization
};

// The exit code for a core status that is not OK.
int ExitCodeFor(Code code);

struct OptionSpec {
  std::string_view name;        // "--org"
  std::string_view value_name;  // "ORG"; empty: a flag without a value
  std::string_view help;
  bool required = false;
  // The option just before this one in the table, which this one excludes:
  // the synopsis shows them as one "[--limit N|--all]", and giving both is
  // a usage error.
  std::string_view excludes = {};
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
    "such credential or organization";

// "--org ORG"
std::string OptionLabel(const OptionSpec& option);
// "onepctl create --org ORG ... [--app APP]"
std::string Synopsis(const CommandSpec& command);
std::string GlobalHelp();
std::string CommandHelp(const CommandSpec& command);

// onepctl(1) in roff (man(7) macros) and a bash completion script, both
// generated from the command table above (manual.cc), so that neither can
// drift from --help. `version` goes into the man page's footer.
std::string ManPage(std::string_view version);
std::string BashCompletion();

// A command line after parsing, before anything is checked against Redis.
struct Invocation {
  const CommandSpec* command = nullptr;
  std::map<std::string, std::string, std::less<>> options;  // "--org" -> value; flags -> ""
  std::vector<std::string> args;
  // Global options.
  std::optional<std::string> redis_url;
  std::optional<std::string> prefix;
  std::optional<std::string> actor;     // --actor
  std::optional<std::string> tls_ca;    // --tls-ca
  std::optional<std::string> tls_cert;  // --tls-cert
  std::optional<std::string> tls_key;   // --tls-key
  std::optional<std::string> tls_sni;   // --tls-sni
  bool json = false;
  bool help = false;
  bool version = false;
  // The first usage error met (what is wrong), empty when none. --help still
  // wins over it, so that `onepctl create --bogus --help` shows the help.
  std::string error;

  bool Has(std::string_view option) const { return options.count(option) != 0; }
  // The option's value, or nullptr when it was not given.
  const std::string* Get(std::string_view option) const;
  // The options as the named inputs that onep/admin.h reads ("org" is
  // --org); valid while this Invocation lives.
  admin::Inputs Inputs() const;
};

// Parses argv without the program name. Global options are accepted before
// and after the command name; "--name=value" and "--name value" both work;
// "--" ends the options.
Invocation ParseArgs(const std::vector<std::string>& argv);

// Text the user typed, quoted for an error message (onep/admin.h).

// What a command handler may touch of the outside world; main() wires it to
// the process, tests to string streams.
struct Io {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  bool stdin_is_tty = false;
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

class Context {
 public:
  Context(Io io, const Invocation& invocation);
  ~Context();

  std::ostream& out() { return io_.out; }
  // Flushes stdout: true when everything printed so far was written.
  bool OutputOk();
  // Why the output failed ("No space left on device"), once !OutputOk().
  std::string OutputError() const;
  std::ostream& err() { return io_.err; }
  std::istream& in() { return io_.in; }
  bool stdin_is_tty() const { return io_.stdin_is_tty; }
  bool json() const { return invocation_.json; }
  const CommandSpec& command() const { return *invocation_.command; }
  // The environment variable, nullopt when unset or empty.
  std::optional<std::string> Env(const std::string& name) const;

  // Errors are values until a handler reports one: a step that fails returns
  // a Status whose message says what happened and what to do ("<what>;
  // <todo>"), and whose code gives the exit code (ExitCodeFor).

  // `status` with `todo` after its message; `todo` empty picks the usual
  // advice for its code.
  Status Advised(const Status& status, const std::string& todo = "") const;
  // A usage error: InvalidArgument "<what>; see 'onepctl CMD --help'".
  Status Usage(const std::string& what) const;
  // Prints "onepctl: <message>" as one line on stderr and returns the exit
  // code of the status' code.
  int Report(const Status& problem);

  // Report() of what a handler found itself: "onepctl: <what>; <todo>",
  // then exit_code.
  int Fail(int exit_code, const std::string& what, const std::string& todo);
  // Report(Advised(status, todo)).
  int Fail(const Status& status, const std::string& todo = "");
  // Report(Usage(what)).
  int UsageError(const std::string& what);

  // Connects on first use (--redis, ONEP_REDIS_URL, default; --prefix,
  // ONEP_KEY_PREFIX, default) and checks the keyspace's layout (layout.h),
  // except for `migrate` and `doctor`. Never null when ok.
  // A rediss* URL uses --tls-* (ONEP_REDIS_TLS_*); a build without TLS
  // refuses it (InvalidArgument).
  Result<RedisClient*> Redis();
  Result<CredentialStore*> Credentials();
  const KeySpace& keys() const { return *keys_; }
  // The local user, recorded in the audit log.
  const std::string& actor();

 private:
  // --tls-*, else ONEP_REDIS_TLS_*, else empty.
  RedisTlsSettings TlsSettings() const;

  Io io_;
  const Invocation& invocation_;
  std::unique_ptr<RedisClient> redis_;
  int output_errno_ = 0;
  std::optional<KeySpace> keys_;
  std::unique_ptr<RedisCredentialStore> store_;
  std::string actor_;
};

// Runs one command line and returns the exit code.
int Run(const std::vector<std::string>& argv, Io io);

// Command handlers (credential_commands.cc, event_commands.cc).
int CreateCommand(Context& ctx, const Invocation& inv);
int ListCommand(Context& ctx, const Invocation& inv);
int ShowCommand(Context& ctx, const Invocation& inv);
int RotateCommand(Context& ctx, const Invocation& inv);
int RenameCommand(Context& ctx, const Invocation& inv);
int DeleteCommand(Context& ctx, const Invocation& inv);
int OrgsCommand(Context& ctx, const Invocation& inv);
int EventsCommand(Context& ctx, const Invocation& inv);
int StatsCommand(Context& ctx, const Invocation& inv);
int AuditCommand(Context& ctx, const Invocation& inv);
int MigrateCommand(Context& ctx, const Invocation& inv);
int ExpireCommand(Context& ctx, const Invocation& inv);
int VerifyCommand(Context& ctx, const Invocation& inv);
int DoctorCommand(Context& ctx, const Invocation& inv);

// Shared by handlers (errors to Report): the org named by --org, checked to
// be a valid slug and to exist.
Result<std::string> ExistingOrg(Context& ctx, const Invocation& inv);
// --org as a valid slug, without asking Redis whether the org exists.
Result<std::string> ValidOrg(const Context& ctx, const Invocation& inv);
// --app, when given, checked to be a valid slug.
Status CheckAppFilter(const Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_CLI_H_
