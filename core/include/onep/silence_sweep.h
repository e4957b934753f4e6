// SPDX-License-Identifier: Apache-2.0
// The silence sweep (docs/design.md "Silence"): opens a `silence` incident
// for each app with expect_every that has not been heard from for
// expect_every + grace, and ends the pauses whose time is up (audited as
// actor `onep`). Each org's turn is one atomic script on the org's slot, so
// that several servers sweeping the same Redis at once open one incident.
//
// What one sweep reads: Redis' clock, the global index of orgs with a look
// due (KeySpace::SweepOrgs), and for each such org only, its apps whose look
// is due (KeySpace::Sweep). An org with nothing due costs nothing.
//
// Thread-safety: stateless apart from its key space; safe to share.
#ifndef ONEP_SILENCE_SWEEP_H_
#define ONEP_SILENCE_SWEEP_H_

#include <cstdint>
#include <optional>
#include <string>

#include "onep/event_store.h"
#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep {

// What one org's turn did.
struct SweepOrgOutcome {
  int64_t opened = 0;                // silence incidents opened
  int64_t resumed = 0;               // pauses ended
  std::optional<int64_t> next_look;  // Unix ms; none: no app left to look at
};

// What one sweep did.
struct SweepReport {
  std::size_t orgs = 0;         // orgs whose turn ran
  std::size_t failed_orgs = 0;  // orgs whose turn failed (looked at again next sweep)
  int64_t opened = 0;
  int64_t resumed = 0;
  Status first_error;  // the first org's failure, for the log
};

class SilenceSweep {
 public:
  // At most this many apps per org's turn (the rest: the org's next turn).
  static constexpr int64_t kMaxLooksPerTurn = 1000;
  // At most this many orgs per sweep (the rest: the next sweep).
  static constexpr std::size_t kMaxOrgsPerSweep = 100000;

  SilenceSweep(KeySpace keys, EventRetention retention)
      : keys_(std::move(keys)), retention_(retention) {}

  // One sweep: each org whose next look is due by Redis' clock gets its turn,
  // then its next look in the index. Fails only when the index cannot be
  // read; an org that fails is counted in the report and stays due.
  Result<SweepReport> Run(RedisClient& redis) const;

  // One org's turn (the org by its routing tag), without the index.
  Result<SweepOrgOutcome> SweepOrg(RedisClient& redis, const std::string& tag) const;

 private:
  KeySpace keys_;
  EventRetention retention_;
};

}  // namespace onep

#endif  // ONEP_SILENCE_SWEEP_H_
