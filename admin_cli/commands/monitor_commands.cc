// SPDX-License-Identifier: Apache-2.0
// apps, monitor, incidents: applications, their monitors and their incidents.
#include "commands/monitor_commands.h"

#include <algorithm>
#include <ostream>
#include <string>

#include "onep/clock.h"
#include "onep/monitor_store.h"
#include "onep/parse.h"
#include "onep/text.h"
#include "output.h"

namespace onep::cli {
namespace {

constexpr const char* kSeeApps = "run 'onepctl apps --org ORG' to see the applications";

// What a person scans for first: DOWN in capitals, the others quiet.
std::string StateBadge(const std::string& state) { return state == "down" ? "DOWN" : state; }

std::string Settings(const MonitorSettings& s) {
  std::string out = "open after " + std::to_string(s.failures_to_open) + ", close after " +
                    std::to_string(s.hits_to_close);
  if (s.severity != "none") out += ", " + s.severity;
  if (s.expect_every_ms > 0) {
    out += ", every " + admin::FormatDuration(s.expect_every_ms) + " + " +
           admin::FormatDuration(admin::EffectiveGraceMs(s));
  }
  return out;
}

std::string DeployText(const std::optional<DeployRef>& deploy) {
  if (!deploy) return "-";
  std::string out = deploy->version.empty() ? "-" : deploy->version;
  return out + " at " + HumanTime(deploy->at);
}

KeyValues AppRows(const AppMonitor& app) {
  const MonitorSettings& s = app.settings;
  const int64_t grace = admin::EffectiveGraceMs(s);
  return {
      {"app", app.app},
      {"state", StateBadge(app.state)},
      {"since", HumanTime(app.since)},
      {"open_incident", app.open_incident.value_or("-")},
      {"last_event_at", HumanTime(app.last_event_at)},
      {"last_deploy", DeployText(app.last_deploy)},
      {"failures_to_open", std::to_string(s.failures_to_open)},
      {"hits_to_close", std::to_string(s.hits_to_close)},
      {"severity", s.severity},
      {"expect_every", s.expect_every_ms == 0 ? "off" : admin::FormatDuration(s.expect_every_ms)},
      {"grace", grace > 0 ? admin::FormatDuration(grace) : "-"},
      {"paused", s.paused ? "yes" : "no"}};
}

std::string DurationText(const Incident& incident) {
  if (!incident.duration_s) return "open";
  return admin::FormatDuration(static_cast<int64_t>(*incident.duration_s) * 1000);
}

}  // namespace

int AppsCommand(Context& ctx, const Invocation& inv) {
  auto org = ValidOrg(ctx, inv);
  if (!org.ok()) return ctx.Report(org.status());
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  auto apps = MonitorStore(ctx.keys()).Apps(**connected, *org);
  if (!apps.ok()) {
    if (apps.status().code() == Code::kNotFound) {
      return ctx.Fail(apps.status(), "run 'onepctl orgs' to see the organizations");
    }
    return ctx.Fail(apps.status());
  }
  admin::SortAppsDownFirst(&*apps);
  if (ctx.json()) {
    ctx.out() << JsonOut(admin::JsonArrayOf(*apps, admin::AppJson).get(), true) << "\n";
    return kExitOk;
  }
  if (apps->empty()) {
    ctx.out() << "No applications yet: an event or a credential bound to an app names one.\n";
    return kExitOk;
  }
  Table table({"STATE", "APP", "SINCE", "INCIDENT", "LAST EVENT", "LAST DEPLOY", "MONITOR"});
  for (const auto& a : *apps) {
    table.AddRow({StateBadge(a.state), a.app, HumanTime(a.since), a.open_incident.value_or("-"),
                  HumanTime(a.last_event_at), DeployText(a.last_deploy), Settings(a.settings)});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

int MonitorCommand(Context& ctx, const Invocation& inv) {
  const std::string& org = inv.args.at(0);
  const std::string& app = inv.args.at(1);
  if (!IsValidSlug(org)) return ctx.Report(ctx.Advised(admin::InvalidOrg(org)));
  if (!IsValidSlug(app)) return ctx.Report(ctx.Advised(InvalidSlug("APP", app)));
  auto change = admin::MonitorChangeInput(inv.Inputs());
  if (!change.ok()) return ctx.UsageError(change.status().message());
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  MonitorStore store(ctx.keys());
  Result<AppMonitor> shown = change->empty()
                                 ? store.App(**connected, org, app)
                                 : store.SetMonitor(**connected, org, app, *change, ctx.actor());
  if (!shown.ok()) {
    if (shown.status().code() == Code::kNotFound) return ctx.Fail(shown.status(), kSeeApps);
    return ctx.Fail(shown.status());
  }
  if (ctx.json()) {
    ctx.out() << JsonOut(admin::AppJson(*shown).get(), true) << "\n";
    return kExitOk;
  }
  ctx.out() << KeyValueBlock(AppRows(*shown));
  return kExitOk;
}

int IncidentsCommand(Context& ctx, const Invocation& inv) {
  auto query = admin::IncidentQueryInput(inv.Inputs(), NowMs());
  if (!query.ok()) return ctx.UsageError(query.status().message());
  auto org = ValidOrg(ctx, inv);
  if (!org.ok()) return ctx.Report(org.status());
  query->org = *org;
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  auto incidents = MonitorStore(ctx.keys()).Incidents(**connected, *query);
  if (!incidents.ok()) {
    if (incidents.status().code() == Code::kNotFound) {
      return ctx.Fail(incidents.status(), "run 'onepctl orgs' to see the organizations");
    }
    return ctx.Fail(incidents.status());
  }
  if (ctx.json()) {
    ctx.out() << JsonOut(admin::JsonArrayOf(*incidents, admin::IncidentJson).get(), true) << "\n";
    return kExitOk;
  }
  if (incidents->empty()) {
    ctx.out() << "No incidents.\n";
    return kExitOk;
  }
  Table table({"OPENED", "APP", "STATE", "DURATION", "SEVERITY", "FAILURES", "DEPLOY", "ID",
               "FIRST ERROR"});
  for (const auto& i : *incidents) {
    table.AddRow({HumanTime(i.opened_at), i.app, i.resolved_at ? "resolved" : "OPEN",
                  DurationText(i), i.severity, std::to_string(i.failures),
                  i.deploy ? (i.deploy->version.empty() ? "-" : i.deploy->version) : "-", i.id,
                  i.first_error.empty() ? "-" : i.first_error});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

}  // namespace onep::cli
