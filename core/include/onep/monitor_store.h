// SPDX-License-Identifier: Apache-2.0
// Applications, their monitors and their incidents (docs/design.md
// "Monitors and incidents"). The record script applies the rules as it
// records events (event_store.h); this reads what it keeps, and changes a
// monitor's settings.
//
// Thread-safety: stateless apart from its key space; safe to share.
#ifndef ONEP_MONITOR_STORE_H_
#define ONEP_MONITOR_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep {

struct DeployRef {
  std::string id;  // the deploy_id ("" for a deploy without one)
  std::string version;
  int64_t at = 0;  // when it was recorded (Redis' clock, Unix ms)
};

struct MonitorSettings {
  int failures_to_open = 1;
  int hits_to_close = 1;
  std::string severity = "none";  // sev1..sev5, none
  int64_t expect_every_ms = 0;    // 0: off
  int64_t grace_ms = 0;           // 0: the default (a fifth of expect_every, at least 1m)
  bool paused = false;
};

struct AppMonitor {
  std::string app;
  // new, up, down (an incident is open), paused (and none is open).
  std::string state;
  std::optional<int64_t> since;  // Unix ms; none while new
  std::optional<std::string> open_incident;
  std::optional<int64_t> last_event_at;
  std::optional<int64_t> first_event_at;
  std::optional<DeployRef> last_deploy;
  MonitorSettings settings;
  int64_t fail_streak = 0;
  int64_t hit_streak = 0;
  std::optional<int64_t> fail_streak_at;  // the streak's first event (Unix ms)
  std::optional<int64_t> hit_streak_at;
};

struct Incident {
  std::string id;
  std::string org;
  std::string app;
  std::string cause;  // failures
  std::string severity;
  int64_t opened_at = 0;
  int64_t detected_at = 0;
  std::optional<int64_t> resolved_at;  // none while open
  std::optional<double> duration_s;
  int64_t failures = 0;
  std::string first_error;
  std::optional<DeployRef> deploy;
};

struct IncidentQuery {
  std::string org;
  std::string app;  // empty: all
  bool open_only = false;
  std::optional<int64_t> since_ms;  // opened at or after
  std::size_t limit = 100;
};

// A change of a monitor: the settings given are set, the others kept.
struct MonitorChange {
  std::optional<int> failures_to_open;     // 1..100
  std::optional<int> hits_to_close;        // 1..100
  std::optional<std::string> severity;     // sev1..sev5, none
  std::optional<int64_t> expect_every_ms;  // 0: off; else 1 minute to 30 days
  std::optional<int64_t> grace_ms;         // 1 minute to 30 days
  std::optional<bool> paused;
  bool empty() const {
    return !failures_to_open && !hits_to_close && !severity && !expect_every_ms && !grace_ms &&
           !paused;
  }
};

// An incident as the record script stores it (and as a flip's `fields`
// carries it), with the id `id`, or when empty the one it holds; Internal
// when `text` is not a JSON object.
Result<Incident> ParseIncident(const std::string& id, const std::string& text);

// The app `app` from its field of the apps hash (KeySpace::Apps); Internal
// when `text` is not a JSON object.
Result<AppMonitor> ParseApp(const std::string& app, const std::string& text);

// InvalidArgument naming the setting out of range; OK otherwise.
Status ValidateMonitorChange(const MonitorChange& change);

class MonitorStore {
 public:
  explicit MonitorStore(KeySpace keys) : keys_(std::move(keys)) {}

  // The org's apps, by name. NotFound for an org without a routing tag.
  Result<std::vector<AppMonitor>> Apps(RedisClient& redis, const std::string& org) const;
  // One app. NotFound for no such org or app.
  Result<AppMonitor> App(RedisClient& redis, const std::string& org, const std::string& app) const;
  // Matching incidents, newest first (by opened_at). NotFound for no such org.
  Result<std::vector<Incident>> Incidents(RedisClient& redis, const IncidentQuery& query) const;
  // Applies `change` (validated here) to the monitor of `app`, audited as
  // `actor`; returns the app after it. NotFound for no such org or app.
  Result<AppMonitor> SetMonitor(RedisClient& redis, const std::string& org, const std::string& app,
                                const MonitorChange& change, const std::string& actor) const;

 private:
  Result<std::string> Tag(RedisClient& redis, const std::string& org) const;
  KeySpace keys_;
};

}  // namespace onep

#endif  // ONEP_MONITOR_STORE_H_
