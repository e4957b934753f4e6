// SPDX-License-Identifier: Apache-2.0
// orgs, stats, audit: the read-only commands besides events (events_command.cc).
#include "commands/report_commands.h"

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <string>

#include "onep/clock.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/token.h"
#include "output.h"

namespace onep::cli {

int OrgsCommand(Context& ctx, const Invocation&) {
  auto credentials = ctx.Credentials();
  if (!credentials.ok()) return ctx.Report(credentials.status());
  CredentialStore* store = *credentials;
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
  if (Status app = CheckAppFilter(ctx, inv); !app.ok()) return ctx.Report(app);
  const std::string* app = inv.Get("--app");
  auto window_ms = admin::StatsWindowInput(inv.Inputs());
  if (!window_ms.ok()) return ctx.UsageError(window_ms.status().message());
  auto existing = ExistingOrg(ctx, inv);
  if (!existing.ok()) return ctx.Report(existing.status());
  const std::string& org = *existing;
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  RedisClient* conn = *connected;
  auto stats = EventStore(ctx.keys()).Stats(*conn, org, app ? *app : "", *window_ms);
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
  auto query = admin::AuditQueryInput(inv.Inputs(), NowMs());
  if (!query.ok()) return ctx.UsageError(query.status().message());
  auto org = ValidOrg(ctx, inv);
  if (!org.ok()) return ctx.Report(org.status());
  auto credentials = ctx.Credentials();
  if (!credentials.ok()) return ctx.Report(credentials.status());
  CredentialStore* store = *credentials;
  auto entries = store->Audit(*org, *query);
  if (!entries.ok()) return ctx.Fail(entries.status());
  // The trail outlives the org's last credential: only an org with neither is unknown.
  if (entries->empty()) {
    if (auto existing = ExistingOrg(ctx, inv); !existing.ok()) return ctx.Report(existing.status());
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
