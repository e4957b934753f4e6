// SPDX-License-Identifier: Apache-2.0
// The credential store's readings of Redis replies, shared by its changes
// (redis_credential_store.cc) and its queries (redis_credential_queries.cc).
#ifndef ONEP_CORE_SRC_CREDENTIALS_CREDENTIAL_REPLIES_H_
#define ONEP_CORE_SRC_CREDENTIALS_CREDENTIAL_REPLIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "onep/credential.h"
#include "onep/redis_connection.h"
#include "onep/status.h"

namespace onep::credential_replies {

// A decimal of milliseconds; nullopt for "".
std::optional<int64_t> OptionalMs(const std::string& text);

// A credential from an HGETALL reply and its HGET of last used; nullopt when
// the hash is empty.
std::optional<Credential> FromHash(const Reply& reply, const Reply& last_used,
                                   const std::string& tag);

// The first error reply of a pipeline of reads (e.g. NOPERM for an ACL user
// without a right) as Unavailable quoting it: never mistaken for a miss.
Status FirstError(const char* what, const std::vector<Reply>& replies);

// Internal: a reply of a shape no script or command gives.
Status Unexpected(const char* what, const Reply& reply);

// Element i's string, "" past the end.
const std::string& Str(const Reply& reply, std::size_t i);

}  // namespace onep::credential_replies

#endif  // ONEP_CORE_SRC_CREDENTIALS_CREDENTIAL_REPLIES_H_
