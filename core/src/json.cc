#include "onep/json.h"

#include <cstdlib>
#include <string_view>

#include "onep/parse.h"

namespace onep {
namespace {

// Length of the UTF-8 sequence a lead byte announces; 1 for a stray byte.
std::size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// Replaces every ill-formed UTF-8 sequence with U+FFFD. Jansson refuses to
// build a string from invalid UTF-8, and values read back from Redis are not
// guaranteed to be valid, so showing a replacement beats dropping the value.
std::string ToValidUtf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t len = SequenceLength(static_cast<unsigned char>(text[i]));
    if (i + len <= text.size() && IsValidUtf8(text.substr(i, len))) {
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

std::string JsonDump(const json_t* value, bool pretty) {
  if (value == nullptr) return "null";
  std::size_t flags = JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
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
