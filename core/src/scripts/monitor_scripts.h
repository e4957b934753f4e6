// SPDX-License-Identifier: Apache-2.0
// The script that changes an application's monitor (monitor_store.h).
#ifndef ONEP_CORE_SRC_SCRIPTS_MONITOR_SCRIPTS_H_
#define ONEP_CORE_SRC_SCRIPTS_MONITOR_SCRIPTS_H_

#include "named_script.h"

namespace onep::scripts {

// Sets the fields of `changes` (a JSON object, validated by the caller) in
// the monitor of `app`, and audits the change: {'ok', the monitor as JSON},
// or {'not_found'} when the org has no such app. `pause`: "1" pauses, "0"
// resumes, "" leaves it.
const NamedScript& SetMonitorScript();

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_MONITOR_SCRIPTS_H_
