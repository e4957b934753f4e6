// SPDX-License-Identifier: Apache-2.0
// insights: uptime, MTTR, MTBF and the DORA figures of each application.
#include "commands/insights_command.h"

#include <cstdio>
#include <ostream>
#include <string>

#include "onep/clock.h"
#include "onep/insights.h"
#include "output.h"

namespace onep::cli {
namespace {

// "99.931%": an uptime close to 1 needs more than a rate's two decimals.
std::string HumanUptime(std::optional<double> uptime) {
  if (!uptime) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f%%", *uptime * 100.0);
  return text;
}

std::string PerDay(double per_day) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", per_day);
  return text;
}

}  // namespace

std::string HumanDuration(std::optional<int64_t> ms) {
  if (!ms) return "-";
  const int64_t v = *ms;
  constexpr int64_t kS = 1000, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH;
  auto two = [](int64_t big, const char* big_unit, int64_t small, const char* small_unit) {
    std::string out = std::to_string(big) + big_unit;
    if (small > 0) out += " " + std::to_string(small) + small_unit;
    return out;
  };
  if (v < kS) return std::to_string(v) + "ms";
  if (v < kM) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1fs", static_cast<double>(v) / kS);
    return text;
  }
  if (v < kH) return two(v / kM, "m", (v % kM) / kS, "s");
  if (v < kD) return two(v / kH, "h", (v % kH) / kM, "m");
  return two(v / kD, "d", (v % kD) / kH, "h");
}

int InsightsCommand(Context& ctx, const Invocation& inv) {
  auto query = admin::InsightsQueryInput(inv.Inputs(), NowMs());
  if (!query.ok()) return ctx.UsageError(query.status().message());
  auto org = ValidOrg(ctx, inv);
  if (!org.ok()) return ctx.Report(org.status());
  query->org = *org;
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  auto insights = InsightsStore(ctx.keys()).Read(**connected, *query);
  if (!insights.ok()) {
    if (insights.status().code() == Code::kNotFound) {
      return ctx.Fail(insights.status(), query->app.empty()
                                             ? "run 'onepctl orgs' to see the organizations"
                                             : "run 'onepctl apps --org ORG' to see the "
                                               "applications");
    }
    if (insights.status().code() == Code::kInvalidArgument) {
      return ctx.UsageError(insights.status().message());
    }
    return ctx.Fail(insights.status());
  }
  if (ctx.json()) {
    ctx.out() << JsonOut(admin::JsonArrayOf(*insights, admin::InsightsJson).get(), true) << "\n";
    return kExitOk;
  }
  if (insights->empty()) {
    ctx.out() << "No applications yet: an event or a credential bound to an app names one.\n";
    return kExitOk;
  }
  Table table({"APP", "SINCE", "UPTIME", "DOWNTIME", "INCIDENTS", "MTTR", "MTBF", "HITS",
               "FAILURES", "FAIL RATE", "DEPLOYS", "PER DAY", "CHANGE FAIL", "RECOVERY",
               "LEAD TIME"});
  for (const Insights& i : *insights) {
    table.AddRow({i.app, HumanTime(i.since_ms), HumanUptime(i.uptime),
                  i.uptime ? HumanDuration(i.downtime_ms) : "-", std::to_string(i.incidents),
                  HumanDuration(i.mttr_ms), HumanDuration(i.mtbf_ms), std::to_string(i.hits),
                  std::to_string(i.failures), HumanRate(i.failure_rate), std::to_string(i.deploys),
                  PerDay(i.deploys_per_day), HumanRate(i.change_failure_rate),
                  HumanDuration(i.recovery_time_ms), HumanDuration(i.lead_time_ms)});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

}  // namespace onep::cli
