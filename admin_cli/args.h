// SPDX-License-Identifier: Apache-2.0
// onepctl's command line, parsed: the command, its arguments and options.
#ifndef ONEP_ADMIN_CLI_ARGS_H_
#define ONEP_ADMIN_CLI_ARGS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "command_table.h"
#include "onep/admin.h"

namespace onep::cli {

// A command line after parsing, before anything is checked against Redis.
struct Invocation {
  const CommandSpec* command = nullptr;
  std::map<std::string, std::string, std::less<>> options;  // "--org" -> value; flags -> ""
  std::vector<std::string> args;
  // Global options.
  std::optional<std::string> redis_url;
  std::optional<std::string> prefix;
  std::optional<std::string> actor;     // --actor
  std::optional<std::string> tls_ca;    // --tls-ca
  std::optional<std::string> tls_cert;  // --tls-cert
  std::optional<std::string> tls_key;   // --tls-key
  std::optional<std::string> tls_sni;   // --tls-sni
  bool json = false;
  bool help = false;
  bool version = false;
  // The first usage error met (what is wrong), empty when none. --help still
  // wins over it, so that `onepctl create --bogus --help` shows the help.
  std::string error;

  bool Has(std::string_view option) const { return options.count(option) != 0; }
  // The option's value, or nullptr when it was not given.
  const std::string* Get(std::string_view option) const;
  // The options as the named inputs that onep/admin.h reads ("org" is
  // --org); valid while this Invocation lives.
  admin::Inputs Inputs() const;
};

// Parses argv without the program name. Global options are accepted before
// and after the command name; "--name=value" and "--name value" both work;
// "--" ends the options.
Invocation ParseArgs(const std::vector<std::string>& argv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_ARGS_H_
