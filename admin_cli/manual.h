// SPDX-License-Identifier: Apache-2.0
// onepctl(1) and its bash completion, generated from the command table.
#ifndef ONEP_ADMIN_CLI_MANUAL_H_
#define ONEP_ADMIN_CLI_MANUAL_H_

#include <string>
#include <string_view>

namespace onep::cli {

// onepctl(1) in roff (man(7) macros) and a bash completion script, both
// generated from the command table above (manual.cc), so that neither can
// drift from --help. `version` goes into the man page's footer.
std::string ManPage(std::string_view version);
std::string BashCompletion();

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_MANUAL_H_
