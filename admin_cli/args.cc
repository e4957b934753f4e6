// SPDX-License-Identifier: Apache-2.0
// Command-line parsing for onepctl: pure, no I/O.
#include "args.h"

#include <string>
#include <vector>

#include "onep/token.h"

namespace onep::cli {
namespace {

const OptionSpec* FindOption(const std::vector<OptionSpec>& specs, std::string_view name) {
  for (const auto& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool IsOptionOfSomeCommand(std::string_view name) {
  for (const auto& command : Commands()) {
    if (FindOption(command.options, name) != nullptr) return true;
  }
  return false;
}

// "--x" (but not "--" alone) looks like an option, so it is not taken as the
// value of the option before it: `--org --type hits` is a missing value.
bool LooksLikeLongOption(std::string_view arg) { return arg.size() > 2 && arg.rfind("--", 0) == 0; }

}  // namespace

const std::string* Invocation::Get(std::string_view option) const {
  auto it = options.find(option);
  return it == options.end() ? nullptr : &it->second;
}

admin::Inputs Invocation::Inputs() const {
  return {[this](std::string_view name) { return Get("--" + std::string(name)); }, "--"};
}

Invocation ParseArgs(const std::vector<std::string>& argv) {
  Invocation inv;
  bool command_seen = false;
  bool options_done = false;
  auto error = [&inv](std::string what) {
    if (inv.error.empty()) inv.error = std::move(what);
  };

  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && arg == "-h") {
      inv.help = true;
      continue;
    }
    if (!options_done && LooksLikeLongOption(arg)) {
      std::size_t eq = arg.find('=');
      std::string name = arg.substr(0, eq);
      std::optional<std::string> value;
      if (eq != std::string::npos) value = arg.substr(eq + 1);

      bool global = true;
      const OptionSpec* spec = FindOption(GlobalOptions(), name);
      if (spec == nullptr && inv.command != nullptr) {
        spec = FindOption(inv.command->options, name);
        global = false;
      }
      if (spec == nullptr) {
        if (inv.command != nullptr) {
          error("unknown option " + QuoteForMessage(name) + " for '" +
                std::string(inv.command->name) + "'");
        } else if (IsOptionOfSomeCommand(name)) {
          error("option " + name + " goes after the command name");
        } else {
          error("unknown option " + QuoteForMessage(name));
        }
        continue;
      }
      if (spec->value_name.empty()) {
        if (value) {
          error("option " + name + " takes no value");
          continue;
        }
        value = "";
      } else if (!value) {
        if (i + 1 < argv.size() && !LooksLikeLongOption(argv[i + 1]) && argv[i + 1] != "--") {
          value = argv[++i];
        } else {
          error("option " + name + " needs a value (" + name + " " + std::string(spec->value_name) +
                ")");
          continue;
        }
      }

      if (global) {
        if (name == "--redis") inv.redis_url = *value;
        if (name == "--prefix") inv.prefix = *value;
        if (name == "--actor") inv.actor = *value;
        if (name == "--tls-ca") inv.tls_ca = *value;
        if (name == "--tls-cert") inv.tls_cert = *value;
        if (name == "--tls-key") inv.tls_key = *value;
        if (name == "--tls-sni") inv.tls_sni = *value;
        if (name == "--json") inv.json = true;
        if (name == "--help") inv.help = true;
        if (name == "--version") inv.version = true;
      } else if (inv.options.count(name) != 0 && !spec->value_name.empty()) {
        error("option " + name + " is given more than once");
      } else {
        inv.options[name] = *value;
      }
      continue;
    }
    if (!options_done && arg.size() > 1 && arg[0] == '-') {
      error("unknown option " + QuoteForMessage(arg));
      continue;
    }
    if (!command_seen) {
      command_seen = true;
      inv.command = FindCommand(arg);
      // A command of two words ("notify add"): the group, then the action.
      if (inv.command == nullptr && i + 1 < argv.size()) {
        inv.command = FindCommand(arg + " " + argv[i + 1]);
        if (inv.command != nullptr) ++i;
      }
      if (inv.command == nullptr) error("unknown command " + QuoteForMessage(arg));
      continue;
    }
    inv.args.push_back(arg);
  }
  return inv;
}

}  // namespace onep::cli
