// SPDX-License-Identifier: Apache-2.0
#include "scripts/delivery_scripts.h"

namespace onep::scripts {
namespace {

// The state is written by hand, not with cjson.encode, whose numbers keep
// 14 significant digits.
constexpr const char* kTakeBody = R"lua(
local function state_json(msg, attempt, first_at, next_at)
  return '{"msg":"' .. msg .. '","attempt":' .. string.format('%d', attempt) ..
         ',"first_at":' .. string.format('%d', first_at) ..
         ',"next_at":' .. string.format('%d', next_at) .. '}'
end
local lease = tonumber(lease_ms)
local state_text = call('HGET', state_key, endpoint)
if state_text then
  local state = cjson.decode(state_text)
  local next_at = tonumber(state.next_at) or 0
  if now < next_at then return {'wait', string.format('%d', next_at)} end
  local claimed = redis.pcall('XCLAIM', outbox_key, endpoint, consumer, 0, state.msg)
  if type(claimed) == 'table' and claimed.err then
    if string.find(claimed.err, 'NOGROUP', 1, true) then return {'nogroup'} end
    return redis.error_reply(claimed.err)
  end
  if #claimed > 0 and type(claimed[1]) == 'table' then
    local attempt = (tonumber(state.attempt) or 0) + 1
    local first_at = tonumber(state.first_at) or now
    call('HSET', state_key, endpoint, state_json(state.msg, attempt, first_at, now + lease))
    return {'send', claimed[1][1], claimed[1][2], attempt, string.format('%d', first_at)}
  end
  -- Trimmed from the outbox, or acknowledged: nothing left to send.
  call('HDEL', state_key, endpoint)
end
for _ = 1, 100 do
  local read = redis.pcall('XREADGROUP', 'GROUP', endpoint, consumer, 'COUNT', 1,
                           'STREAMS', outbox_key, '>')
  if type(read) == 'table' and read.err then
    if string.find(read.err, 'NOGROUP', 1, true) then return {'nogroup'} end
    return redis.error_reply(read.err)
  end
  if not read or not read[1] or #read[1][2] == 0 then return {'idle'} end
  local entry = read[1][2][1]
  local fields = entry[2]
  local entry_type, entry_endpoint = '', ''
  for i = 1, #fields, 2 do
    if fields[i] == 'type' then entry_type = fields[i + 1] end
    if fields[i] == 'endpoint' then entry_endpoint = fields[i + 1] end
  end
  if entry_type == 'test' and entry_endpoint ~= endpoint then
    call('XACK', outbox_key, endpoint, entry[1])
  else
    call('HSET', state_key, endpoint, state_json(entry[1], 1, now, now + lease))
    return {'send', entry[1], fields, 1, now_text}
  end
end
return {'more'}
)lua";

constexpr const char* kSettleBody = R"lua(
local state_text = call('HGET', state_key, endpoint)
local state = state_text and cjson.decode(state_text) or nil
local ours = state ~= nil and state.msg == msg
local outcome = result
local next_retry = ''
if outcome == 'retry' then
  local first_at = ours and tonumber(state.first_at) or now
  local next_at = now + tonumber(delay_ms)
  if not ours then
    outcome = 'failed'
  elseif next_at > first_at + tonumber(give_up_ms) then
    outcome = 'failed'
  else
    next_retry = string.format('%d', next_at)
    call('HSET', state_key, endpoint,
         '{"msg":"' .. msg .. '","attempt":' .. string.format('%d', tonumber(state.attempt) or 1) ..
         ',"first_at":' .. string.format('%d', first_at) ..
         ',"next_at":' .. next_retry .. '}')
  end
end
if outcome ~= 'retry' then
  redis.pcall('XACK', outbox_key, endpoint, msg)
  if ours then call('HDEL', state_key, endpoint) end
end
call('XADD', deliveries_key, 'MAXLEN', '~', deliveries_max_len, '*',
     'endpoint', endpoint, 'msg', msg, 'webhook_id', webhook_id, 'type', msg_type,
     'app', app, 'attempt', attempt, 'time', now_text, 'status', status, 'error', error_text,
     'duration_ms', duration_ms, 'outcome', outcome, 'next_retry', next_retry)
return {outcome, next_retry}
)lua";

}  // namespace

const NamedScript& TakeNotificationScript() {
  static const NamedScript script({"outbox_key", "state_key"}, {"endpoint", "consumer", "lease_ms"},
                                  false, kTakeBody);
  return script;
}

const NamedScript& SettleNotificationScript() {
  static const NamedScript script(
      {"outbox_key", "state_key", "deliveries_key"},
      {"endpoint", "msg", "webhook_id", "msg_type", "app", "attempt", "status", "error_text",
       "duration_ms", "result", "delay_ms", "give_up_ms", "deliveries_max_len"},
      false, kSettleBody);
  return script;
}

}  // namespace onep::scripts
