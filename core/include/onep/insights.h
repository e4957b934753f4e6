// SPDX-License-Identifier: Apache-2.0
// Insights of an application over a window (CONTRACT "Applications, monitors
// and incidents", docs/design.md "Monitors and incidents"): uptime, MTTR,
// MTBF, and the DORA figures of its deploys.
//
// ComputeInsights is pure: it takes what the reader fetched (the app's first
// event, its incidents, its hourly counts, its deploy reports) and returns
// the figures, so that each can be checked on a fixed timeline.
// InsightsStore reads those inputs from Redis at a cost that grows with what
// is in the window (docs/design.md), never with the events ever recorded.
//
// Thread-safety: pure functions; InsightsStore is stateless apart from its
// key space.
#ifndef ONEP_INSIGHTS_H_
#define ONEP_INSIGHTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "onep/keys.h"
#include "onep/monitor_store.h"
#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep {

// The defaults and bounds of the window and of the change window.
inline constexpr int64_t kDefaultInsightsWindowMs = 30LL * 24 * 3600 * 1000;
inline constexpr int64_t kMaxInsightsWindowMs = 30LL * 24 * 3600 * 1000;
inline constexpr int64_t kDefaultChangeWindowMs = 3600LL * 1000;
inline constexpr int64_t kMaxChangeWindowMs = 7LL * 24 * 3600 * 1000;

// One recorded deploy report, as the record script indexes it.
struct DeployReport {
  std::string event_id;
  std::string app;
  std::string deploy_id;  // "" for a deploy without one: its own deploy
  std::string status;     // succeeded, failed, rolled_back, started
  std::string version;
  int64_t at = 0;                       // when it was recorded (Redis' clock, Unix ms)
  std::optional<int64_t> committed_at;  // Unix ms
};

struct InsightsInput {
  std::string app;
  int64_t since_ms = 0;  // the window asked for: [since_ms, until_ms]
  int64_t until_ms = 0;
  std::optional<int64_t> first_event_at;  // the app's first event; none: no event
  // The app's incidents that may overlap the window (others are ignored).
  std::vector<Incident> incidents;
  int64_t hits = 0;  // counted in the window's hours
  int64_t failures = 0;
  // The app's deploy reports recorded in the window, any order.
  std::vector<DeployReport> deploys;
  int64_t change_window_ms = kDefaultChangeWindowMs;
};

// The figures of one app; durations in ms, seconds only in the JSON.
struct Insights {
  std::string app;
  std::optional<int64_t> since_ms;  // max(since, first event); none without events
  int64_t until_ms = 0;
  std::optional<double> uptime;  // 0..1
  int64_t downtime_ms = 0;
  int64_t incidents = 0;           // opened in the window
  std::optional<int64_t> mttr_ms;  // durations rounded to the ms
  std::optional<int64_t> mtbf_ms;
  int64_t hits = 0;
  int64_t failures = 0;
  std::optional<double> failure_rate;
  int64_t deploys = 0;  // each deploy_id once
  double deploys_per_day = 0;
  std::optional<double> change_failure_rate;
  std::optional<int64_t> recovery_time_ms;
  std::optional<int64_t> lead_time_ms;
};

// The figures, as docs/design.md "Insights" defines each:
// - the window W is [max(since, first event), until]; without a first event
//   (or an empty W) uptime is null and nothing is counted;
// - downtime: the union of the incidents' [opened_at, resolved_at or until]
//   within W; uptime 1 - downtime / W; incidents: opened in W; mttr: mean of
//   resolved_at - opened_at of those resolved in W; mtbf: (W - downtime) /
//   incidents;
// - a deploy is a deploy_id's reports in W (a report without deploy_id is
//   its own deploy); its time is its first report that is not `started`,
//   else its first; it is a failed change when a report is `failed` or
//   `rolled_back`, or when an incident of the app opened within
//   change_window_ms at or after its time; recovery: from its time to the
//   first of that incident's resolution and the app's next `succeeded`
//   deploy (failed changes not yet recovered are left out), median; lead
//   time: its time - its committed_at (0 when the commit is later), median.
Insights ComputeInsights(const InsightsInput& input);

// What insights reads: one org, one app or all of them.
struct InsightsQuery {
  std::string org;
  std::string app;  // empty: every app of the org
  // The window: since `since_ms`, or when unset kDefaultInsightsWindowMs
  // before now (Redis' clock); until now.
  std::optional<int64_t> since_ms;
  int64_t change_window_ms = kDefaultChangeWindowMs;
};

// What a read cost, for the benchmark and docs/design.md.
struct InsightsCost {
  int64_t round_trips = 0;
  int64_t commands = 0;
  int64_t incidents_read = 0;
  int64_t deploy_reports_read = 0;
  int64_t buckets_read = 0;
};

class InsightsStore {
 public:
  explicit InsightsStore(KeySpace keys) : keys_(std::move(keys)) {}

  // One object per app, by name. NotFound for no such org, or no such app
  // when query.app is given. InvalidArgument for a since after now.
  Result<std::vector<Insights>> Read(RedisClient& redis, const InsightsQuery& query,
                                     InsightsCost* cost = nullptr) const;

 private:
  KeySpace keys_;
};

// A deploy index member (KeySpace::DeployIndex) recorded at `at`; Internal
// when it is not the JSON object the record script writes.
Result<DeployReport> ParseDeployReport(const std::string& member, int64_t at);

}  // namespace onep

#endif  // ONEP_INSIGHTS_H_
