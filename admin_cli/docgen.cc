// SPDX-License-Identifier: Apache-2.0
// onepctl-docgen: writes onepctl(1) or the bash completion script, generated
// from the command table, at build time. Not installed.
//   onepctl-docgen man | bash-completion
#include <iostream>
#include <string>

#include "manual.h"

#ifndef ONEP_VERSION
#define ONEP_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  const std::string what = argc == 2 ? argv[1] : "";
  if (what == "man") {
    std::cout << onep::cli::ManPage(ONEP_VERSION);
  } else if (what == "bash-completion") {
    std::cout << onep::cli::BashCompletion();
  } else {
    std::cerr << "usage: onepctl-docgen man|bash-completion\n";
    return 2;
  }
  return std::cout.flush() ? 0 : 1;
}
