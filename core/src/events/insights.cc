// SPDX-License-Identifier: Apache-2.0
// The figures of insights (onep/insights.h): pure, from the inputs the
// reader fetched.
#include "onep/insights.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "onep/stream_id.h"

namespace onep {
namespace {

constexpr double kDayMs = 24.0 * 3600 * 1000;

// The median of `values` (sorted here), the mean of the middle two for an
// even count, rounded to the ms; none for no value.
std::optional<int64_t> Median(std::vector<int64_t> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  if (values.size() % 2 == 1) return values[mid];
  return std::llround((static_cast<double>(values[mid - 1]) + static_cast<double>(values[mid])) /
                      2.0);
}

// Reports in the order they were recorded: by time, then by stream id.
bool RecordedBefore(const DeployReport& a, const DeployReport& b) {
  if (a.at != b.at) return a.at < b.at;
  auto ia = ParseStreamId(a.event_id);
  auto ib = ParseStreamId(b.event_id);
  if (ia.ok() && ib.ok()) return *ia < *ib;
  return a.event_id < b.event_id;
}

// One deploy: the reports of one deploy_id (or one report without one).
struct Deploy {
  int64_t at = 0;  // its first report that is not `started`, else its first
  int reports = 0;
  bool has_outcome = false;
  bool failed = false;  // a report failed or rolled_back
  std::optional<int64_t> succeeded_at;
  std::optional<int64_t> committed_at;
};

std::vector<Deploy> DeploysOf(std::vector<DeployReport> reports) {
  std::sort(reports.begin(), reports.end(), RecordedBefore);
  std::map<std::string, std::size_t> index;  // deploy_id -> its deploy
  std::vector<Deploy> deploys;
  for (const DeployReport& r : reports) {
    std::size_t i = deploys.size();
    if (!r.deploy_id.empty()) {
      auto [it, added] = index.emplace(r.deploy_id, deploys.size());
      i = it->second;
      if (added) deploys.emplace_back();
    } else {
      deploys.emplace_back();
    }
    Deploy& d = deploys[i];
    if (d.reports++ == 0) d.at = r.at;
    if (r.status != "started" && !d.has_outcome) {
      d.at = r.at;
      d.has_outcome = true;
    }
    if (r.status == "failed" || r.status == "rolled_back") d.failed = true;
    if (r.status == "succeeded" && !d.succeeded_at) d.succeeded_at = r.at;
    if (r.committed_at && !d.committed_at) d.committed_at = r.committed_at;
  }
  return deploys;
}

}  // namespace

Insights ComputeInsights(const InsightsInput& in) {
  Insights out;
  out.app = in.app;
  out.until_ms = in.until_ms;
  if (!in.first_event_at) return out;
  const int64_t since = std::max(in.since_ms, *in.first_event_at);
  const int64_t until = in.until_ms;
  out.since_ms = since;
  if (until <= since) return out;
  const int64_t window = until - since;

  // Uptime, MTTR, MTBF: the incidents, each clipped to the window.
  std::vector<std::pair<int64_t, int64_t>> down;
  int64_t resolved_count = 0;
  int64_t resolved_total_ms = 0;
  for (const Incident& i : in.incidents) {
    const int64_t end = i.resolved_at ? *i.resolved_at : until;
    const int64_t from = std::max(i.opened_at, since);
    const int64_t to = std::min(end, until);
    if (to > from) down.emplace_back(from, to);
    if (i.opened_at >= since && i.opened_at <= until) ++out.incidents;
    if (i.resolved_at && *i.resolved_at >= since && *i.resolved_at <= until) {
      ++resolved_count;
      resolved_total_ms += *i.resolved_at - i.opened_at;
    }
  }
  std::sort(down.begin(), down.end());
  int64_t covered_to = since;
  for (const auto& [from, to] : down) {
    const int64_t start = std::max(from, covered_to);
    if (to > start) out.downtime_ms += to - start;
    covered_to = std::max(covered_to, to);
  }
  out.uptime = 1.0 - static_cast<double>(out.downtime_ms) / static_cast<double>(window);
  if (resolved_count > 0) {
    out.mttr_ms =
        std::llround(static_cast<double>(resolved_total_ms) / static_cast<double>(resolved_count));
  }
  if (out.incidents > 0) {
    out.mtbf_ms = std::llround(static_cast<double>(window - out.downtime_ms) /
                               static_cast<double>(out.incidents));
  }

  out.hits = in.hits;
  out.failures = in.failures;
  if (in.hits + in.failures > 0) {
    out.failure_rate =
        static_cast<double>(in.failures) / static_cast<double>(in.hits + in.failures);
  }

  // The DORA figures, from the deploys whose reports are in the window.
  std::vector<DeployReport> reports;
  for (const DeployReport& r : in.deploys) {
    if (r.at >= since && r.at <= until) reports.push_back(r);
  }
  const std::vector<Deploy> deploys = DeploysOf(std::move(reports));
  out.deploys = static_cast<int64_t>(deploys.size());
  out.deploys_per_day = static_cast<double>(out.deploys) / (static_cast<double>(window) / kDayMs);
  if (deploys.empty()) return out;
  int64_t failed_changes = 0;
  std::vector<int64_t> recoveries;
  std::vector<int64_t> lead_times;
  for (std::size_t k = 0; k < deploys.size(); ++k) {
    const Deploy& d = deploys[k];
    if (d.committed_at) lead_times.push_back(std::max<int64_t>(d.at - *d.committed_at, 0));
    // The first incident of the app that opened within the change window.
    const Incident* followed = nullptr;
    for (const Incident& i : in.incidents) {
      if (i.opened_at >= d.at && i.opened_at - d.at <= in.change_window_ms &&
          (followed == nullptr || i.opened_at < followed->opened_at)) {
        followed = &i;
      }
    }
    if (!d.failed && followed == nullptr) continue;
    ++failed_changes;
    std::optional<int64_t> recovered;
    if (followed != nullptr && followed->resolved_at) recovered = *followed->resolved_at;
    for (std::size_t j = 0; j < deploys.size(); ++j) {
      const std::optional<int64_t>& next = deploys[j].succeeded_at;
      if (j != k && next && *next > d.at && (!recovered || *next < *recovered)) {
        recovered = *next;
      }
    }
    if (recovered) recoveries.push_back(*recovered - d.at);
  }
  out.change_failure_rate = static_cast<double>(failed_changes) / static_cast<double>(out.deploys);
  out.recovery_time_ms = Median(std::move(recoveries));
  out.lead_time_ms = Median(std::move(lead_times));
  return out;
}

}  // namespace onep
