// SPDX-License-Identifier: Apache-2.0
#include "terminal.h"

#include <optional>

#include "onep/text.h"

namespace onep::cli {

int CodePointWidth(uint32_t cp) {
  // Combining marks, and the zero-width joiners of emoji and scripts.
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
      (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F) || cp == 0x200C ||
      cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F)) {
    return 0;
  }
  // East Asian Wide and Fullwidth, and the emoji blocks.
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
      (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

namespace {

int Columns(std::optional<uint32_t> cp) { return cp ? CodePointWidth(*cp) : 1; }

// \uXXXX for a UTF-16 code unit.
std::string Utf16Escape(uint32_t unit) {
  const char bytes[2] = {static_cast<char>(unit >> 8), static_cast<char>(unit & 0xFF)};
  return "\\u" + HexEncode(std::string_view(bytes, 2), HexCase::kUpper);
}

}  // namespace

std::size_t TerminalWidth(std::string_view text) {
  std::size_t width = 0;
  ForEachCharacter(text, [&](std::string_view, std::optional<uint32_t> cp) {
    width += static_cast<std::size_t>(Columns(cp));
    return true;
  });
  return width;
}

std::string CutToColumns(std::string_view text, std::size_t max) {
  if (TerminalWidth(text) <= max) return std::string(text);
  std::string out;
  std::size_t used = 0;
  ForEachCharacter(text, [&](std::string_view seq, std::optional<uint32_t> cp) {
    const int columns = Columns(cp);
    if (used + static_cast<std::size_t>(columns) > max - 1) return false;
    out.append(seq);
    used += static_cast<std::size_t>(columns);
    return true;
  });
  return out + "\xE2\x80\xA6";  // …
}

std::string SanitizeForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  ForEachCharacter(text, [&](std::string_view seq, std::optional<uint32_t> cp) {
    if (cp && !IsTerminalUnsafe(*cp)) {
      out.append(seq);
    } else {
      out += '?';
    }
    return true;
  });
  return out;
}

std::string EscapeTerminalUnsafe(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  ForEachCharacter(json, [&](std::string_view seq, std::optional<uint32_t> cp) {
    // C0 controls are escaped by Jansson already; the rest as \uXXXX, and
    // above the BMP as JSON writes it, a surrogate pair.
    if (cp && *cp >= 0x7F && IsTerminalUnsafe(*cp)) {
      if (*cp > 0xFFFF) {
        const uint32_t v = *cp - 0x10000;
        out += Utf16Escape(0xD800 + (v >> 10)) + Utf16Escape(0xDC00 + (v & 0x3FF));
      } else {
        out += Utf16Escape(*cp);
      }
    } else {
      out.append(seq);
    }
    return true;
  });
  return out;
}

}  // namespace onep::cli
