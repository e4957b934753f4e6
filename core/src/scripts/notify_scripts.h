// SPDX-License-Identifier: Apache-2.0
// The scripts that add, remove and test notification endpoints
// (notify_store.h). Each is audited in the same call.
#ifndef ONEP_CORE_SRC_SCRIPTS_NOTIFY_SCRIPTS_H_
#define ONEP_CORE_SRC_SCRIPTS_NOTIFY_SCRIPTS_H_

#include "named_script.h"

namespace onep::scripts {

// Adds the endpoint `id` ({id, url, created_at = now, secret, key_id} in
// notify_key) and its consumer group on outbox_key from now on ($, the stream
// made if need be): {'ok', created_at}, or {'too_many'} when the org has
// max_endpoints.
const NamedScript& AddNotifyScript();

// Removes the endpoint `id`, its group, its retry state; the org's last
// endpoint also deletes the outbox: {'ok', stored JSON, endpoints left}, or
// {'not_found'}.
const NamedScript& RemoveNotifyScript();

// Appends a test entry for the endpoint `id` to the outbox: {'ok', entry
// id}, or {'not_found'}.
const NamedScript& TestNotifyScript();

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_NOTIFY_SCRIPTS_H_
