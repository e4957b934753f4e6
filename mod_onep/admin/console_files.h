// SPDX-License-Identifier: Apache-2.0
// The web console's files (console/ in the source tree), compiled into the
// module: served by onep-admin, nothing to install beside the module.
#ifndef ONEP_MOD_ONEP_ADMIN_CONSOLE_FILES_H_
#define ONEP_MOD_ONEP_ADMIN_CONSOLE_FILES_H_

#include <string_view>
#include <vector>

namespace onep::module {

struct ConsoleFile {
  std::string_view name;     // "index.html", "console.js", ...
  const char* content_type;  // "text/html; charset=utf-8", ...
  std::string_view content;
};

// Generated at build time by cmake/embed_console.cmake.
const std::vector<ConsoleFile>& ConsoleFiles();

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_ADMIN_CONSOLE_FILES_H_
