// SPDX-License-Identifier: Apache-2.0
// The script of the webhook path: every event of a batch recorded in one call.
#ifndef ONEP_CORE_SRC_SCRIPTS_RECORD_SCRIPT_H_
#define ONEP_CORE_SRC_SCRIPTS_RECORD_SCRIPT_H_

#include "named_script.h"

namespace onep::scripts {

// The webhook path, per event of a batch (PerItem): token -> credential
// checks -> idempotency / deploy_id -> rate limit -> XADD -> counters ->
// last used. Each event's result is {kind, credential id, org, detail}: kind
// is accepted | duplicate | invalid_token | forbidden | rate_limited |
// invalid_event | late (run after the deadline: nothing was written); detail
// is the event id, a message or the seconds to wait. An event whose part of
// the call raised an error (WRONGTYPE, a corrupt counter, a command the ACL
// refuses) has that error as its result, and left no event in the stream;
// the call's other events are recorded as if it had not been there.
const NamedScript& RecordScript();

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_RECORD_SCRIPT_H_
