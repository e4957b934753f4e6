// SPDX-License-Identifier: Apache-2.0
// RAII for Jansson values.
#ifndef ONEP_JSON_H_
#define ONEP_JSON_H_

#include <jansson.h>

#include <memory>
#include <string>
#include <string_view>

namespace onep {

struct JsonDeleter {
  void operator()(json_t* value) const { json_decref(value); }
};
// Owns one reference.
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

// Compact (one line) or indented, keys in insertion order, UTF-8 kept as is.
std::string JsonDump(const json_t* value, bool pretty = false);

// A JSON string value, or null when `present` is false.
JsonPtr JsonStringOrNull(const std::string& value, bool present);

// Appends `text` to `out` as a quoted JSON string, byte for byte as JsonDump
// writes a string: '"', '\\' and control characters escaped, UTF-8 kept as
// is; an ill-formed UTF-8 sequence becomes U+FFFD. For hot paths that write
// small fixed-shape documents without building Jansson values.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace onep

#endif  // ONEP_JSON_H_
