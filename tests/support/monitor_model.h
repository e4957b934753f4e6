// SPDX-License-Identifier: Apache-2.0
// The monitor's rules for failures (CONTRACT "Applications, monitors and
// incidents"), as a reference for tests: fed the hits and failures of one app
// in the order they were recorded, it gives the stream's types with the flips
// where they belong, the incidents and the app's state. A paused monitor,
// silence and deploys are left out.
#ifndef ONEP_TESTS_SUPPORT_MONITOR_MODEL_H_
#define ONEP_TESTS_SUPPORT_MONITOR_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onep::testing {

struct MonitorModel {
  struct ModelIncident {
    std::size_t opened_by = 0;           // the event (in the order fed) that opened it
    int64_t opened_at = 0;               // the time of the streak's first failure
    std::optional<int64_t> resolved_at;  // the time of the closing streak's first hit
    int64_t failures = 0;
  };

  int failures_to_open = 3, hits_to_close = 2;
  int64_t fail_streak = 0, hit_streak = 0, failures = 0;
  int64_t fail_streak_at = 0, hit_streak_at = 0;
  bool open = false;
  int opened = 0, resolved = 0;
  std::size_t events = 0;
  std::vector<std::string> stream;       // hit, failure, incident_opened, incident_resolved
  std::vector<ModelIncident> incidents;  // in the order they opened

  // One recorded event, at `at` (its time by Redis' clock).
  void Apply(bool failure, int64_t count, int64_t at = 0) {
    const std::size_t index = events++;
    stream.push_back(failure ? "failure" : "hit");
    if (failure) {
      if (fail_streak == 0) fail_streak_at = at;
      fail_streak += count;
      hit_streak = 0;
      if (open) {
        failures += count;
        incidents.back().failures = failures;
      } else if (fail_streak >= failures_to_open) {
        open = true;
        failures = fail_streak;
        ++opened;
        incidents.push_back({index, fail_streak_at, std::nullopt, failures});
        stream.push_back("incident_opened");
      }
    } else {
      if (open && hit_streak == 0) hit_streak_at = at;
      if (open) hit_streak += count;
      fail_streak = 0;
      if (open && hit_streak >= hits_to_close) {
        open = false;
        hit_streak = 0;
        ++resolved;
        incidents.back().resolved_at = hit_streak_at;
        stream.push_back("incident_resolved");
      }
    }
  }

  // new before any event, down while an incident is open, else up.
  std::string state() const { return events == 0 ? "new" : open ? "down" : "up"; }
};

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_MONITOR_MODEL_H_
