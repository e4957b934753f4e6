// SPDX-License-Identifier: Apache-2.0
#include "onep/parse.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "onep/clock.h"
#include "onep/text.h"

namespace onep {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// ---- Status (what every parser returns) -----------------------------------

TEST(StatusTest, CodeNamesAndToString) {
  EXPECT_STREQ(CodeName(Code::kOk), "ok");
  EXPECT_STREQ(CodeName(Code::kInvalidArgument), "invalid_argument");
  EXPECT_STREQ(CodeName(Code::kInvalidJson), "invalid_json");
  EXPECT_STREQ(CodeName(Code::kInvalidEvent), "invalid_event");
  EXPECT_STREQ(CodeName(Code::kNotFound), "not_found");
  EXPECT_STREQ(CodeName(Code::kConflict), "conflict");
  EXPECT_STREQ(CodeName(Code::kUnavailable), "unavailable");
  EXPECT_STREQ(CodeName(Code::kInternal), "internal");
  EXPECT_EQ(Status::Ok().ToString(), "ok");
  EXPECT_EQ(Status::Unavailable("cannot connect to redis://127.0.0.1:6379/0: Connection refused")
                .ToString(),
            "unavailable: cannot connect to redis://127.0.0.1:6379/0: Connection refused");
  EXPECT_EQ(Status(Code::kConflict, "").ToString(), "conflict");
  Result<int> r = Status::NotFound("no such credential");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  Result<int> v = 3;
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.status().ok());
}

// ---- durations -------------------------------------------------------------

struct DurationCase {
  std::string text;
  int64_t ms;
};

TEST(ParseDurationTest, AcceptsEveryUnit) {
  const std::vector<DurationCase> cases = {
      {"500ms", 500},           {"1ms", 1},
      {"2s", 2 * kSecond},      {"90s", 90 * kSecond},
      {"5m", 5 * kMinute},      {"24h", 24 * kHour},
      {"7d", 7 * kDay},         {"30", 30 * kSecond},
      {"1", kSecond},           {"007s", 7000},
      {"1000ms", kSecond},      {"365d", 365 * kDay},
      {"36500d", 36500 * kDay}, {"3153600000000ms", 36500 * kDay},
  };
  for (const DurationCase& c : cases) {
    auto ms = ParseDurationMs(c.text);
    ASSERT_TRUE(ms.ok()) << c.text << ": " << ms.status().ToString();
    EXPECT_EQ(*ms, c.ms) << c.text;
  }
}

TEST(ParseDurationTest, RejectsGarbageNegativesAndOverflow) {
  const std::vector<std::string> bad = {
      "",
      " ",
      "ms",
      "s",
      "-5s",
      "+5s",
      "5 s",
      " 5s",
      "5s ",
      "1.5s",
      "5S",
      "5M",
      "5sec",
      "5ss",
      "5y",
      "5w",
      "1h30m",
      "0x10",
      "abc",
      "5\n",
      "9223372036854775808ms",
      "106751991168d",
      "9223372036854775807s",
      "99999999999999999999999999",
      "18446744073709551616ms",
  };
  for (const std::string& text : bad) {
    auto ms = ParseDurationMs(text);
    EXPECT_EQ(ms.status().code(), Code::kInvalidArgument) << "accepted: " << text;
  }
  // A NUL inside the view is not the end of the text.
  EXPECT_FALSE(ParseDurationMs(std::string_view("5\0s", 3)).ok());
}

TEST(ParseDurationTest, ZeroOnlyWhenAllowed) {
  for (const char* zero : {"0", "0s", "0ms", "0d"}) {
    EXPECT_EQ(ParseDurationMs(zero).status().code(), Code::kInvalidArgument) << zero;
    auto ms = ParseDurationMs(zero, /*allow_zero=*/true);
    ASSERT_TRUE(ms.ok()) << zero;
    EXPECT_EQ(*ms, 0);
  }
}

TEST(ParseDurationTest, MessageQuotesTheInputSafely) {
  auto ms = ParseDurationMs("5 parsecs\x1b[31m");
  ASSERT_FALSE(ms.ok());
  EXPECT_NE(ms.status().message().find("5 parsecs"), std::string::npos);
  EXPECT_EQ(ms.status().message().find('\x1b'), std::string::npos);
  EXPECT_NE(ParseDurationMs("999999999999d").status().message().find("too large"),
            std::string::npos);
}

// ---- byte sizes ------------------------------------------------------------

TEST(ParseByteSizeTest, AcceptsPowersOf1024) {
  const std::vector<std::pair<std::string, uint64_t>> cases = {
      {"65536", 65536},
      {"1", 1},
      {"64k", 64 << 10},
      {"64K", 64 << 10},
      {"64kb", 64 << 10},
      {"64KB", 64 << 10},
      {"64kB", 64 << 10},
      {"1m", 1 << 20},
      {"1M", 1 << 20},
      {"1mb", 1 << 20},
      {"100b", 100},
      {"100B", 100},
      {"17592186044415m", 17592186044415ULL << 20},
      {"18446744073709551615", std::numeric_limits<uint64_t>::max()},
  };
  for (const auto& [text, bytes] : cases) {
    auto size = ParseByteSize(text);
    ASSERT_TRUE(size.ok()) << text << ": " << size.status().ToString();
    EXPECT_EQ(*size, bytes) << text;
  }
}

TEST(ParseByteSizeTest, RejectsZeroGarbageAndOverflow) {
  const std::vector<std::string> bad = {
      "",
      "0",
      "0k",
      "k",
      "-1",
      "+1",
      "1.5k",
      "1 k",
      " 1k",
      "1k ",
      "1kk",
      "1bb",
      "1kib",
      "1t",
      "1x",
      "64kbs",
      "0x40",
      "18446744073709551616",
      "17179869184g",  // no g: every limit is far below a gigabyte
      "1g",
      "2G",
      "18014398509481984k",
  };
  for (const std::string& text : bad) {
    EXPECT_EQ(ParseByteSize(text).status().code(), Code::kInvalidArgument) << "accepted: " << text;
  }
}

// ---- unsigned integers -----------------------------------------------------

TEST(ParseUintTest, AcceptsDigitsUpToMax) {
  EXPECT_EQ(*ParseUint("0", 10), 0u);
  EXPECT_EQ(*ParseUint("10", 10), 10u);
  EXPECT_EQ(*ParseUint("0010", 10), 10u);
  EXPECT_EQ(*ParseUint("18446744073709551615", std::numeric_limits<uint64_t>::max()),
            std::numeric_limits<uint64_t>::max());
}

TEST(ParseUintTest, RejectsEverythingElse) {
  for (const char* text :
       {"", "11", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x1", "one", "18446744073709551616"}) {
    auto value = ParseUint(text, 10);
    EXPECT_EQ(value.status().code(), Code::kInvalidArgument) << "accepted: " << text;
  }
  EXPECT_FALSE(ParseUint("18446744073709551616", std::numeric_limits<uint64_t>::max()).ok());
  EXPECT_NE(ParseUint("11", 10).status().message().find("10"), std::string::npos);
}

// ---- slugs -----------------------------------------------------------------

TEST(SlugTest, MatchesThePattern) {
  for (const std::string& ok :
       {std::string("a"), std::string("0"), std::string("acme"), std::string("acme-corp-2"),
        std::string("a-"), std::string("9lives"), std::string(63, 'x')}) {
    EXPECT_TRUE(IsValidSlug(ok)) << ok;
  }
  for (const std::string& bad :
       {std::string(""), std::string("-a"), std::string("Acme"), std::string("acme_corp"),
        std::string("acme corp"), std::string("acme.corp"), std::string("acmé"),
        std::string(64, 'x'), std::string("a\n"), std::string("a{b}"), std::string("a:b"),
        std::string("a\0b", 3)}) {
    EXPECT_FALSE(IsValidSlug(bad)) << bad;
  }
}

// ---- names and UTF-8 -------------------------------------------------------

TEST(ValidateNameTest, AcceptsPrintableUtf8UpToHundredCharacters) {
  const std::vector<std::string> ok = {
      "x",
      "Production alerts",
      "Café ☕ — déploiement",
      "日本語の名前",
      "emoji \xF0\x9F\x9A\x80",
      std::string(100, 'a'),
      [] {  // 100 three-byte characters: 300 bytes, still 100 characters
        std::string s;
        for (int i = 0; i < 100; ++i) s += "\xE2\x82\xAC";
        return s;
      }(),
      " padded ",
  };
  for (const std::string& name : ok) {
    Status st = ValidateName(name);
    EXPECT_TRUE(st.ok()) << name << ": " << st.ToString();
  }
}

TEST(ValidateNameTest, RejectsWithAReason) {
  std::string euro101;
  for (int i = 0; i < 101; ++i) euro101 += "\xE2\x82\xAC";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "empty"},
      {std::string(101, 'a'), "100"},
      {euro101, "100"},
      {"   ", "spaces"},
      {"tab\there", "control"},
      {"line\nbreak", "control"},
      {std::string("nul\0x", 5), "control"},
      {"del\x7F", "control"},
      {"c1 \xC2\x85 next line", "control"},
      {"c1 \xC2\x9B csi", "control"},
      {"esc\x1b[31m", "control"},
      {"sep\xE2\x80\xA8", "control"},
      {"rlo \xE2\x80\xAE gnp.exe", "control"},
      {"isolate \xE2\x81\xA6", "control"},
      {"latin1 \xE9t\xE9", "UTF-8"},
      {"overlong \xC0\xAF", "UTF-8"},
      {"surrogate \xED\xA0\x80", "UTF-8"},
      {"truncated \xE2\x82", "UTF-8"},
  };
  for (const auto& [name, reason] : bad) {
    Status st = ValidateName(name);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << "accepted: " << name;
    EXPECT_NE(st.message().find("name"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(reason), std::string::npos) << name << " -> " << st.message();
  }
}

TEST(Utf8Test, StrictDecoding) {
  const std::vector<std::string> valid = {
      "",
      "plain ascii",
      std::string("\0", 1),
      "\x7F",
      "\xC2\x80",          // U+0080, smallest 2-byte
      "\xDF\xBF",          // U+07FF
      "\xE0\xA0\x80",      // U+0800, smallest 3-byte
      "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
      "\xEE\x80\x80",      // U+E000, just above them
      "\xEF\xBF\xBF",      // U+FFFF
      "\xF0\x90\x80\x80",  // U+10000, smallest 4-byte
      "\xF4\x8F\xBF\xBF",  // U+10FFFF, the largest code point
      "h\xC3\xA9llo w\xC3\xB6rld",
  };
  for (const std::string& s : valid) EXPECT_TRUE(IsValidUtf8(s)) << testing::PrintToString(s);

  const std::vector<std::string> invalid = {
      "\x80",  // lone continuation byte
      "\xBF",
      "\xC0\x80",          // overlong NUL
      "\xC1\xBF",          // overlong U+007F
      "\xE0\x80\x80",      // overlong 3-byte
      "\xE0\x9F\xBF",      // overlong U+07FF
      "\xF0\x80\x80\x80",  // overlong 4-byte
      "\xF0\x8F\xBF\xBF",  // overlong U+FFFF
      "\xED\xA0\x80",      // U+D800, a surrogate
      "\xED\xBF\xBF",      // U+DFFF
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80",  // lead byte beyond U+10FFFF
      "\xFE",
      "\xFF",
      "\xC2",  // truncated
      "\xE2\x82",
      "\xF0\x9F\x9A",
      "\xC2\x41",  // continuation missing
      "\xE2\x28\xA1",
      "ok then \xC3",
      "\xF8\x88\x80\x80\x80",  // 5-byte form
  };
  for (const std::string& s : invalid) EXPECT_FALSE(IsValidUtf8(s)) << testing::PrintToString(s);
}

// ---- RFC 3339 --------------------------------------------------------------

struct TimeCase {
  std::string text;
  int64_t ms;
};

TEST(Rfc3339Test, ParsesValidTimes) {
  // Expected values computed independently (Python datetime).
  const std::vector<TimeCase> cases = {
      {"2026-11-27T10:00:00Z", 1795773600000},
      {"2026-11-27T10:00:00.123Z", 1795773600123},
      {"2026-11-27t10:00:00.123z", 1795773600123},
      {"2026-11-27T10:00:00.1Z", 1795773600100},
      {"2026-11-27T10:00:00.12Z", 1795773600120},
      {"2026-11-27T10:00:00.123999999Z", 1795773600123},  // truncated, not rounded
      {"2026-11-27T11:00:00+01:00", 1795773600000},
      {"2026-11-27T04:30:00-05:30", 1795773600000},
      {"2026-11-27T10:00:00+00:00", 1795773600000},
      {"2026-11-27T10:00:00-00:00", 1795773600000},
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59.999Z", -1},
      {"2000-02-29T23:59:59.999+01:00", 951865199999},
      {"2024-02-29T12:30:00-05:30", 1709229600000},
      {"9999-12-31T23:59:59.999Z", 253402300799999},
      {"0001-01-01T00:00:00Z", -62135596800000},
      {"0001-01-01T23:59:00+23:59", -62135596800000},
      {"9999-12-31T23:59:59.999-00:00", 253402300799999},
      {"0000-12-31T23:00:00-01:00", -62135596800000},  // year 0001 once in UTC
      {"2026-01-01T00:30:00+23:59", 1767141060000},
  };
  for (const TimeCase& c : cases) {
    auto ms = ParseRfc3339Ms(c.text);
    ASSERT_TRUE(ms.ok()) << c.text << ": " << ms.status().ToString();
    EXPECT_EQ(*ms, c.ms) << c.text;
  }
}

TEST(Rfc3339Test, RejectsEverythingElse) {
  const std::vector<std::string> bad = {
      "",
      "2026-11-27",
      "2026-11-27T10:00Z",
      "2026-11-27T10:00:00",   // no zone
      "2026-11-27 10:00:00Z",  // space separator
      "2026-11-27X10:00:00Z",
      "2026-11-27T10:00:00UTC",
      "2026-11-27T10:00:00+0100",
      "2026-11-27T10:00:00+01",
      "2026-11-27T10:00:00+1:00",
      "2026-11-27T10:00:00+24:00",
      "2026-11-27T10:00:00+01:60",
      "2026-11-27T10:00:00.Z",
      "2026-11-27T10:00:00,5Z",
      "2026-11-27T10:00:00ZZ",
      "2026-11-27T10:00:00Z ",
      " 2026-11-27T10:00:00Z",
      "2026-11-27T10:00:00Z\n",
      "26-11-27T10:00:00Z",
      "+2026-11-27T10:00:00Z",
      "-2026-11-27T10:00:00Z",
      "20261-11-27T10:00:00Z",
      "2026-1-27T10:00:00Z",
      "2026-11-7T10:00:00Z",
      "2026-00-27T10:00:00Z",
      "2026-13-27T10:00:00Z",
      "2026-11-00T10:00:00Z",
      "2026-11-31T10:00:00Z",
      "2026-04-31T10:00:00Z",
      "2026-02-29T10:00:00Z",  // not a leap year
      "1900-02-29T10:00:00Z",  // divisible by 100
      "2100-02-29T10:00:00Z",
      "2026-11-27T24:00:00Z",
      "2026-11-27T10:60:00Z",
      "2026-11-27T23:59:60Z",  // leap seconds are refused (documented)
      "2026-11-27T1a:00:00Z",
      "1795773600000",
      "2026-11-27T10:00:00.-1Z",
      "２０２６-11-27T10:00:00Z",
  };
  for (const std::string& text : bad) {
    auto ms = ParseRfc3339Ms(text);
    EXPECT_EQ(ms.status().code(), Code::kInvalidArgument) << "accepted: " << text;
  }
}

TEST(Rfc3339Test, LeapDays) {
  EXPECT_TRUE(ParseRfc3339Ms("2000-02-29T00:00:00Z").ok());
  EXPECT_TRUE(ParseRfc3339Ms("2024-02-29T00:00:00Z").ok());
  EXPECT_TRUE(ParseRfc3339Ms("1600-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339Ms("2023-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339Ms("2200-02-29T00:00:00Z").ok());
  EXPECT_EQ(*ParseRfc3339Ms("2024-03-01T00:00:00Z") - *ParseRfc3339Ms("2024-02-28T00:00:00Z"),
            2 * kDay);
  EXPECT_EQ(*ParseRfc3339Ms("2023-03-01T00:00:00Z") - *ParseRfc3339Ms("2023-02-28T00:00:00Z"),
            kDay);
}

// Every day from 1900 to 2199 against the C library's timegm (UTC, so no
// locale or time zone is involved).
TEST(Rfc3339Test, AgreesWithTimegmOnEveryDay) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int y = 1900; y < 2200; ++y) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    for (int m = 1; m <= 12; ++m) {
      int days = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
      for (int d = 1; d <= days; ++d) {
        char text[64];
        std::snprintf(text, sizeof(text), "%04d-%02d-%02dT13:14:15.016Z", y, m, d);
        std::tm tm{};
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = d;
        tm.tm_hour = 13;
        tm.tm_min = 14;
        tm.tm_sec = 15;
        int64_t expected = static_cast<int64_t>(timegm(&tm)) * 1000 + 16;
        auto ms = ParseRfc3339Ms(text);
        ASSERT_TRUE(ms.ok()) << text;
        ASSERT_EQ(*ms, expected) << text;
        ASSERT_EQ(FormatRfc3339Ms(expected), text);
      }
    }
  }
}

TEST(FormatRfc3339Test, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(1795773600123), "2026-11-27T10:00:00.123Z");
  EXPECT_EQ(FormatRfc3339Ms(1795773600000), "2026-11-27T10:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Ms(-86400000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Ms(-62135596800000), "0001-01-01T00:00:00.000Z");
}

// Times that would leave the years 0001-9999 once normalised to UTC, and
// durations whose sum with a time could overflow, are refused before any
// arithmetic is done with them.
TEST(Rfc3339Test, OnlyYearsOneToNineThousandNineHundredNinetyNineInUtc) {
  for (const char* text :
       {"0000-01-01T00:00:00Z", "0000-12-31T23:30:00+00:00", "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:59:59-00:01", "9999-12-31T23:00:00-01:00"}) {
    auto ms = ParseRfc3339Ms(text);
    ASSERT_FALSE(ms.ok()) << text << " -> " << FormatRfc3339Ms(*ms);
    EXPECT_NE(ms.status().message().find("0001 to 9999"), std::string::npos)
        << ms.status().message();
  }
}

TEST(ParseDurationTest, AtMostOneHundredYears) {
  for (const char* text :
       {"36501d", "3153600000001ms", "876001h", "106751991167d", "9223372036854775807ms"}) {
    auto ms = ParseDurationMs(text);
    ASSERT_FALSE(ms.ok()) << text;
    EXPECT_NE(ms.status().message().find("too large"), std::string::npos) << ms.status().message();
  }
}

TEST(FormatRfc3339Test, RoundTripsRandomTimes) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> dist(kMinRfc3339Ms, kMaxRfc3339Ms);
  for (int i = 0; i < 100000; ++i) {
    int64_t ms = dist(rng);
    std::string text = FormatRfc3339Ms(ms);
    auto back = ParseRfc3339Ms(text);
    ASSERT_TRUE(back.ok()) << text;
    ASSERT_EQ(*back, ms) << text;
  }
}

TEST(NowMsTest, IsTheWallClock) {
  int64_t before = static_cast<int64_t>(std::time(nullptr)) * 1000;
  int64_t now = NowMs();
  int64_t after = (static_cast<int64_t>(std::time(nullptr)) + 1) * 1000;
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace onep
