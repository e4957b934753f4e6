// SPDX-License-Identifier: Apache-2.0
#include "onep/parse.h"

#include <cstdio>
#include <limits>

#include "onep/text.h"

namespace onep {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Splits "123abc" into the leading digits and the rest; false when there is no
// digit or the number does not fit in uint64_t.
bool SplitNumber(std::string_view text, uint64_t& value, std::string_view& rest) {
  std::size_t i = 0;
  value = 0;
  while (i < text.size() && IsDigit(text[i])) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
    ++i;
  }
  rest = text.substr(i);
  return i > 0;
}

// The space characters (Zs): a name of nothing else shows as blank.
bool IsSpace(uint32_t cp) {
  return cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// "U+200B", "U+E0041": a code point as Unicode writes it.
std::string CodePointName(uint32_t cp) {
  char text[16];
  std::snprintf(text, sizeof(text), "U+%04X", static_cast<unsigned>(cp));
  return text;
}

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && IsLeapYear(y)) ? 29 : kDays[m - 1];
}

// Floor division, for dates before 1970 and before year 0.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days from 1970-01-01 to the proleptic Gregorian date y-m-d. Counting years
// from March makes the leap day the last day of the year, so the day of the
// year follows from the month by one linear formula; a 400-year cycle has
// exactly 146097 days.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  if (m <= 2) --y;
  int64_t cycle = FloorDiv(y, 400);
  int64_t year_of_cycle = y - cycle * 400;                         // [0, 399]
  int64_t month_from_march = (m + 9) % 12;                         // Mar = 0 ... Feb = 11
  int64_t day_of_year = (153 * month_from_march + 2) / 5 + d - 1;  // [0, 365]
  int64_t day_of_cycle =
      year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
  // 719468 = days from 0000-03-01 to 1970-01-01.
  return cycle * 146097 + day_of_cycle - 719468;
}

// The inverse of DaysFromCivil.
void CivilFromDays(int64_t days, int64_t& y, int& m, int& d) {
  days += 719468;
  int64_t cycle = FloorDiv(days, 146097);
  int64_t day_of_cycle = days - cycle * 146097;  // [0, 146096]
  int64_t year_of_cycle =
      (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36524 - day_of_cycle / 146096) / 365;
  int64_t day_of_year =
      day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
  int64_t month_from_march = (5 * day_of_year + 2) / 153;
  d = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  m = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  y = year_of_cycle + cycle * 400 + (m <= 2 ? 1 : 0);
}

// Reads exactly n digits at text[pos]; false if any is missing.
bool FixedDigits(std::string_view text, std::size_t pos, std::size_t n, int& value) {
  if (text.size() < pos + n) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

bool Expect(std::string_view text, std::size_t pos, char c) {
  return pos < text.size() && text[pos] == c;
}

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text, bool allow_zero) {
  auto invalid = [&] {
    return Status::InvalidArgument(
        "invalid duration " + QuoteForMessage(text) +
        ": expected a whole number with an optional unit ms, s, m, h or d (e.g. 500ms, 30s, 5m, "
        "24h, 7d)");
  };
  uint64_t number;
  std::string_view unit;
  if (!SplitNumber(text, number, unit)) {
    // No digits at all, or a number too large even before its unit.
    if (!text.empty() && IsDigit(text[0])) {
      return Status::InvalidArgument("duration " + QuoteForMessage(text) + " is too large");
    }
    return invalid();
  }
  int64_t factor_ms;
  if (unit == "ms") {
    factor_ms = 1;
  } else if (unit.empty() || unit == "s") {
    factor_ms = 1000;
  } else if (unit == "m") {
    factor_ms = 60 * 1000;
  } else if (unit == "h") {
    factor_ms = 3600 * 1000;
  } else if (unit == "d") {
    factor_ms = 24 * 3600 * 1000;
  } else {
    return invalid();
  }
  if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / factor_ms)) {
    return Status::InvalidArgument("duration " + QuoteForMessage(text) + " is too large");
  }
  if (number > static_cast<uint64_t>(kMaxDurationMs / factor_ms)) {
    return Status::InvalidArgument("duration " + QuoteForMessage(text) +
                                   " is too large (at most 36500d)");
  }
  int64_t ms = static_cast<int64_t>(number) * factor_ms;
  if (ms == 0 && !allow_zero) {
    return Status::InvalidArgument("duration " + QuoteForMessage(text) +
                                   " must be greater than zero");
  }
  return ms;
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  auto invalid = [&] {
    return Status::InvalidArgument("invalid size " + QuoteForMessage(text) +
                                   ": expected bytes or a number with k or m (e.g. 65536, 64k, "
                                   "1m)");
  };
  uint64_t number;
  std::string_view suffix;
  if (!SplitNumber(text, number, suffix)) {
    if (!text.empty() && IsDigit(text[0])) {
      return Status::InvalidArgument("size " + QuoteForMessage(text) + " is too large");
    }
    return invalid();
  }
  if (!suffix.empty() && ToLower(suffix.back()) == 'b') suffix.remove_suffix(1);
  if (suffix.size() > 1) return invalid();
  int shift = 0;
  if (suffix.size() == 1) {
    switch (ToLower(suffix[0])) {
      case 'k':
        shift = 10;
        break;
      case 'm':
        shift = 20;
        break;
      default:
        return invalid();
    }
  }
  if (number > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return Status::InvalidArgument("size " + QuoteForMessage(text) + " is too large");
  }
  if (number == 0)
    return Status::InvalidArgument("size " + QuoteForMessage(text) + " must not be zero");
  return number << shift;
}

Result<uint64_t> ParseUint(std::string_view text, uint64_t max) {
  uint64_t value;
  std::string_view rest;
  if (!SplitNumber(text, value, rest)) {
    if (!text.empty() && IsDigit(text[0])) {
      return Status::InvalidArgument(QuoteForMessage(text) + " is too large (at most " +
                                     std::to_string(max) + ")");
    }
    return Status::InvalidArgument(QuoteForMessage(text) + " is not a non-negative whole number");
  }
  if (!rest.empty()) {
    return Status::InvalidArgument(QuoteForMessage(text) + " is not a non-negative whole number");
  }
  if (value > max) {
    return Status::InvalidArgument(QuoteForMessage(text) + " is too large (at most " +
                                   std::to_string(max) + ")");
  }
  return value;
}

Result<int64_t> ParseTimeOrAgoMs(std::string_view text, int64_t now_ms) {
  if (text.find_first_of("Tt") != std::string_view::npos) {
    auto time = ParseRfc3339Ms(text);
    if (!time.ok()) {
      return Status::InvalidArgument("not an RFC 3339 time (e.g. 2026-11-27T10:00:00Z): " +
                                     time.status().message());
    }
    return *time;
  }
  auto ago = ParseDurationMs(text);
  if (!ago.ok()) {
    return Status::InvalidArgument(
        "neither a duration (e.g. 24h) nor an RFC 3339 time (e.g. 2026-11-27T10:00:00Z): " +
        ago.status().message());
  }
  return now_ms - *ago;
}

bool IsValidSlug(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= 'a' && c <= 'z') || IsDigit(c) || (c == '-' && i > 0);
    if (!ok) return false;
  }
  return true;
}

Status InvalidSlug(std::string_view what, std::string_view text) {
  return Status::InvalidArgument("invalid " + std::string(what) + " " + QuoteForMessage(text) +
                                 ": it must match " + std::string(kSlugPattern));
}

Status ValidateName(std::string_view name) {
  static constexpr std::size_t kMaxNameChars = 100;
  if (name.empty()) return Status::InvalidArgument("name must not be empty");
  std::size_t chars = 0;
  bool blank = true;
  for (std::size_t i = 0; i < name.size();) {
    uint32_t cp;
    std::size_t len = DecodeUtf8(name, i, &cp);
    if (len == 0) return Status::InvalidArgument("name is not valid UTF-8");
    if (IsTerminalUnsafe(cp)) {
      return Status::InvalidArgument(
          "name must not contain control, format or invisible characters (" + CodePointName(cp) +
          ")");
    }
    if (!IsSpace(cp)) blank = false;
    ++chars;
    i += len;
  }
  if (chars > kMaxNameChars) {
    return Status::InvalidArgument("name must be at most 100 characters (it has " +
                                   std::to_string(chars) + ")");
  }
  if (blank) return Status::InvalidArgument("name must not be only spaces");
  return Status::Ok();
}

// Accepts exactly RFC 3339 section 5.6 "date-time": YYYY-MM-DDTHH:MM:SS,
// optional fraction (any number of digits; milliseconds kept, the rest
// truncated), then Z or +HH:MM / -HH:MM. 'T' and 'Z' may be lowercase.
// A leap second (:60) is refused: Unix time cannot represent it, and a
// webhook client that sends one is better told than silently shifted.
Result<int64_t> ParseRfc3339Ms(std::string_view text) {
  auto invalid = [&](const char* why) {
    return Status::InvalidArgument("invalid time " + QuoteForMessage(text) + ": " + why +
                                   " (expected RFC 3339, e.g. 2026-11-27T10:00:00Z)");
  };
  int year, month, day, hour, minute, second;
  if (!FixedDigits(text, 0, 4, year) || !Expect(text, 4, '-') || !FixedDigits(text, 5, 2, month) ||
      !Expect(text, 7, '-') || !FixedDigits(text, 8, 2, day)) {
    return invalid("the date must be YYYY-MM-DD");
  }
  if (!(Expect(text, 10, 'T') || Expect(text, 10, 't'))) {
    return invalid("the date and the time must be separated by 'T'");
  }
  if (!FixedDigits(text, 11, 2, hour) || !Expect(text, 13, ':') ||
      !FixedDigits(text, 14, 2, minute) || !Expect(text, 16, ':') ||
      !FixedDigits(text, 17, 2, second)) {
    return invalid("the time must be HH:MM:SS");
  }
  if (month < 1 || month > 12) return invalid("month out of range");
  if (day < 1 || day > DaysInMonth(year, month)) return invalid("day out of range");
  if (hour > 23) return invalid("hour out of range");
  if (minute > 59) return invalid("minute out of range");
  if (second > 59) return invalid("second out of range (leap seconds are not accepted)");

  std::size_t pos = 19;
  int millis = 0;
  if (Expect(text, pos, '.')) {
    ++pos;
    std::size_t start = pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start) return invalid("a '.' must be followed by digits");
    for (std::size_t n = pos - start; n < 3; ++n) millis *= 10;
  }

  int offset_minutes = 0;
  if (Expect(text, pos, 'Z') || Expect(text, pos, 'z')) {
    ++pos;
  } else if (Expect(text, pos, '+') || Expect(text, pos, '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    int off_h, off_m;
    if (!FixedDigits(text, pos + 1, 2, off_h) || !Expect(text, pos + 3, ':') ||
        !FixedDigits(text, pos + 4, 2, off_m)) {
      return invalid("the offset must be Z or +HH:MM / -HH:MM");
    }
    if (off_h > 23 || off_m > 59) return invalid("offset out of range");
    offset_minutes = sign * (off_h * 60 + off_m);
    pos += 6;
  } else {
    return invalid("a time zone (Z or +HH:MM) is required");
  }
  if (pos != text.size()) return invalid("unexpected characters after the time zone");

  int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                    int64_t{offset_minutes} * 60;
  const int64_t ms = seconds * 1000 + millis;
  // In UTC, years 0001 to 9999 only: what FormatRfc3339Ms can write back.
  if (ms < kMinRfc3339Ms || ms > kMaxRfc3339Ms) {
    return invalid("the time must be within the years 0001 to 9999 in UTC");
  }
  return ms;
}

std::string FormatRfc3339Ms(int64_t unix_ms) {
  int64_t days = FloorDiv(unix_ms, 86400000);
  int64_t ms_of_day = unix_ms - days * 86400000;
  int64_t year;
  int month, day;
  CivilFromDays(days, year, month, day);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(year), month, day, static_cast<int>(ms_of_day / 3600000),
                static_cast<int>(ms_of_day / 60000 % 60), static_cast<int>(ms_of_day / 1000 % 60),
                static_cast<int>(ms_of_day % 1000));
  return buf;
}

}  // namespace onep
