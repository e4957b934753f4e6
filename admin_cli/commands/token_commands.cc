// SPDX-License-Identifier: Apache-2.0
// expire and verify: a credential's expiry without a new token, and which
// credential a token belongs to.
#include "commands/token_commands.h"

#include <istream>
#include <ostream>
#include <string>

#include "onep/clock.h"
#include "onep/parse.h"
#include "onep/token.h"
#include "output.h"

namespace onep::cli {

int ExpireCommand(Context& ctx, const Invocation& inv) {
  const std::string& id = inv.args[0];
  const std::string& when = inv.args[1];
  if (ClassifyCredentialId(id) == CredentialIdForm::kMalformed) {
    return ctx.UsageError(admin::InvalidCredentialId(id).message());
  }
  int64_t expires_in_ms = 0;  // never
  if (when != "never") {
    auto ms = ParseDurationMs(when);
    if (!ms.ok()) {
      return ctx.UsageError("invalid DURATION " + QuoteForMessage(when) + ": " +
                            ms.status().message() + " (or 'never')");
    }
    expires_in_ms = *ms;
  }
  auto credentials = ctx.Credentials();
  if (!credentials.ok()) return ctx.Report(credentials.status());
  CredentialStore* store = *credentials;
  auto cred = CredentialService(*store, ctx.actor()).SetExpiry(id, expires_in_ms);
  if (!cred.ok()) {
    if (cred.status().code() == Code::kNotFound) {
      return ctx.Fail(kExitNotFound, "no credential " + QuoteForMessage(id),
                      "run 'onepctl list --org ORG' to see the credential ids");
    }
    return ctx.Fail(cred.status());
  }
  const int64_t now = NowMs();
  if (ctx.json()) {
    ctx.out() << JsonOut(CredentialJson(*cred, now).get(), true) << "\n";
    return kExitOk;
  }
  ctx.out() << SanitizeForTerminal("Credential " + cred->id + " (" + cred->name + ") " +
                                   (cred->expires_at_ms
                                        ? "now expires at " + FormatRfc3339Ms(*cred->expires_at_ms)
                                        : std::string("now never expires")) +
                                   "; its token is unchanged.")
            << "\n";
  return kExitOk;
}

int VerifyCommand(Context& ctx, const Invocation&) {
  // One line, at most a little more than a token: never the command line.
  std::string token;
  std::getline(ctx.in(), token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) {
    return ctx.UsageError("no token on standard input (e.g. onepctl verify < token.txt)");
  }
  if (Status format = CheckTokenFormat(token); !format.ok()) {
    return ctx.Fail(kExitUsage, "this is not an onep token: " + format.message(),
                    "check that the whole token was given, without quotes");
  }
  auto credentials = ctx.Credentials();
  if (!credentials.ok()) return ctx.Report(credentials.status());
  CredentialStore* store = *credentials;
  auto id = store->Authenticate(token);
  if (!id.ok()) return ctx.Fail(id.status());
  if (!id->has_value()) {
    if (ctx.json()) {
      JsonPtr out(json_object());
      json_object_set_new(out.get(), "valid", json_false());
      json_object_set_new(out.get(), "credential", json_null());
      ctx.out() << JsonOut(out.get(), true) << "\n";
      return kExitNotFound;
    }
    return ctx.Fail(kExitNotFound,
                    "the token authenticates no credential (unknown, rotated away, deleted or "
                    "expired)",
                    "rotate the credential the system should use, or create one");
  }
  auto cred = store->Get(**id);
  if (!cred.ok()) return ctx.Fail(cred.status());
  if (!cred->has_value()) return ctx.Fail(kExitNotFound, "the token's credential is gone", "");
  const int64_t now = NowMs();
  if (ctx.json()) {
    JsonPtr out(json_object());
    json_object_set_new(out.get(), "valid", json_true());
    json_object_set_new(out.get(), "credential", CredentialJson(**cred, now).release());
    ctx.out() << JsonOut(out.get(), true) << "\n";
    return kExitOk;
  }
  const Credential& c = **cred;
  const bool previous = c.token_hint != TokenHint(token);
  ctx.out() << SanitizeForTerminal(
                   "The token is valid: credential " + c.id + " (" + c.name + ") of org " + c.org +
                   ", " + CredentialTypeName(c.type) + (c.app.empty() ? "" : " for app " + c.app) +
                   ", state " + c.State(now) +
                   (previous ? "; it is the previous token, in its grace period" : ""))
            << ".\n";
  return kExitOk;
}

}  // namespace onep::cli
