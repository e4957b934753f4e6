// The Lua scripts that make every write atomic. Internal to core.
//
// Key names built inside the scripts follow keys.h: "<prefix>{<org>}:<rest>".
#ifndef ONEP_CORE_SRC_SCRIPTS_H_
#define ONEP_CORE_SRC_SCRIPTS_H_

#include "onep/redis.h"

namespace onep::scripts {

// KEYS[1] token key. ARGV: prefix, event type, app, time ms ("0": now),
// count, fields json, idempotency key, deploy_id, rate limit, stream maxlen,
// stats retention ms, deadline (Redis time in ms; "0": none).
// Returns {kind, credential id, org, detail}: kind is accepted | duplicate |
// invalid_token | forbidden | rate_limited | invalid_event | late (Redis ran
// the script after the deadline: nothing was written); detail is the event
// id, a message, or the seconds to wait.
const Script& Record();

// KEYS[1] token key. ARGV: prefix. Returns the credential id or nil.
const Script& Authenticate();

// KEYS: id index, credential, token, org credentials, deploy app, orgs, audit.
// ARGV: id, org, type, name, app, token hash, token hint, expires in ms, actor.
// Returns {"ok", created ms, expires ms or ""} or {"conflict", holder id or ""}.
const Script& CreateCredential();

// KEYS[1] id index. ARGV: prefix, id, new hash, new hint, new name ("": keep),
// grace ms, actor, action. Returns {"ok", now ms} | {"not_found"} | {"conflict"}.
const Script& ReplaceToken();

// KEYS[1] id index. ARGV: prefix, id, actor. Returns {"ok"} | {"not_found"}.
const Script& DeleteCredential();

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_H_
