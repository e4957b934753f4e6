// SPDX-License-Identifier: Apache-2.0
// The scripts that change credentials: create, rotate or rename, set an expiry,
// delete. Each writes the credential, its tokens and its audit entry at once.
#ifndef ONEP_CORE_SRC_SCRIPTS_CREDENTIAL_SCRIPTS_H_
#define ONEP_CORE_SRC_SCRIPTS_CREDENTIAL_SCRIPTS_H_

#include "named_script.h"

namespace onep::scripts {

// Returns {"ok", created ms, expires ms or ""}, {"conflict", holder id or ""}
// or {"tag_taken"} (the routing tag belongs to another org).
const NamedScript& CreateCredentialScript();

// Rotate or rename. Returns {"ok", now ms} | {"not_found"} | {"conflict"} |
// {"retry"} (the credential changed since the caller read its tokens).
const NamedScript& ReplaceTokenScript();

// A new expiry for the credential and its tokens. Returns {"ok", expires ms
// or ""} | {"not_found"} | {"retry"}.
const NamedScript& SetExpiryScript();

// Returns {"ok"} | {"not_found"} | {"retry"}.
const NamedScript& DeleteCredentialScript();

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_CREDENTIAL_SCRIPTS_H_
