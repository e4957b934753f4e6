// SPDX-License-Identifier: Apache-2.0
// The scripts that change an application's monitor and sweep for silence
// (monitor_store.h, silence_sweep.h).
#ifndef ONEP_CORE_SRC_SCRIPTS_MONITOR_SCRIPTS_H_
#define ONEP_CORE_SRC_SCRIPTS_MONITOR_SCRIPTS_H_

#include "named_script.h"

namespace onep::scripts {

// Sets the fields of `changes` (a JSON object, validated by the caller) in
// the monitor of `app`, and audits the change: {'ok', the monitor as JSON,
// '1' or '0' whether the sweep now looks at the app (its field of sweep_key:
// expect_every set, or a pause with an end)}, or {'not_found'} when the org
// has no such app. `pause`: "1" pauses (for `pause_for` ms, or until resumed
// when empty), "0" resumes, "" leaves it. The fourth element is now (Unix ms).
const NamedScript& SetMonitorScript();

// One org's turn of the silence sweep: looks at the apps of sweep_key that
// are due (at most max_looks), resumes pauses that have ended (audited as
// actor onep), opens silence incidents with their flips, and sets each app's
// next look. Returns {opened, resumed, the org's next look (Unix ms) or ''}.
const NamedScript& SweepOrgScript();

// Sets an org's next look in the global index after its turn (kSweepNextBody).
const NamedScript& SweepNextScript();

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_MONITOR_SCRIPTS_H_
