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

bool IsTerminalUnsafe(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200B || cp == 0x200E ||
         cp == 0x200F || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         cp == 0x2060 || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

std::string QuoteForMessage(std::string_view text) {
  static constexpr std::size_t kMaxQuoted = 64;
  if (text.rfind(kTokenPrefix, 0) == 0) return "(a token, not shown)";
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

}  // namespace onep
