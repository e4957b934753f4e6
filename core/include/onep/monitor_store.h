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
  std::string severity = "none";        // sev1..sev5, none
  int64_t expect_every_ms = 0;          // 0: off
  int64_t grace_ms = 0;                 // 0: the default (a fifth of expect_every, at least 1m)
  bool paused = false;                  // as of the read: a pause that ended reads false
  std::optional<int64_t> paused_until;  // Unix ms; none: until resumed
};

struct AppMonitor {
  std::string app;
  // new, up, down (an incident is open), late (expect_every passed since
  // the last hit or failure, none is open, not paused), paused (and none is
  // open).
  std::string state;
  std::optional<int64_t> since;  // Unix ms; none while new
  std::optional<std::string> open_incident;
  std::optional<int64_t> last_event_at;
  std::optional<int64_t> first_event_at;
  std::optional<DeployRef> last_deploy;
  MonitorSettings settings;
  int64_t fail_streak = 0;
  int64_t hit_streak = 0;                 // counted only while an incident is open
  std::optional<int64_t> fail_streak_at;  // the streak's first event (Unix ms)
  std::optional<int64_t> hit_streak_at;
  // The state and since without the pause (ApplyClock: a pause that ended).
  std::string resting_state;
  std::optional<int64_t> resting_since;
};

struct Incident {
  std::string id;
  std::string org;
  std::string app;
  std::string cause;  // failures, silence
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
  std::optional<int64_t> expect_every_ms;  // 0: off; else 1 second to 30 days
  std::optional<int64_t> grace_ms;         // 1 second to 30 days
  std::optional<bool> paused;
  std::optional<int64_t> pause_for_ms;  // with paused true: the pause ends after this
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

// What an app reads as at `now_ms` (Redis' clock), once its last_event_at is
// set: a pause whose paused_until has passed is over (the sweep writes it
// later), and an app with expect_every, not paused, up, and silent for more
// than expect_every reads `late` since last_event_at + expect_every. A `new`
// app is never late: nothing to be silent relative to.
void ApplyClock(AppMonitor& app, int64_t now_ms);

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
  // Sets app.last_event_at from the org's apps-seen hash, and applies
  // Redis' clock (ApplyClock).
  Status ReadSeenAt(RedisClient& redis, const std::string& tag, AppMonitor& app) const;
  // Redis' clock, Unix ms, from the node of `slot_key`.
  Result<int64_t> RedisNow(RedisClient& redis, const std::string& slot_key) const;
  KeySpace keys_;
};

}  // namespace onep

#endif  // ONEP_MONITOR_STORE_H_
