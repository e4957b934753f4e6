// SPDX-License-Identifier: Apache-2.0
// onepctl: the context that command handlers run in (the outside world, the
// connection to Redis, errors reported as one line and an exit code).
// Handlers turn core results into output and an exit code; they never spell
// out a Redis command (core does that).
#ifndef ONEP_ADMIN_CLI_CONTEXT_H_
#define ONEP_ADMIN_CLI_CONTEXT_H_

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "command_table.h"
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
  kExitNotFound = 3,  // no such credential, organization or application
};

// The exit code for a core status that is not OK.
int ExitCodeFor(Code code);

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

// Shared by handlers (errors to Report): the org named by --org, checked to
// be a valid slug and to exist.
Result<std::string> ExistingOrg(Context& ctx, const Invocation& inv);
// --org as a valid slug, without asking Redis whether the org exists.
Result<std::string> ValidOrg(const Context& ctx, const Invocation& inv);
// --app, when given, checked to be a valid slug.
Status CheckAppFilter(const Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_CONTEXT_H_
