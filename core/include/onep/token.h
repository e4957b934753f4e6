// SPDX-License-Identifier: Apache-2.0
// Integration tokens, routing tags and credential ids: generation, offline
// format checks, hashing.
//
// Every organization has a routing tag: 8 random base62 characters, assigned
// with its first credential, never changed. It is the Redis Cluster hash tag
// of all the org's keys, and it is inside every token and every credential
// id, so the server that holds a token's keys is known from the token alone.
//
// Token (docs/tokens.md):  onep_ + tag (8) + 32 random base62 + 6 base62 of
// CRC32 over everything before them: 51 characters, [A-Za-z0-9_] only, so a
// token is double-click selectable and safe in a shell and an HTTP header.
// Credential id:  wh_ + tag (8) + 12 random base62: 23 characters.
//
// Tokens and ids issued before routing tags (layout 1, docs/CHANGELOG.md)
// are "legacy": a token of onep_ + 32 random + 6 CRC (43 characters) and an
// id of wh_ + 16 random (19). They are still accepted; their tag is looked up.
//
// Thread-safety: all functions are thread-safe.
#ifndef ONEP_TOKEN_H_
#define ONEP_TOKEN_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "onep/status.h"

namespace onep {

inline constexpr std::string_view kTokenPrefix = "onep_";
inline constexpr std::size_t kRoutingTagChars = 8;
inline constexpr std::size_t kTokenRandomChars = 32;
inline constexpr std::size_t kTokenChecksumChars = 6;
inline constexpr std::size_t kTokenLength =
    kTokenPrefix.size() + kRoutingTagChars + kTokenRandomChars + kTokenChecksumChars;
inline constexpr std::size_t kLegacyTokenLength =
    kTokenPrefix.size() + kTokenRandomChars + kTokenChecksumChars;

inline constexpr std::string_view kCredentialIdPrefix = "wh_";
inline constexpr std::size_t kCredentialIdRandomChars = 12;
inline constexpr std::size_t kCredentialIdLength =
    kCredentialIdPrefix.size() + kRoutingTagChars + kCredentialIdRandomChars;
inline constexpr std::size_t kLegacyCredentialIdLength = kCredentialIdPrefix.size() + 16;

// A new routing tag from the OS CSPRNG. Internal only if the CSPRNG fails.
Result<std::string> GenerateRoutingTag();
// Exactly kRoutingTagChars base62 characters.
bool IsValidRoutingTag(std::string_view tag);

// A new token of the org with routing tag `tag`, from the OS CSPRNG.
// InvalidArgument for a malformed tag; Internal only if the CSPRNG fails.
Result<std::string> GenerateToken(std::string_view tag);

// OK when `token` has the prefix, a length (current or legacy), the alphabet
// and a matching checksum; InvalidArgument naming the first problem
// otherwise. Reads no byte outside `token`. Makes no network call.
Status CheckTokenFormat(std::string_view token);

// The routing tag inside a well-formed current token; empty for a legacy one.
// Precondition: CheckTokenFormat(token).ok().
std::string_view TokenRoutingTag(std::string_view token);

// A new credential id of the org with routing tag `tag`.
Result<std::string> GenerateCredentialId(std::string_view tag);

// What a credential id says about itself, offline.
enum class CredentialIdForm { kMalformed, kCurrent, kLegacy };
CredentialIdForm ClassifyCredentialId(std::string_view id);
// The routing tag inside a current id; empty for a legacy or malformed one.
std::string_view CredentialIdRoutingTag(std::string_view id);

// Lowercase hex SHA-256 of the token: what is stored in Redis.
std::string TokenHash(std::string_view token);

// "…WXYZ": the last 4 characters, shown by list/show so an admin can tell
// tokens apart without the token being stored.
std::string TokenHint(std::string_view token);

// Compares in time that depends only on the lengths, never on the contents.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// A random identifier: `prefix` + n base62 characters from the OS CSPRNG.
Result<std::string> RandomId(std::string_view prefix, std::size_t n);

// CRC32 (IEEE 802.3) of data; exposed for tests.
unsigned long Crc32(std::string_view data);

}  // namespace onep

#endif  // ONEP_TOKEN_H_
