// SPDX-License-Identifier: Apache-2.0
// The scripts of notification delivery (notify_deliverer.h): taking an
// endpoint's next message to send, and settling an attempt. Each keeps an
// endpoint's outbox group, its delivery state and the attempts stream
// consistent at once.
#ifndef ONEP_CORE_SRC_SCRIPTS_DELIVERY_SCRIPTS_H_
#define ONEP_CORE_SRC_SCRIPTS_DELIVERY_SCRIPTS_H_

#include "named_script.h"

namespace onep::scripts {

// The message an endpoint is to be sent now, if any, leased to the caller
// for `lease_ms` (the state's next_at moves that far ahead, so no other
// deliverer takes it meanwhile). The message in the endpoint's state first
// (claimed with XCLAIM: same outbox id, same webhook-id), else the group's
// next entry; test entries for other endpoints are acknowledged on the way.
// Returns {"send", id, {field, value, ...}, attempt, first_at} |
// {"wait", next_at} | {"idle"} | {"nogroup"} | {"more"} (entries skipped,
// call again).
const NamedScript& TakeNotificationScript();

// Settles one attempt of `msg`: `result` delivered or failed acknowledges it
// and clears the state; retry sets next_at `delay_ms` from now, or fails it
// when that is past first_at + give_up_ms. Adds the attempt to the
// deliveries stream. Returns {outcome, next_retry or ""}.
const NamedScript& SettleNotificationScript();

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_DELIVERY_SCRIPTS_H_
