// orgs, stats, audit: the read-only commands besides events (events_command.cc).
#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <string>

#include "cli.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/token.h"
#include "output.h"

namespace onep::cli {
namespace {

constexpr uint64_t kMaxLimit = 10000;
constexpr std::size_t kDefaultLimit = 100;
constexpr int64_t kDefaultStatsWindowMs = 24LL * 3600 * 1000;
constexpr int64_t kMaxStatsWindowMs = 30LL * 24 * 3600 * 1000;

// --limit as a count, 0 after printing an error.
std::size_t Limit(Context& ctx, const Invocation& inv, int* exit_code) {
  const std::string* text = inv.Get("--limit");
  if (text == nullptr) return kDefaultLimit;
  auto limit = ParseUint(*text, kMaxLimit);
  if (!limit.ok() || *limit == 0) {
    *exit_code = ctx.UsageError("invalid --limit " + QuoteInput(*text) +
                                ": it must be a whole number from 1 to 10000");
    return 0;
  }
  return static_cast<std::size_t>(*limit);
}

}  // namespace

int OrgsCommand(Context& ctx, const Invocation&) {
  int exit_code = kExitOk;
  CredentialStore* store = ctx.Credentials(&exit_code);
  if (store == nullptr) return exit_code;
  auto orgs = store->Orgs();
  if (!orgs.ok()) return ctx.Fail(orgs.status());
  if (ctx.json()) {
    ctx.out() << JsonOut(JsonArrayOf(*orgs, OrgJson).get(), true) << "\n";
    return kExitOk;
  }
  if (orgs->empty()) {
    ctx.out() << "No organizations yet: 'onepctl create' makes the first one.\n";
    return kExitOk;
  }
  Table table({"ORG", "CREDENTIALS", "EVENTS"});
  for (const auto& o : *orgs) {
    table.AddRow({o.org, std::to_string(o.credentials), std::to_string(o.events)});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

int StatsCommand(Context& ctx, const Invocation& inv) {
  if (int rc = CheckAppFilter(ctx, inv); rc != kExitOk) return rc;
  const std::string* app = inv.Get("--app");
  int64_t window_ms = kDefaultStatsWindowMs;
  if (const std::string* text = inv.Get("--since")) {
    auto ms = ParseDurationMs(*text);
    if (!ms.ok()) {
      return ctx.UsageError("invalid --since " + QuoteInput(*text) + ": " + ms.status().message());
    }
    if (*ms > kMaxStatsWindowMs) {
      return ctx.UsageError("--since " + QuoteInput(*text) +
                            " is longer than 30d, the longest window stats keep");
    }
    window_ms = *ms;
  }
  std::string org;
  if (int rc = RequireExistingOrg(ctx, inv, &org); rc != kExitOk) return rc;
  int exit_code = kExitOk;
  RedisClient* conn = ctx.Redis(&exit_code);
  if (conn == nullptr) return exit_code;
  auto stats = EventStore(ctx.keys()).Stats(*conn, org, app ? *app : "", window_ms);
  if (!stats.ok()) return ctx.Fail(stats.status());

  if (ctx.json()) {
    ctx.out() << JsonOut(JsonArrayOf(*stats, StatsJson).get(), true) << "\n";
    return kExitOk;
  }
  if (stats->empty()) {
    ctx.out() << "No events in this window.\n";
    return kExitOk;
  }
  Table table({"APP", "HITS", "FAILURES", "FAILURE RATE", "DEPLOYS"});
  for (const auto& s : *stats) {
    table.AddRow({s.app, std::to_string(s.hits), std::to_string(s.failures),
                  HumanRate(s.failure_rate), std::to_string(s.deploys)});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

int AuditCommand(Context& ctx, const Invocation& inv) {
  int exit_code = kExitOk;
  std::size_t limit = Limit(ctx, inv, &exit_code);
  if (limit == 0) return exit_code;
  std::string org;
  if (int rc = RequireValidOrg(ctx, inv, &org); rc != kExitOk) return rc;
  AuditQuery query;
  query.limit = limit;
  const int64_t now = NowMs();
  for (const char* option : {"--since", "--until"}) {
    const std::string* text = inv.Get(option);
    if (text == nullptr) continue;
    auto ms = ParseTimeOrAgoMs(*text, now);
    if (!ms.ok()) {
      return ctx.UsageError("invalid " + std::string(option) + " " + QuoteInput(*text) + ": " +
                            ms.status().message());
    }
    (std::string_view(option) == "--since" ? query.since_ms : query.until_ms) = *ms;
  }
  if (const std::string* id = inv.Get("--credential")) {
    if (ClassifyCredentialId(*id) == CredentialIdForm::kMalformed) {
      return ctx.UsageError("invalid --credential " + QuoteInput(*id) +
                            ": a credential id is wh_ and 20 letters and digits");
    }
    query.credential = *id;
  }
  CredentialStore* store = ctx.Credentials(&exit_code);
  if (store == nullptr) return exit_code;
  auto entries = store->Audit(org, query);
  if (!entries.ok()) return ctx.Fail(entries.status());
  // The trail outlives the org's last credential: only an org with neither is unknown.
  if (entries->empty()) {
    if (int rc = RequireExistingOrg(ctx, inv, &org); rc != kExitOk) return rc;
  }
  // The store gives newest first; print newest last, like events.
  std::vector<AuditEntry> ordered(entries->rbegin(), entries->rend());

  if (ctx.json()) {
    ctx.out() << JsonOut(JsonArrayOf(ordered, AuditJson).get(), true) << "\n";
    return kExitOk;
  }
  if (ordered.empty()) {
    ctx.out() << "No credential changes recorded.\n";
    return kExitOk;
  }
  Table table({"TIME", "ACTION", "CREDENTIAL", "ACTOR", "DETAILS"});
  for (const auto& a : ordered) {
    table.AddRow({HumanTime(a.time_ms), a.action, a.credential, a.actor, AuditDetails(a)});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

}  // namespace onep::cli
