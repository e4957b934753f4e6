// SPDX-License-Identifier: Apache-2.0
#include "onep/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "onep/json.h"
#include "onep/parse.h"
#include "terminal.h"

namespace onep {
namespace {

using cli::CutToColumns;
using cli::EscapeTerminalUnsafe;
using cli::SanitizeForTerminal;
using cli::TerminalWidth;

// Each character that could act on a terminal or fool its reader, in UTF-8.
constexpr const char* kUnsafe[] = {
    "\x1B",          // ESC
    "\x7F",          // DEL
    "\xC2\x9B",      // U+009B CSI, a one-character escape sequence
    "\xD8\x9C",      // U+061C arabic letter mark
    "\xE2\x80\x8B",  // U+200B zero width space
    "\xE2\x80\x8F",  // U+200F right-to-left mark
    "\xE2\x80\xA8",  // U+2028 line separator
    "\xE2\x80\xA9",  // U+2029 paragraph separator
    "\xE2\x80\xAE",  // U+202E right-to-left override
    "\xE2\x81\xA7",  // U+2067 right-to-left isolate
    "\xEF\xBB\xBF",  // U+FEFF zero width no-break space
};

// Characters that show nothing or look like a space, each in UTF-8 with
// its code point: a name made with one looks like another name, or blank.
struct Hidden {
  const char* utf8;
  const char* json;  // as EscapeTerminalUnsafe writes it
};
constexpr Hidden kHidden[] = {
    {"\xE2\x80\x8B", "\\u200B"},             // zero width space
    {"\xEF\xBB\xBF", "\\uFEFF"},             // zero width no-break space
    {"\xD8\x9C", "\\u061C"},                 // Arabic letter mark
    {"\xC2\xAD", "\\u00AD"},                 // soft hyphen
    {"\xF3\xA0\x81\x81", "\\uDB40\\uDC41"},  // U+E0041 tag latin capital A
    {"\xE3\x85\xA4", "\\u3164"},             // Hangul filler
    {"\xE1\x85\x9F", "\\u115F"},             // Hangul choseong filler
    {"\xE1\x85\xA0", "\\u1160"},             // Hangul jungseong filler
    {"\xEF\xBE\xA0", "\\uFFA0"},             // halfwidth Hangul filler
    {"\xE2\xA0\x80", "\\u2800"},             // braille pattern blank
    {"\xCD\x8F", "\\u034F"},                 // combining grapheme joiner
    {"\xE1\xA0\x8E", "\\u180E"},             // Mongolian vowel separator
    {"\xE2\x81\xA0", "\\u2060"},             // word joiner
    {"\xE2\x81\xA3", "\\u2063"},             // invisible separator
    {"\xEF\xBF\xB9", "\\uFFF9"},             // interlinear annotation anchor
    {"\xF3\xA0\x84\x80", "\\uDB40\\uDD00"},  // U+E0100 variation selector 17
    {"\xF0\x9D\x85\xB3", "\\uD834\\uDD73"},  // U+1D173 musical format control
};

// One rule: each hidden character is refused in a name, is '?' on a
// terminal and in a message, and is escaped in JSON for a terminal.
TEST(TextTest, HiddenCharactersAreRefusedInNamesAndEscapedOnTerminals) {
  for (const Hidden& hidden : kHidden) {
    const std::string name = std::string("web") + hidden.utf8 + "hook";
    const Status st = ValidateName(name);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << "accepted: " << hidden.json;
    EXPECT_NE(st.message().find("invisible"), std::string::npos) << st.message();
    EXPECT_FALSE(ValidateName(hidden.utf8).ok()) << hidden.json;
    EXPECT_EQ(SanitizeForTerminal(name), "web?hook") << hidden.json;
    EXPECT_EQ(QuoteForMessage(name), "\"web?hook\"") << hidden.json;
    JsonPtr value(json_string(name.c_str()));
    const std::string out = EscapeTerminalUnsafe(JsonDump(value.get(), true));
    EXPECT_EQ(out, std::string("\"web") + hidden.json + "hook\"") << out;
    json_error_t error;
    JsonPtr back(json_loadb(out.data(), out.size(), JSON_DECODE_ANY, &error));
    ASSERT_TRUE(back) << error.text << ": " << out;
    EXPECT_EQ(json_string_value(back.get()), name);
  }
  // Also named in the message, as Unicode writes it.
  EXPECT_EQ(ValidateName("a\xF3\xA0\x81\x81").message(),
            "name must not contain control, format or invisible characters (U+E0041)");
  EXPECT_EQ(ValidateName("a\xE2\x80\x8B").message(),
            "name must not contain control, format or invisible characters (U+200B)");
}

// Ordinary names in any script pass the same rule: accents, CJK, Hangul,
// Arabic, emoji with their joiners and presentation selector, spaces.
TEST(TextTest, OrdinaryNamesInAnyScriptPass) {
  for (const char* name : {
           "Caf\xC3\xA9 d\xC3\xA9ploiement",
           "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",                      // 日本語
           "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",                      // 한국어
           "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9",  // العربية
           "\xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85",  // Persian, ZWNJ
           "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB team",  // woman, ZWJ, laptop
           "\xE2\x9D\xA4\xEF\xB8\x8F ops",                       // heart + VS16
           "e\xCC\x81t\xC3\xA9",                                 // combining acute
       }) {
    const Status st = ValidateName(name);
    EXPECT_TRUE(st.ok()) << name << ": " << st.ToString();
    EXPECT_EQ(SanitizeForTerminal(name), name);
  }
  // Spaces of other widths are still only spaces.
  EXPECT_NE(ValidateName("\xE3\x80\x80\xC2\xA0 ").message().find("only spaces"), std::string::npos);
}

TEST(TextTest, EveryUnsafeCharacterBecomesOneQuestionMark) {
  for (const char* unsafe : kUnsafe) {
    EXPECT_EQ(SanitizeForTerminal(std::string("a") + unsafe + "b"), "a?b")
        << static_cast<unsigned>(static_cast<unsigned char>(unsafe[0]));
  }
  // Ordinary text, accents, CJK and emoji (with their joiners) pass.
  const std::string fine =
      "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB";
  EXPECT_EQ(SanitizeForTerminal(fine), fine);
  EXPECT_EQ(SanitizeForTerminal("\xFF\xC3"), "??");  // malformed bytes
}

TEST(TextTest, JsonKeepsItsValueAndLosesItsUnsafeBytes) {
  JsonPtr value(json_object());
  std::string text = "x";
  for (const char* unsafe : kUnsafe) text += unsafe;
  json_object_set_new(value.get(), "message", json_stringn(text.data(), text.size()));
  const std::string out = EscapeTerminalUnsafe(JsonDump(value.get(), true));
  EXPECT_EQ(out.find("\xC2\x9B"), std::string::npos);
  EXPECT_EQ(out.find("\xE2\x80\xAE"), std::string::npos);
  EXPECT_EQ(out.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_NE(out.find("\\u009B"), std::string::npos) << out;
  EXPECT_NE(out.find("\\u202E"), std::string::npos) << out;
  EXPECT_NE(out.find("\\u2028"), std::string::npos) << out;
  for (unsigned char c : out) EXPECT_TRUE(c >= 0x20 || c == '\n') << out;
  // The same JSON value.
  json_error_t error;
  JsonPtr back(json_loadb(out.data(), out.size(), 0, &error));
  ASSERT_TRUE(back) << error.text;
  EXPECT_EQ(json_string_value(json_object_get(back.get(), "message")), text);
}

TEST(TextTest, WidthsAreTerminalColumns) {
  EXPECT_EQ(TerminalWidth("abc"), 3u);
  EXPECT_EQ(TerminalWidth("\xE6\x97\xA5\xE6\x9C\xAC"), 4u);  // 日本: two wide characters
  EXPECT_EQ(TerminalWidth("e\xCC\x81"), 1u);                 // e + combining acute
  EXPECT_EQ(TerminalWidth("\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB"),
            4u);  // woman, ZWJ, laptop
  EXPECT_EQ(CutToColumns("abcdef", 4), "abc\xE2\x80\xA6");
  EXPECT_EQ(CutToColumns("abcd", 4), "abcd");
  // A wide character is never cut in half: 日本語 in 4 columns is 日 and "…".
  EXPECT_EQ(CutToColumns("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 4), "\xE6\x97\xA5\xE2\x80\xA6");
}

TEST(TextTest, Utf8IsDecodedStrictly) {
  uint32_t cp = 0;
  EXPECT_EQ(DecodeUtf8("a", 0, &cp), 1u);
  EXPECT_EQ(cp, 0x61u);
  EXPECT_EQ(DecodeUtf8("x\xC3\xA9", 1, &cp), 2u);
  EXPECT_EQ(cp, 0xE9u);
  EXPECT_EQ(DecodeUtf8("\xE2\x80\xA6", 0, &cp), 3u);
  EXPECT_EQ(cp, 0x2026u);
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x98\x80", 0, &cp), 4u);
  EXPECT_EQ(cp, 0x1F600u);
  for (const char* bad : {
           "\x80",              // a continuation byte alone
           "\xC0\xAF",          // overlong '/'
           "\xE0\x80\xAF",      // overlong, three bytes
           "\xED\xA0\x80",      // a surrogate
           "\xF4\x90\x80\x80",  // above U+10FFFF
           "\xF5\x80\x80\x80",  // no such lead byte
           "\xE2\x80",          // cut short
           "\xC3(",             // not followed by a continuation byte
       }) {
    EXPECT_EQ(DecodeUtf8(bad, 0, &cp), 0u) << ::testing::PrintToString(std::string(bad));
    EXPECT_FALSE(IsValidUtf8(bad)) << ::testing::PrintToString(std::string(bad));
  }
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
}

TEST(TextTest, QuotedForAMessageWithTokensAndUnsafeCharactersWithheld) {
  EXPECT_EQ(QuoteForMessage("acme"), "\"acme\"");
  EXPECT_EQ(QuoteForMessage("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_EQ(QuoteForMessage("onep_abcdef"), "(a token, not shown)");
  EXPECT_EQ(QuoteForMessage("a\nb"), "\"a?b\"");
  EXPECT_EQ(QuoteForMessage("say \"hi\\\""), "\"say \\\"hi\\\\\\\"\"");
  for (const char* unsafe : kUnsafe) {
    EXPECT_EQ(QuoteForMessage(std::string("a") + unsafe + "b"), "\"a?b\"")
        << ::testing::PrintToString(std::string(unsafe));
  }
  EXPECT_EQ(QuoteForMessage("a\xFF"
                            "b"),
            "\"a?b\"");  // malformed UTF-8
  EXPECT_EQ(QuoteForMessage(std::string(100, 'x')), "\"" + std::string(64, 'x') + "\xE2\x80\xA6\"");
  EXPECT_EQ(QuoteForMessage(std::string(64, 'x')), "\"" + std::string(64, 'x') + "\"");
  // Cut on a character boundary: 63 bytes, then a 2-byte character whole.
  EXPECT_EQ(QuoteForMessage(std::string(63, 'x') + "\xC3\xA9" + "yz"),
            "\"" + std::string(63, 'x') + "\xC3\xA9\xE2\x80\xA6\"");
}

// A token anywhere in a value, whole, cut short or in another case, is
// never quoted back.
TEST(TextTest, AValueHoldingATokenAnywhereIsWithheld) {
  const std::string token = "onep_" + std::string(8, 'T') + std::string(32, 'r') + "ChkSum";
  for (const std::string& value : std::vector<std::string>{
           token,
           "Bearer " + token,
           "x" + token,
           "my token is " + token + " thanks",
           token.substr(0, 20),
           "ONEP_" + token.substr(5),
           "Onep_abc",
           "name=onep_",
       }) {
    EXPECT_TRUE(ContainsTokenLike(value)) << value;
    EXPECT_EQ(QuoteForMessage(value), "(a token, not shown)") << value;
  }
  for (const std::string value : {"onep", "one_p", "onep-admin", "on ep_x", "wh_abcdef"}) {
    EXPECT_FALSE(ContainsTokenLike(value)) << value;
    EXPECT_EQ(QuoteForMessage(value), "\"" + value + "\"");
  }
}

TEST(TextTest, HexInEitherCaseAndBack) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x0F\xA5\xFF", 4)), "000fa5ff");
  EXPECT_EQ(HexEncode(std::string("\x00\x0F\xA5\xFF", 4), HexCase::kUpper), "000FA5FF");
  const std::string digits = "0123456789abcdefABCDEF";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    EXPECT_EQ(HexDigitValue(digits[i]), static_cast<int>(i < 16 ? i : i - 6)) << digits[i];
  }
  for (char c : {'g', 'G', ' ', '/', ':', '@', '`'}) EXPECT_EQ(HexDigitValue(c), -1) << c;
}

// Seconds rounded to the millisecond and ratios print as a person wrote
// them, compact or indented.
TEST(TextTest, RealsPrintWithTheDigitsADoubleHolds) {
  JsonPtr value(
      json_pack("{s:f, s:f, s:f}", "lead_time_s", 7201.24, "uptime", 10.0 / 11.0, "mttr_s", 0.001));
  EXPECT_EQ(JsonDump(value.get(), false),
            R"({"lead_time_s":7201.24,"uptime":0.909090909090909,"mttr_s":0.001})");
  EXPECT_NE(JsonDump(value.get(), true).find("\"lead_time_s\": 7201.24,"), std::string::npos);
}

}  // namespace
}  // namespace onep
