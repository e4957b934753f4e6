// Integration tokens: generation, offline format check, hashing.
//
// Format (docs/tokens.md):  onep_ + 32 random base62 chars + 6 base62 chars of
// CRC32(prefix + random part). 43 characters in all, [A-Za-z0-9_] only, so a
// token is double-click selectable and safe in a shell and in an HTTP header.
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
inline constexpr std::size_t kTokenRandomChars = 32;
inline constexpr std::size_t kTokenChecksumChars = 6;
inline constexpr std::size_t kTokenLength =
    kTokenPrefix.size() + kTokenRandomChars + kTokenChecksumChars;

// A new token from the OS CSPRNG. Unavailable/Internal only if the CSPRNG fails.
Result<std::string> GenerateToken();

// OK when `token` has the prefix, the length, the alphabet and a matching
// checksum; InvalidArgument naming the first problem otherwise. Reads no byte
// outside `token`. Makes no network call.
Status CheckTokenFormat(std::string_view token);

// Lowercase hex SHA-256 of the token: what is stored in Redis.
std::string TokenHash(std::string_view token);

// "…WXYZ": the last 4 characters, shown by list/show so an admin can tell
// tokens apart without the token being stored.
std::string TokenHint(std::string_view token);

// Compares in time that depends only on the lengths, never on the contents.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// A random identifier: `prefix` + n base62 characters from the OS CSPRNG
// (credential ids: RandomId("wh_", 16)).
Result<std::string> RandomId(std::string_view prefix, std::size_t n);

// CRC32 (IEEE 802.3) of data; exposed for tests.
unsigned long Crc32(std::string_view data);

}  // namespace onep

#endif  // ONEP_TOKEN_H_
