// SPDX-License-Identifier: Apache-2.0
#include "scripts/notify_scripts.h"

#include <string>

#include "scripts/outbox_lua.h"

namespace onep::scripts {
namespace {

constexpr const char* kAddNotifyBody = R"lua(
if call('HLEN', notify_key) >= tonumber(max_endpoints) then return {'too_many'} end
call('HSET', notify_key, id, cjson.encode({id = id, url = url, created_at = now,
  -- µs as text: cjson writes numbers with 14 digits
  created_us = string.format('%d', now_us), secret = sealed_secret, key_id = key_id}))
-- The endpoint gets the notifications from now on.
call('XGROUP', 'CREATE', outbox_key, id, '$', 'MKSTREAM')
call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*',
  'time', now_text, 'action', 'notify_add', 'endpoint', id, 'actor', actor, 'url', url)
return {'ok', now_text}
)lua";

constexpr const char* kRemoveNotifyBody = R"lua(
local stored = call('HGET', notify_key, id)
if not stored then return {'not_found'} end
local url = ''
local ok, decoded = pcall(cjson.decode, stored)
if ok and type(decoded) == 'table' and type(decoded.url) == 'string' then url = decoded.url end
call('HDEL', notify_key, id)
call('HDEL', notify_state_key, id)
local left = call('HLEN', notify_key)
if left == 0 then
  call('DEL', outbox_key)  -- nobody reads it any more
elseif call('EXISTS', outbox_key) == 1 then
  call('XGROUP', 'DESTROY', outbox_key, id)
end
call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*',
  'time', now_text, 'action', 'notify_remove', 'endpoint', id, 'actor', actor, 'url', url)
return {'ok', stored, left}
)lua";

constexpr const char* kTestNotifyBody = R"lua(
local stored = call('HGET', notify_key, id)
if not stored then return {'not_found'} end
local url = ''
local ok, decoded = pcall(cjson.decode, stored)
if ok and type(decoded) == 'table' and type(decoded.url) == 'string' then url = decoded.url end
local entry = append_outbox(outbox_key, 'test', org, '', '{}', now_text, id)
call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*',
  'time', now_text, 'action', 'notify_test', 'endpoint', id, 'actor', actor, 'url', url)
return {'ok', entry}
)lua";

}  // namespace

const NamedScript& AddNotifyScript() {
  static const NamedScript script(
      {"notify_key", "outbox_key", "audit_key"},
      {"id", "url", "sealed_secret", "key_id", "max_endpoints", "actor", "audit_max_len"}, false,
      kAddNotifyBody);
  return script;
}

const NamedScript& RemoveNotifyScript() {
  static const NamedScript script({"notify_key", "outbox_key", "notify_state_key", "audit_key"},
                                  {"id", "actor", "audit_max_len"}, false, kRemoveNotifyBody);
  return script;
}

const NamedScript& TestNotifyScript() {
  static const NamedScript script({"notify_key", "outbox_key", "audit_key"},
                                  {"id", "org", "actor", "audit_max_len"}, false,
                                  std::string(kOutboxLua) + kTestNotifyBody);
  return script;
}

}  // namespace onep::scripts
