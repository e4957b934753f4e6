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
