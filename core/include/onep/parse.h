// Parsers for the small values that users type: durations, byte sizes, slugs,
// names, RFC 3339 times. Pure functions, no I/O; thread-safe.
#ifndef ONEP_PARSE_H_
#define ONEP_PARSE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "onep/status.h"

namespace onep {

// "500ms", "2s", "90s", "5m", "24h", "7d"; a bare number means seconds.
// Returns milliseconds (> 0 unless allow_zero). InvalidArgument otherwise.
Result<int64_t> ParseDurationMs(std::string_view text, bool allow_zero = false);

// "64k", "1m", "1g" (powers of 1024, case-insensitive, optional trailing b),
// or plain bytes "65536". InvalidArgument for anything else or zero.
Result<uint64_t> ParseByteSize(std::string_view text);

// A non-negative decimal integer with no sign or spaces, at most `max`.
Result<uint64_t> ParseUint(std::string_view text, uint64_t max);

// ^[a-z0-9][a-z0-9-]{0,62}$ : organization and application slugs.
bool IsValidSlug(std::string_view text);

// 1-100 printable UTF-8 characters (no control characters, valid UTF-8).
Status ValidateName(std::string_view name);

// True when `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

// RFC 3339 date-time ("2026-11-27T10:00:00Z", "...+02:00", fractions allowed)
// to Unix milliseconds. InvalidArgument for anything else.
Result<int64_t> ParseRfc3339Ms(std::string_view text);

// Unix milliseconds to RFC 3339 UTC with millisecond precision:
// "2026-11-27T10:00:00.123Z".
std::string FormatRfc3339Ms(int64_t unix_ms);

// The current wall-clock time in Unix milliseconds.
int64_t NowMs();

}  // namespace onep

#endif  // ONEP_PARSE_H_
