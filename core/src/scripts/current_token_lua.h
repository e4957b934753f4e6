// SPDX-License-Identifier: Apache-2.0
// The Lua function that says which credential a token key authenticates at a
// time: the record script's token check and the authenticate script's answer
// are the same rule. A helper that a script includes before its body.
#ifndef ONEP_CORE_SRC_SCRIPTS_CURRENT_TOKEN_LUA_H_
#define ONEP_CORE_SRC_SCRIPTS_CURRENT_TOKEN_LUA_H_

namespace onep::scripts {

// current_token(token_key, at) -> id, org, type, app; nil when the key holds
// no token, or the token expired or its grace ended at `at` (ms).
inline constexpr const char* kCurrentTokenLua = R"lua(
local function current_token(token_key, at)
  local token = call('HMGET', token_key, 'cred', 'org', 'type', 'app', 'expires_at', 'until')
  if not token[1] or not token[2] then return nil end
  if token[6] and token[6] ~= '' and tonumber(token[6]) <= at then return nil end
  if token[5] and token[5] ~= '' and tonumber(token[5]) <= at then return nil end
  return token[1], token[2], token[3], token[4] or ''
end
)lua";

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_CURRENT_TOKEN_LUA_H_
