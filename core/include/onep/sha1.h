// SPDX-License-Identifier: Apache-2.0
// SHA-1 in hex: a script's id (EVALSHA) and the names of keys derived from
// what a client sent (an Idempotency-Key, a deploy_id). Not for secrets:
// tokens are hashed with SHA-256 (token.h).
//
// Thread-safety: thread-safe.
#ifndef ONEP_SHA1_H_
#define ONEP_SHA1_H_

#include <string>
#include <string_view>

namespace onep {

// Lowercase hex SHA-1 of `data`.
std::string Sha1Hex(std::string_view data);

}  // namespace onep

#endif  // ONEP_SHA1_H_
