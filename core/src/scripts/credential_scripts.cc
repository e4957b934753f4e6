// SPDX-License-Identifier: Apache-2.0
#include "scripts/credential_scripts.h"

#include <string>

namespace onep::scripts {
namespace {

constexpr const char* kCreateBody = R"lua(
local owner = call('GET', owner_key)
if owner and owner ~= org then return {'tag_taken'} end
if call('EXISTS', credential_key) == 1 or call('EXISTS', token_key) == 1 then
  return {'conflict', ''}
end
if credential_type == 'deploy' then
  local holder = call('GET', deploy_app_key)
  if holder then return {'conflict', holder} end
end
local expires_at = ''
if tonumber(expires_in_ms) > 0 then expires_at = string.format('%d', now + tonumber(expires_in_ms)) end
if not owner then call('SET', owner_key, org) end
call('HSET', credential_key, 'id', id, 'org', org, 'type', credential_type, 'name', name,
  'app', app, 'created_at', now_text, 'token_hash', token_hash, 'token_hint', token_hint,
  'expires_at', expires_at)
call('HSET', token_key, 'cred', id, 'org', org, 'type', credential_type, 'app', app,
  'expires_at', expires_at)
if expires_at ~= '' then call('PEXPIREAT', token_key, expires_at) end
-- Microseconds keep creations within one millisecond in order.
call('ZADD', credentials_key, string.format('%d', now_us), id)
if credential_type == 'deploy' then call('SET', deploy_app_key, id) end
-- A credential bound to an app makes the app exist (with its default monitor).
if app ~= '' then call('HSETNX', apps_key, app, '{}') end
call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*',
  'time', now_text, 'action', 'create', 'credential', id, 'actor', actor,
  'name', name, 'expires_at', expires_at)
return {'ok', now_text, expires_at}
)lua";

constexpr const char* kReplaceBody = R"lua(
local record = call('HMGET', credential_key, 'token_hash', 'prev_hash', 'expires_at', 'type',
  'app', 'org', 'name')
if not record[1] then return {'not_found'} end
if record[1] ~= current_hash or (record[2] or '') ~= previous_hash then return {'retry'} end
if call('EXISTS', new_token_key) == 1 then return {'conflict'} end
-- A rotation ends any earlier grace period at once.
if previous_hash ~= '' then call('DEL', previous_token_key) end
local kept = ''
local grace_end = ''
local grace = tonumber(grace_ms)
if grace > 0 and call('EXISTS', current_token_key) == 1 then
  grace_end = string.format('%d', now + grace)
  call('HSET', current_token_key, 'until', grace_end)
  call('PEXPIREAT', current_token_key, grace_end)
  kept = current_hash
else
  call('DEL', current_token_key)
end
-- new_expires_in_ms: '' keeps the expiry, '0' removes it.
local expires_at = record[3] or ''
if new_expires_in_ms ~= '' then
  expires_at = ''
  if tonumber(new_expires_in_ms) > 0 then
    expires_at = string.format('%d', now + tonumber(new_expires_in_ms))
  end
end
call('HSET', new_token_key, 'cred', id, 'org', record[6], 'type', record[4], 'app', record[5] or '',
  'expires_at', expires_at)
if expires_at ~= '' then call('PEXPIREAT', new_token_key, expires_at) end
call('HSET', credential_key, 'token_hash', new_hash, 'token_hint', new_hint, 'prev_hash', kept,
  'prev_until', grace_end, 'rotated_at', now_text, 'expires_at', expires_at)
local name_after = record[7] or ''
local name_before = ''
if new_name ~= '' then
  call('HSET', credential_key, 'name', new_name)
  name_before = name_after
  name_after = new_name
end
call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*',
  'time', now_text, 'action', action, 'credential', id, 'actor', actor,
  'name', name_after, 'previous_name', name_before, 'grace_ms', grace_ms,
  'expires_at', expires_at)
return {'ok', now_text}
)lua";

constexpr const char* kSetExpiryBody = R"lua(
local record = call('HMGET', credential_key, 'token_hash', 'prev_hash', 'prev_until', 'name',
                    'org', 'type', 'app')
if not record[1] then return {'not_found'} end
if record[1] ~= current_hash or (record[2] or '') ~= previous_hash then return {'retry'} end
local expires_at = ''
if tonumber(expires_in_ms) > 0 then
  expires_at = string.format('%d', now + tonumber(expires_in_ms))
end
call('HSET', credential_key, 'expires_at', expires_at)
-- The tokens check expires_at themselves, and expire with it. An expired
-- credential's token went with its expiry: made again, so that the same
-- token works again (the credential holds all it needs).
if call('EXISTS', current_token_key) == 0 then
  call('HSET', current_token_key, 'cred', id, 'org', record[5] or '', 'type', record[6] or '',
    'app', record[7] or '')
end
call('HSET', current_token_key, 'expires_at', expires_at)
if expires_at ~= '' then
  call('PEXPIREAT', current_token_key, expires_at)
else
  call('PERSIST', current_token_key)
end
if previous_hash ~= '' and call('EXISTS', previous_token_key) == 1 then
  call('HSET', previous_token_key, 'expires_at', expires_at)
  local grace_end = record[3] or ''
  if expires_at ~= '' and (grace_end == '' or tonumber(expires_at) < tonumber(grace_end)) then
    call('PEXPIREAT', previous_token_key, expires_at)
  end
end
call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*',
  'time', now_text, 'action', 'expire', 'credential', id, 'actor', actor,
  'name', record[4] or '', 'expires_at', expires_at)
return {'ok', expires_at}
)lua";

constexpr const char* kDeleteBody = R"lua(
local record = call('HMGET', credential_key, 'token_hash', 'prev_hash', 'type', 'app', 'name')
if not record[1] then return {'not_found'} end
if record[1] ~= current_hash or (record[2] or '') ~= previous_hash or (record[4] or '') ~= app then
  return {'retry'}
end
call('DEL', current_token_key)
if previous_hash ~= '' then call('DEL', previous_token_key) end
if record[3] == 'deploy' and app ~= '' and call('GET', deploy_app_key) == id then
  call('DEL', deploy_app_key)
end
call('DEL', credential_key)
call('ZREM', credentials_key, id)
call('HDEL', last_used_key, id)
call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*',
  'time', now_text, 'action', 'delete', 'credential', id, 'actor', actor, 'name', record[5] or '')
return {'ok'}
)lua";

}  // namespace

const NamedScript& CreateCredentialScript() {
  static const NamedScript script({"owner_key", "credential_key", "token_key", "credentials_key",
                                   "deploy_app_key", "audit_key", "apps_key"},
                                  {"org", "id", "credential_type", "name", "app", "token_hash",
                                   "token_hint", "expires_in_ms", "actor", "audit_max_len"},
                                  false, kCreateBody);
  return script;
}

const NamedScript& ReplaceTokenScript() {
  static const NamedScript script(
      {"credential_key", "new_token_key", "current_token_key", "previous_token_key", "audit_key"},
      {"id", "current_hash", "previous_hash", "new_hash", "new_hint", "new_name", "grace_ms",
       "new_expires_in_ms", "actor", "action", "audit_max_len"},
      false, kReplaceBody);
  return script;
}

const NamedScript& SetExpiryScript() {
  static const NamedScript script(
      {"credential_key", "current_token_key", "previous_token_key", "audit_key"},
      {"id", "current_hash", "previous_hash", "expires_in_ms", "actor", "audit_max_len"}, false,
      kSetExpiryBody);
  return script;
}

const NamedScript& DeleteCredentialScript() {
  static const NamedScript script(
      {"credential_key", "current_token_key", "previous_token_key", "deploy_app_key",
       "credentials_key", "last_used_key", "audit_key"},
      {"id", "current_hash", "previous_hash", "app", "actor", "audit_max_len"}, false, kDeleteBody);
  return script;
}

}  // namespace onep::scripts
