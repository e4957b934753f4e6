// SPDX-License-Identifier: Apache-2.0
// create, list, show, rotate, rename, delete.
//
// Input is checked before Redis is contacted, so a usage error says so even
// when Redis is down. The token is printed by create/rotate/rename only.
#include "commands/credential_commands.h"

#include <istream>
#include <ostream>
#include <string>

#include "onep/clock.h"
#include "onep/credential_service.h"
#include "onep/curl_command.h"
#include "onep/parse.h"
#include "onep/token.h"
#include "output.h"

namespace onep::cli {
namespace {

constexpr std::string_view kDefaultBaseUrl = "http://localhost/onep";
constexpr std::string_view kTokenWarning = "Save the token now: it will not be shown again.";

// --url, else $ONEP_URL, else the default.
Result<std::string> BaseUrl(const Context& ctx, const Invocation& inv) {
  const std::string* option = inv.Get("--url");
  std::string url = option ? *option : ctx.Env("ONEP_URL").value_or(std::string(kDefaultBaseUrl));
  if (Status s = admin::CheckBaseUrl(option ? "--url" : "ONEP_URL", url); !s.ok()) {
    return ctx.Advised(s, "give the URL where mod_onep is mounted, e.g. https://example.com/onep");
  }
  return url;
}

// A credential id is checked offline: a malformed one is a usage error, not
// an unknown credential.
Status MalformedId(const Context& ctx, const std::string& id) {
  return ctx.Usage(admin::InvalidCredentialId(id).message());
}

Status NoSuchCredential(const std::string& id) {
  return Status::NotFound("no credential " + QuoteForMessage(id) +
                          "; run 'onepctl list --org ORG' to see the credential ids");
}

// The credential `id`: a usage error when it is malformed, NotFound when
// there is no such credential.
Result<Credential> ExistingCredential(Context& ctx, const std::string& id) {
  if (ClassifyCredentialId(id) == CredentialIdForm::kMalformed) return MalformedId(ctx, id);
  auto store = ctx.Credentials();
  if (!store.ok()) return store.status();
  auto cred = (*store)->Get(id);
  if (!cred.ok()) return ctx.Advised(cred.status());
  if (!cred->has_value()) return NoSuchCredential(id);
  return std::move(**cred);
}

// A failed change: NotFound names the id, a conflict says what to do.
int FailChange(Context& ctx, const Status& status, const std::string& id) {
  if (status.code() == Code::kNotFound) return ctx.Report(NoSuchCredential(id));
  if (status.code() == Code::kInvalidArgument &&
      status.message().find("expired at") != std::string::npos) {
    return ctx.Fail(kExitUsage, status.message(),
                    "add --expires DURATION or --no-expiry, or see 'onepctl expire --help'");
  }
  if (status.code() == Code::kConflict) {
    return ctx.Fail(status,
                    "an application has one deploy credential: rotate, rename or delete that one");
  }
  return ctx.Fail(status);
}

// What to tell when the only copy of a token could not be written: the
// change happened; the way back is a new token.
int TokenLost(Context& ctx, const std::string& done, const Credential& cred, int64_t grace_ms) {
  std::string what = done + " credential " + cred.id + ", but its new token could not be written " +
                     "to the output (" + ctx.OutputError() + "), so it is lost";
  if (grace_ms > 0) what += "; the previous token still works during the grace period";
  if (grace_ms == 0) what += "; the previous token has stopped working";
  return ctx.Fail(kExitFailure, what,
                  "run 'onepctl rotate " + cred.id + "' with stdout going somewhere writable");
}

// The token, once, with its curl command. `grace_ms` < 0: a new credential.
// kExitFailure, having said so, when the output could not be written.
int PrintIssued(Context& ctx, const std::string& done, const IssuedCredential& issued,
                const std::string& base_url, int64_t grace_ms) {
  const Credential& cred = issued.credential;
  const int64_t now = NowMs();
  const CurlCommands curls = CurlCommandsFor(cred, issued.token, base_url);
  std::optional<int64_t> old_until;
  if (grace_ms > 0) old_until = cred.previous_token_valid_until_ms;

  if (ctx.json()) {
    JsonPtr object =
        IssuedJson(issued, curls, now, grace_ms >= 0 ? std::optional(grace_ms) : std::nullopt);
    ctx.out() << JsonOut(object.get(), true) << "\n" << std::flush;
    if (!ctx.OutputOk()) return TokenLost(ctx, done, cred, grace_ms);
    // stderr, so that stdout stays one JSON document.
    ctx.err() << kTokenWarning << "\n";
    return kExitOk;
  }
  KeyValues rows = CredentialRows(cred, now);
  rows.emplace_back("token", issued.token);
  std::string summary =
      done + " credential " + cred.id + " (" + cred.name + ") in org " + cred.org + ".";
  if (grace_ms == 0) summary += " The old token stopped working.";
  if (old_until) summary += " The old token works until " + FormatRfc3339Ms(*old_until) + ".";
  ctx.out() << SanitizeForTerminal(summary) << "\n\n"
            << KeyValueBlock(rows) << "\n"
            << kTokenWarning << "\n";
  // Test events: listed by 'onepctl events', never counted in stats,
  // monitors or incidents.
  for (const auto& [route, command] : curls) {
    ctx.out() << "\nSend a test " << (route == "failures" ? "failure" : "event") << " to /" << route
              << ":\n"
              << command << "\n";
  }
  ctx.out() << "\nExpected reply: HTTP 202 with {\"ok\":true,...,\"test\":true}: recorded and "
               "listed in 'onepctl events', not counted in stats, monitors or incidents.\n"
            << std::flush;
  return ctx.OutputOk() ? kExitOk : TokenLost(ctx, done, cred, grace_ms);
}

}  // namespace

int CreateCommand(Context& ctx, const Invocation& inv) {
  auto request = admin::CreateInput(inv.Inputs());
  if (!request.ok()) return ctx.UsageError(request.status().message());
  auto base_url = BaseUrl(ctx, inv);
  if (!base_url.ok()) return ctx.Report(base_url.status());

  auto store = ctx.Credentials();
  if (!store.ok()) return ctx.Report(store.status());
  CredentialService service(**store, ctx.actor());
  auto issued = service.Create(*request);
  if (!issued.ok()) return FailChange(ctx, issued.status(), "");
  return PrintIssued(ctx, "Created", *issued, *base_url, -1);
}

int ListCommand(Context& ctx, const Invocation& inv) {
  const bool filtered = inv.Has("--app") || inv.Has("--type");
  // The filters are checked before Redis is asked anything.
  if (auto none = admin::FilterCredentials(inv.Inputs(), {}); !none.ok()) {
    return ctx.UsageError(none.status().message());
  }
  auto org = ExistingOrg(ctx, inv);
  if (!org.ok()) return ctx.Report(org.status());
  // The store exists: ExistingOrg made it.
  auto all = (*ctx.Credentials())->List(*org);
  if (!all.ok()) return ctx.Fail(all.status());
  std::vector<Credential> creds = *admin::FilterCredentials(inv.Inputs(), std::move(*all));
  const int64_t now = NowMs();
  if (ctx.json()) {
    JsonPtr array =
        JsonArrayOf(creds, [now](const Credential& c) { return CredentialJson(c, now); });
    ctx.out() << JsonOut(array.get(), true) << "\n";
    return kExitOk;
  }
  if (creds.empty()) {
    ctx.out() << "No credentials" << (filtered ? " match." : " in org " + *org + ".") << "\n";
    return kExitOk;
  }
  Table table({"ID", "NAME", "TYPE", "APP", "TOKEN", "CREATED", "LAST USED", "STATE"});
  for (const auto& c : creds) {
    // A name of up to 100 characters would push every row past 80 columns:
    // the table shows 32 of them, show and --json the whole name.
    table.AddRow({c.id, CutToColumns(c.name, 32), CredentialTypeName(c.type),
                  c.app.empty() ? "-" : c.app, c.token_hint, HumanTime(c.created_at_ms),
                  HumanTime(c.last_used_at_ms, "never"), c.State(now)});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

int ShowCommand(Context& ctx, const Invocation& inv) {
  auto cred = ExistingCredential(ctx, inv.args[0]);
  if (!cred.ok()) return ctx.Report(cred.status());
  const int64_t now = NowMs();
  if (ctx.json()) {
    ctx.out() << JsonOut(CredentialJson(*cred, now).get(), true) << "\n";
  } else {
    ctx.out() << KeyValueBlock(CredentialRows(*cred, now));
  }
  return kExitOk;
}

namespace {

// rotate and rename: a new token (and for rename a new name), printed once.
// `name` empty: keep the name.
int Reissue(Context& ctx, const Invocation& inv, const std::string& name, const char* done) {
  const std::string& id = inv.args[0];
  if (ClassifyCredentialId(id) == CredentialIdForm::kMalformed) {
    return ctx.Report(MalformedId(ctx, id));
  }
  auto grace_ms = admin::GraceInput(inv.Inputs());
  if (!grace_ms.ok()) return ctx.UsageError(grace_ms.status().message());
  auto base_url = BaseUrl(ctx, inv);
  if (!base_url.ok()) return ctx.Report(base_url.status());
  auto expires_in_ms = admin::ExpiryInput(inv.Inputs());
  if (!expires_in_ms.ok()) return ctx.UsageError(expires_in_ms.status().message());
  auto store = ctx.Credentials();
  if (!store.ok()) return ctx.Report(store.status());
  CredentialService service(**store, ctx.actor());
  auto issued = name.empty() ? service.Rotate(id, *grace_ms, *expires_in_ms)
                             : service.Rename(id, name, *grace_ms, *expires_in_ms);
  if (!issued.ok()) return FailChange(ctx, issued.status(), id);
  return PrintIssued(ctx, done, *issued, *base_url, *grace_ms);
}

}  // namespace

int RotateCommand(Context& ctx, const Invocation& inv) { return Reissue(ctx, inv, "", "Rotated"); }

int RenameCommand(Context& ctx, const Invocation& inv) {
  const std::string& name = inv.args[1];
  if (Status s = CheckCredentialName(name, "NAME"); !s.ok()) return ctx.UsageError(s.message());
  return Reissue(ctx, inv, name, "Renamed");
}

int DeleteCommand(Context& ctx, const Invocation& inv) {
  const std::string& id = inv.args[0];
  const bool confirmed = inv.Has("--yes");
  if (!confirmed && !ctx.stdin_is_tty()) {
    return ctx.Fail(kExitUsage,
                    "not deleting " + QuoteForMessage(id) +
                        " without confirmation (stdin is not a "
                        "terminal)",
                    "pass --yes to delete without asking");
  }
  auto cred = ExistingCredential(ctx, id);
  if (!cred.ok()) return ctx.Report(cred.status());
  const Credential& c = *cred;

  if (!confirmed) {
    ctx.err() << "Delete credential " << c.id << " (" << SanitizeForTerminal(c.name) << ")? [y/N] "
              << std::flush;
    std::string answer;
    std::getline(ctx.in(), answer);
    if (answer != "y" && answer != "Y" && answer != "yes" && answer != "YES" && answer != "Yes") {
      return ctx.Fail(kExitFailure, "credential " + c.id + " was not deleted",
                      "answer y to delete it, or pass --yes");
    }
  }
  // The store exists: ExistingCredential made it.
  if (Status s = CredentialService(**ctx.Credentials(), ctx.actor()).Delete(id); !s.ok()) {
    return FailChange(ctx, s, id);
  }
  if (ctx.json()) {
    JsonPtr object(json_object());
    json_object_set_new(object.get(), "id", JsonStringOrNull(c.id, true).release());
    json_object_set_new(object.get(), "org", JsonStringOrNull(c.org, true).release());
    json_object_set_new(object.get(), "name", JsonStringOrNull(c.name, true).release());
    json_object_set_new(object.get(), "deleted", json_true());
    ctx.out() << JsonOut(object.get(), true) << "\n";
  } else {
    ctx.out() << SanitizeForTerminal("Deleted credential " + c.id + " (" + c.name + ") of org " +
                                     c.org + ". Its token stopped working; its events remain.")
              << "\n";
  }
  return kExitOk;
}

}  // namespace onep::cli
