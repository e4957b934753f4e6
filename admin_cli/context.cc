// SPDX-License-Identifier: Apache-2.0
// Context: the connection, the error line and the exit code for handlers.
#include "context.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <vector>

#include "onep/layout.h"
#include "onep/parse.h"
#include "onep/redis_tls.h"
#include "onep/redis_url.h"
#include "output.h"

namespace onep::cli {
namespace {

// Long enough for a loaded server, short enough that a wrong address fails
// fast; above the 1s blocking read of `events --follow`.
constexpr std::chrono::milliseconds kRedisTimeout{2000};

std::string LocalUser() {
  std::vector<char> buf(16384);
  passwd pw;
  passwd* found = nullptr;
  if (getpwuid_r(geteuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && found->pw_name[0] != '\0') {
    return found->pw_name;
  }
  return "";
}

// "cannot connect to URL: reason" from core becomes "reason".
std::string ConnectReason(const std::string& message, const std::string& redacted_url) {
  std::string marker = redacted_url + ": ";
  std::size_t at = message.find(marker);
  return at == std::string::npos ? message : message.substr(at + marker.size());
}

}  // namespace

int ExitCodeFor(Code code) {
  switch (code) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
    case Code::kInvalidJson:
    case Code::kInvalidEvent:
    case Code::kConflict:
      return kExitUsage;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kUnavailable:
    case Code::kInternal:
    case Code::kFailedPrecondition:
      return kExitFailure;
  }
  return kExitFailure;
}

Context::Context(Io io, const Invocation& invocation)
    : io_(std::move(io)), invocation_(invocation) {}

Context::~Context() = default;

bool Context::OutputOk() {
  errno = 0;
  io_.out.flush();
  if (io_.out.good()) return true;
  if (output_errno_ == 0) output_errno_ = errno != 0 ? errno : EIO;
  return false;
}

std::string Context::OutputError() const {
  return std::strerror(output_errno_ ? output_errno_ : EIO);
}

std::optional<std::string> Context::Env(const std::string& name) const {
  if (!io_.getenv) return std::nullopt;
  std::optional<std::string> value = io_.getenv(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

Status Context::Advised(const Status& status, const std::string& todo) const {
  std::string advice = todo;
  if (advice.empty()) {
    switch (status.code()) {
      case Code::kUnavailable:
        advice = "check that Redis is running, and --redis or ONEP_REDIS_URL";
        break;
      case Code::kInternal:
        advice = "this is a bug or an unexpected reply from Redis; please report it";
        break;
      case Code::kNotFound:
        advice = "run 'onepctl list --org ORG' to see the credential ids";
        break;
      default:
        advice = "see 'onepctl " + std::string(command().name) + " --help'";
    }
  }
  return Status(status.code(), status.message() + "; " + advice);
}

Status Context::Usage(const std::string& what) const {
  return Status::InvalidArgument(what + "; see 'onepctl " + std::string(command().name) +
                                 " --help'");
}

int Context::Report(const Status& problem) {
  // One line, whatever a message from Redis or the user contains.
  io_.err << "onepctl: " << SanitizeForTerminal(problem.message()) << "\n";
  return ExitCodeFor(problem.code());
}

int Context::Fail(int exit_code, const std::string& what, const std::string& todo) {
  io_.err << "onepctl: " << SanitizeForTerminal(what) << "; " << SanitizeForTerminal(todo) << "\n";
  return exit_code;
}

int Context::Fail(const Status& status, const std::string& todo) {
  return Report(Advised(status, todo));
}

int Context::UsageError(const std::string& what) { return Report(Usage(what)); }

RedisTlsSettings Context::TlsSettings() const {
  auto pick = [this](const std::optional<std::string>& option, const char* env) {
    return option.value_or(Env(env).value_or(""));
  };
  RedisTlsSettings settings;
  settings.ca_file = pick(invocation_.tls_ca, "ONEP_REDIS_TLS_CA");
  settings.cert_file = pick(invocation_.tls_cert, "ONEP_REDIS_TLS_CERT");
  settings.key_file = pick(invocation_.tls_key, "ONEP_REDIS_TLS_KEY");
  settings.server_name = pick(invocation_.tls_sni, "ONEP_REDIS_TLS_SNI");
  return settings;
}

Result<RedisClient*> Context::Redis() {
  if (redis_) return redis_.get();
  std::string url =
      invocation_.redis_url.value_or(Env("ONEP_REDIS_URL").value_or(std::string(kDefaultRedisUrl)));
  auto target = ParseRedisTarget(url);
  if (!target.ok()) {
    return Status::InvalidArgument(
        target.status().message() +
        "; use redis://[[user]:password@]host:port[/db], unix:///path[?db=N], "
        "redis-cluster://[[user]:password@]host:port[,host:port...] or "
        "redis-sentinel://[[user]:password@]host:port[,host:port...]/MASTER[/db] "
        "(rediss*: the same over TLS) in --redis or ONEP_REDIS_URL");
  }
  if (Status tls = CheckRedisTlsSupport(*target); !tls.ok()) return tls;
  std::string prefix =
      invocation_.prefix.value_or(Env("ONEP_KEY_PREFIX").value_or(std::string(kDefaultKeyPrefix)));
  if (Status s = ValidateKeyPrefix(prefix); !s.ok()) {
    return Status::InvalidArgument("invalid key prefix: " + s.message() +
                                   "; fix --prefix or ONEP_KEY_PREFIX");
  }
  RedisClientOptions options;
  options.timeout = kRedisTimeout;
  if (target->tls()) {
    auto tls = RedisTls::Create(TlsSettings());
    if (!tls.ok()) {
      return Status::InvalidArgument(tls.status().message() +
                                     "; fix --tls-ca, --tls-cert, --tls-key (or ONEP_REDIS_TLS_*)");
    }
    options.tls = std::move(tls).value();
  }
  // A TLS failure is as likely the certificates' as the URL's.
  const std::string check_redis =
      target->tls() ? "check --redis or ONEP_REDIS_URL, and --tls-* or ONEP_REDIS_TLS_*"
                    : "check --redis or ONEP_REDIS_URL";
  auto client = ConnectRedis(*target, std::move(options));
  if (!client.ok()) return Advised(client.status(), check_redis);
  KeySpace keys(prefix);
  // The first round trip: says whether Redis can be reached at all, and
  // whether its keyspace is one this version can use.
  auto layout = ReadLayout(**client, keys);
  if (!layout.ok()) {
    std::string redacted = target->Redacted();
    const std::string reason = ConnectReason(layout.status().message(), redacted);
    // Reached, but refused: a password or a right is missing, not the server.
    for (const char* refusal : {"NOAUTH", "WRONGPASS", "NOPERM"}) {
      if (reason.find(refusal) != std::string::npos) {
        return Status::Unavailable(
            "Redis at " + redacted + " refused onepctl: " + reason + "; " +
            (std::string(refusal) == "NOPERM"
                 ? "give onepctl's ACL user the rights docs/operations.md lists"
                 : "give the user and password in --redis or ONEP_REDIS_URL "
                   "(redis://user:password@host:port/db)"));
      }
    }
    return Status(layout.status().code(),
                  "cannot reach Redis at " + redacted + ": " + reason + "; " + check_redis);
  }
  if (Status usable = LayoutStatus(*layout, keys); !usable.ok() &&
                                                   command().name != std::string_view("migrate") &&
                                                   command().name != std::string_view("doctor")) {
    return Status::FailedPrecondition(
        usable.message() + "; " +
        (layout->state == LayoutState::kVersion1
             ? "back up Redis, then run 'onepctl migrate'"
             : "install the onep version that wrote these keys, or a newer one"));
  }
  redis_ = std::move(client).value();
  keys_.emplace(std::move(keys));
  return redis_.get();
}

Result<CredentialStore*> Context::Credentials() {
  if (store_) return static_cast<CredentialStore*>(store_.get());
  auto redis = Redis();
  if (!redis.ok()) return redis.status();
  store_ = std::make_unique<RedisCredentialStore>(**redis, *keys_);
  return static_cast<CredentialStore*>(store_.get());
}

const std::string& Context::actor() {
  if (actor_.empty()) {
    if (invocation_.actor && !invocation_.actor->empty()) {
      // A wrapper (a deployment tool, a web front end) knows better.
      actor_ = SanitizeForTerminal(invocation_.actor->substr(0, 100));
    } else if (auto sudo = Env("SUDO_USER"); sudo && geteuid() == 0) {
      // Under sudo the effective user is root; the person is SUDO_USER.
      actor_ = *sudo;
    } else {
      actor_ = LocalUser();
      if (actor_.empty()) actor_ = Env("USER").value_or("unknown");
    }
  }
  return actor_;
}

Result<std::string> ValidOrg(const Context& ctx, const Invocation& inv) {
  auto org = admin::OrgInput(inv.Inputs());
  if (!org.ok()) return ctx.Usage(org.status().message());
  return org;
}

Status CheckAppFilter(const Context& ctx, const Invocation& inv) {
  auto app = admin::AppFilter(inv.Inputs());
  return app.ok() ? Status::Ok() : ctx.Usage(app.status().message());
}

Result<std::string> ExistingOrg(Context& ctx, const Invocation& inv) {
  auto org = ValidOrg(ctx, inv);
  if (!org.ok()) return org;
  auto store = ctx.Credentials();
  if (!store.ok()) return store.status();
  auto exists = (*store)->OrgExists(*org);
  if (!exists.ok()) return ctx.Advised(exists.status());
  if (!*exists) {
    return Status::NotFound("no organization " + QuoteForMessage(*org) +
                            "; run 'onepctl orgs' to see the organizations");
  }
  return org;
}

}  // namespace onep::cli
