// SPDX-License-Identifier: Apache-2.0
#include "onep/json.h"

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "onep/text.h"

namespace onep {
namespace {

// Replaces every ill-formed UTF-8 sequence with U+FFFD. Jansson refuses to
// build a string from invalid UTF-8, and values read back from Redis are not
// guaranteed to be valid, so showing a replacement beats dropping the value.
std::string ToValidUtf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  uint32_t cp;
  while (i < text.size()) {
    if (const std::size_t len = DecodeUtf8(text, i, &cp); len > 0) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return out;
}

}  // namespace

void AppendJsonString(std::string_view text, std::string& out) {
  auto plain = [](unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; };
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t run = i;
    while (run < text.size() && plain(static_cast<unsigned char>(text[run]))) ++run;
    out.append(text.substr(i, run - i));
    if (run == text.size()) break;
    i = run;
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {  // a multi-byte sequence: copied when well-formed
      uint32_t cp;
      if (const std::size_t len = DecodeUtf8(text, i, &cp); len > 0) {
        out.append(text.substr(i, len));
        i += len;
      } else {
        out.append("\xEF\xBF\xBD");  // U+FFFD
        ++i;
      }
      continue;
    }
    out.push_back('\\');
    switch (c) {
      case '"':
      case '\\':
        out.push_back(static_cast<char>(c));
        break;
      case '\b':
        out.push_back('b');
        break;
      case '\f':
        out.push_back('f');
        break;
      case '\n':
        out.push_back('n');
        break;
      case '\r':
        out.push_back('r');
        break;
      case '\t':
        out.push_back('t');
        break;
      default:              // the other control characters
        out.append("u00");  // uppercase, as Jansson writes
        out.append(HexEncode(text.substr(i, 1), HexCase::kUpper));
    }
    ++i;
  }
  out.push_back('"');
}

namespace {

// Appends `value` compactly, exactly as json_dumps(JSON_COMPACT) would: keys
// in insertion order, no spaces, integers in decimal. Returns false, having
// written part of it, when the value holds a real (Jansson's number format is
// left to Jansson) or is nested implausibly deep.
bool AppendCompact(json_t* value, std::string& out, int depth) {
  if (depth > 64) return false;
  switch (json_typeof(value)) {
    case JSON_OBJECT: {
      out.push_back('{');
      bool first = true;
      for (void* it = json_object_iter(value); it != nullptr;
           it = json_object_iter_next(value, it)) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(json_object_iter_key(it), out);
        out.push_back(':');
        if (!AppendCompact(json_object_iter_value(it), out, depth + 1)) return false;
      }
      out.push_back('}');
      return true;
    }
    case JSON_ARRAY: {
      out.push_back('[');
      for (std::size_t i = 0; i < json_array_size(value); ++i) {
        if (i > 0) out.push_back(',');
        if (!AppendCompact(json_array_get(value, i), out, depth + 1)) return false;
      }
      out.push_back(']');
      return true;
    }
    case JSON_STRING:
      AppendJsonString(std::string_view(json_string_value(value), json_string_length(value)), out);
      return true;
    case JSON_INTEGER: {
      char digits[24];
      out.append(digits,
                 std::to_chars(digits, digits + sizeof(digits), json_integer_value(value)).ptr);
      return true;
    }
    case JSON_TRUE:
      out.append("true");
      return true;
    case JSON_FALSE:
      out.append("false");
      return true;
    case JSON_NULL:
      out.append("null");
      return true;
    case JSON_REAL:
      break;
  }
  return false;
}

}  // namespace

std::string JsonDump(const json_t* value, bool pretty) {
  if (value == nullptr) return "null";
  if (!pretty) {
    // Jansson's dumper goes through a callback per token and a growing
    // buffer; writing compact JSON directly is several times cheaper, and
    // compact dumps are on the webhook path (every event's fields).
    std::string out;
    if (AppendCompact(const_cast<json_t*>(value), out, 0)) return out;
  }
  // Reals with 15 significant digits, as a double holds them: a duration of
  // 7201.24 s prints so, not as 7201.2399999999998.
  std::size_t flags =
      JSON_ENCODE_ANY | JSON_REAL_PRECISION(15) | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
  char* text = json_dumps(value, flags);
  if (text == nullptr) return "null";  // Out of memory: nothing better to say.
  std::string out(text);
  std::free(text);
  return out;
}

JsonPtr JsonStringOrNull(const std::string& value, bool present) {
  if (!present) return JsonPtr(json_null());
  JsonPtr str(json_stringn(value.data(), value.size()));
  if (str == nullptr) {
    std::string fixed = ToValidUtf8(value);
    str.reset(json_stringn(fixed.data(), fixed.size()));
  }
  return str;
}

}  // namespace onep
