// SPDX-License-Identifier: Apache-2.0
#include "scripts/read_scripts.h"

#include <string>

#include "scripts/current_token_lua.h"

namespace onep::scripts {
namespace {

constexpr const char* kAuthenticateBody = R"lua(
local id, org = current_token(token_key, now)
if not id then return false end
return {id, org}
)lua";

}  // namespace

const NamedScript& AuthenticateScript() {
  static const NamedScript script({"token_key"}, {}, false,
                                  std::string(kCurrentTokenLua) + kAuthenticateBody);
  return script;
}

}  // namespace onep::scripts
