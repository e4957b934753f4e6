// SPDX-License-Identifier: Apache-2.0
// onepctl: the admin CLI of onep. Everything but the wiring to the process
// lives in the onep_cli library (context.h).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "context.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  onep::cli::Io io{std::cout, std::cerr, std::cin, isatty(STDIN_FILENO) == 1,
                   [](const std::string& name) -> std::optional<std::string> {
                     const char* value = std::getenv(name.c_str());
                     if (value == nullptr) return std::nullopt;
                     return std::string(value);
                   }};
  int exit_code = onep::cli::Run(args, io);
  std::cout.flush();
  return exit_code;
}
