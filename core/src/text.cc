#include "onep/text.h"

#include <cstdio>

#include "onep/parse.h"

namespace onep {

std::size_t Utf8SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

uint32_t DecodeUtf8(std::string_view seq) {
  auto b = [&seq](std::size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(seq[i]));
  };
  switch (seq.size()) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

bool IsTerminalUnsafe(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200B || cp == 0x200E ||
         cp == 0x200F || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         cp == 0x2060 || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

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

// Calls f(sequence, columns) for each character of `text`.
template <typename F>
void ForEachCharacter(std::string_view text, F&& f) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t len = Utf8SequenceLength(static_cast<unsigned char>(text[i]));
    std::string_view seq = text.substr(i, len);
    if (seq.size() == len && IsValidUtf8(seq)) {
      if (!f(seq, CodePointWidth(DecodeUtf8(seq)))) return;
      i += len;
    } else {
      if (!f(text.substr(i, 1), 1)) return;
      ++i;
    }
  }
}

}  // namespace

std::size_t TerminalWidth(std::string_view text) {
  std::size_t width = 0;
  ForEachCharacter(text, [&](std::string_view, int columns) {
    width += static_cast<std::size_t>(columns);
    return true;
  });
  return width;
}

std::string CutToColumns(std::string_view text, std::size_t max) {
  if (TerminalWidth(text) <= max) return std::string(text);
  std::string out;
  std::size_t used = 0;
  ForEachCharacter(text, [&](std::string_view seq, int columns) {
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
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t len = Utf8SequenceLength(static_cast<unsigned char>(text[i]));
    const std::string_view seq = text.substr(i, len);
    if (seq.size() == len && IsValidUtf8(seq)) {
      if (IsTerminalUnsafe(DecodeUtf8(seq))) {
        out += '?';
      } else {
        out.append(seq);
      }
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

std::string EscapeTerminalUnsafe(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  std::size_t i = 0;
  while (i < json.size()) {
    const unsigned char lead = static_cast<unsigned char>(json[i]);
    const std::size_t len = lead < 0x80 ? 1 : Utf8SequenceLength(lead);
    const std::string_view seq = json.substr(i, len);
    if (len > 1 && seq.size() == len && IsValidUtf8(seq) && IsTerminalUnsafe(DecodeUtf8(seq))) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04X", DecodeUtf8(seq));
      out += escaped;  // every unsafe code point is in the BMP
    } else {
      out.append(seq);
    }
    i += seq.size();
  }
  return out;
}

}  // namespace onep
