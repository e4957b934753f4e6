// SPDX-License-Identifier: Apache-2.0
#include "onep/text.h"

#include <gtest/gtest.h>

#include "onep/json.h"
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

}  // namespace
}  // namespace onep
