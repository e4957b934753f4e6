// SPDX-License-Identifier: Apache-2.0
#include "onep/text.h"

#include <optional>

#include "onep/token.h"

namespace onep {

std::size_t DecodeUtf8(std::string_view text, std::size_t i, uint32_t* code_point) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t len;
  uint32_t min;
  uint32_t cp;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2, min = 0x80, cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3, min = 0x800, cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4, min = 0x10000, cp = lead & 0x07;
  } else {
    return 0;  // continuation byte, C0/C1 (always overlong), or F5..FF
  }
  if (text.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return len;
}

bool IsValidUtf8(std::string_view text) {
  uint32_t cp;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

namespace {

// The terminal-unsafe code points (text.h says why each), as inclusive
// ranges in ascending order.
struct CodePointRange {
  uint32_t first;
  uint32_t last;
};
constexpr CodePointRange kTerminalUnsafe[] = {
    {0x0000, 0x001F},    // C0 controls
    {0x007F, 0x009F},    // DEL, C1 controls
    {0x00AD, 0x00AD},    // soft hyphen
    {0x034F, 0x034F},    // combining grapheme joiner
    {0x0600, 0x0605},    // Arabic number signs (Cf)
    {0x061C, 0x061C},    // Arabic letter mark
    {0x06DD, 0x06DD},    // Arabic end of ayah (Cf)
    {0x070F, 0x070F},    // Syriac abbreviation mark (Cf)
    {0x0890, 0x0891},    // Arabic pound and piastre marks above (Cf)
    {0x08E2, 0x08E2},    // Arabic disputed end of ayah (Cf)
    {0x115F, 0x1160},    // Hangul choseong and jungseong fillers
    {0x17B4, 0x17B5},    // Khmer inherent vowels (invisible)
    {0x180B, 0x180F},    // Mongolian variation selectors, vowel separator
    {0x200B, 0x200B},    // zero width space (U+200C, U+200D allowed: text.h)
    {0x200E, 0x200F},    // left-to-right and right-to-left marks
    {0x2028, 0x202E},    // line and paragraph separators, bidi embeddings
    {0x2060, 0x206F},    // word joiner, invisible operators, bidi isolates
    {0x2800, 0x2800},    // braille pattern blank
    {0x3164, 0x3164},    // Hangul filler
    {0xFEFF, 0xFEFF},    // zero width no-break space (BOM)
    {0xFFA0, 0xFFA0},    // halfwidth Hangul filler
    {0xFFF0, 0xFFFB},    // unassigned ignorables, interlinear annotation
    {0x110BD, 0x110BD},  // Kaithi number sign (Cf)
    {0x110CD, 0x110CD},  // Kaithi number sign above (Cf)
    {0x13430, 0x1343F},  // Egyptian hieroglyph format controls
    {0x1BCA0, 0x1BCA3},  // shorthand format controls
    {0x1D173, 0x1D17A},  // musical symbol format controls
    {0xE0000, 0xE0FFF},  // tags, variation selectors supplement
};

}  // namespace

bool IsTerminalUnsafe(uint32_t cp) {
  for (const CodePointRange& range : kTerminalUnsafe) {
    if (cp < range.first) return false;  // ascending: no later range holds it
    if (cp <= range.last) return true;
  }
  return false;
}

bool ContainsTokenLike(std::string_view text) {
  const std::size_t n = kTokenPrefix.size();
  for (std::size_t i = 0; i + n <= text.size(); ++i) {
    bool match = true;
    for (std::size_t k = 0; k < n && match; ++k) {
      char c = text[i + k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      match = c == kTokenPrefix[k];
    }
    if (match) return true;
  }
  return false;
}

std::string QuoteForMessage(std::string_view text) {
  static constexpr std::size_t kMaxQuoted = 64;
  if (ContainsTokenLike(text)) return "(a token, not shown)";
  std::string out = "\"";
  std::size_t shown = 0;
  ForEachCharacter(text, [&](std::string_view seq, std::optional<uint32_t> cp) {
    if (shown >= kMaxQuoted) {
      out += "\xE2\x80\xA6";  // …
      return false;
    }
    shown += seq.size();
    if (!cp || IsTerminalUnsafe(*cp)) {
      out += '?';
    } else {
      if (*cp == '"' || *cp == '\\') out += '\\';
      out.append(seq);
    }
    return true;
  });
  return out + "\"";
}

std::string HexEncode(std::string_view bytes, HexCase letters) {
  const char* digits = letters == HexCase::kUpper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out(2 * bytes.size(), '\0');
  char* at = out.data();
  for (const char byte : bytes) {
    const auto b = static_cast<unsigned char>(byte);
    *at++ = digits[b >> 4];
    *at++ = digits[b & 15];
  }
  return out;
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

namespace {
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kBase64Alphabet[v >> 18]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out.push_back(kBase64Alphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kBase64Alphabet[v >> 18]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      int d = 0;
      if (k < 4 - pad) {
        d = Base64Value(text[i + k]);
        if (d < 0) return std::nullopt;
      }
      v = v << 6 | static_cast<uint32_t>(d);
    }
    if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) return std::nullopt;
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xFF));
  }
  return out;
}

}  // namespace onep
