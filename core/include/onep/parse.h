// SPDX-License-Identifier: Apache-2.0
// Parsers for the small values that users type: durations, byte sizes, slugs,
// names, RFC 3339 times. Pure functions, no I/O; thread-safe.
#ifndef ONEP_PARSE_H_
#define ONEP_PARSE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "onep/status.h"

namespace onep {

// Durations are at most 100 years (36500d), so that adding one to a time
// can never overflow.
inline constexpr int64_t kMaxDurationMs = 36500LL * 24 * 3600 * 1000;

// "500ms", "2s", "90s", "5m", "24h", "7d"; a bare number means seconds.
// Returns milliseconds (> 0 unless allow_zero, at most kMaxDurationMs).
// InvalidArgument otherwise.
Result<int64_t> ParseDurationMs(std::string_view text, bool allow_zero = false);

// "64k", "1m" (powers of 1024, case-insensitive, optional trailing b),
// or plain bytes "65536". InvalidArgument for anything else or zero.
Result<uint64_t> ParseByteSize(std::string_view text);

// A non-negative decimal integer with no sign or spaces, at most `max`.
Result<uint64_t> ParseUint(std::string_view text, uint64_t max);

// Organization and application slugs match this.
inline constexpr std::string_view kSlugPattern = "^[a-z0-9][a-z0-9-]{0,62}$";
bool IsValidSlug(std::string_view text);
// The one message for a `what` that is not a slug: InvalidArgument
// "invalid <what> \"<text>\": it must match ^[a-z0-9][a-z0-9-]{0,62}$".
Status InvalidSlug(std::string_view what, std::string_view text);

// 1-100 characters of valid UTF-8, none of them terminal-unsafe (control,
// format or invisible: IsTerminalUnsafe, text.h), not only spaces.
Status ValidateName(std::string_view name);

// 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in Unix ms.
inline constexpr int64_t kMinRfc3339Ms = -62135596800000;
inline constexpr int64_t kMaxRfc3339Ms = 253402300799999;

// RFC 3339 date-time ("2026-11-27T10:00:00Z", "...+02:00", fractions allowed)
// to Unix milliseconds, within [kMinRfc3339Ms, kMaxRfc3339Ms] once in UTC
// (so "0001-01-01T00:30:00+01:00" is refused). InvalidArgument otherwise.
Result<int64_t> ParseRfc3339Ms(std::string_view text);

// A point in time as typed for --since / --until: an RFC 3339 date-time
// (anything with a 'T' is taken as one), or a duration (ParseDurationMs)
// meaning that long before `now_ms`. InvalidArgument saying which form
// failed and why.
Result<int64_t> ParseTimeOrAgoMs(std::string_view text, int64_t now_ms);

// Unix milliseconds to RFC 3339 UTC with millisecond precision:
// "2026-11-27T10:00:00.123Z".
std::string FormatRfc3339Ms(int64_t unix_ms);

}  // namespace onep

#endif  // ONEP_PARSE_H_
