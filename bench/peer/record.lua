-- SPDX-License-Identifier: Apache-2.0
-- The peer's per-event script: for a hit or a failure, the work mod_onep's
-- record script (core/src/scripts/record_script.cc) does for the benchmark's request (no
-- Idempotency-Key, no deploy_id, no rate limit): the token's credential and
-- its checks, one stream entry, the hour's counter, the credential's
-- last use. One call per event, every key named in KEYS (one slot: {tag}).
local token_key = KEYS[1]
local last_used_key = KEYS[2]
local events_key = KEYS[3]
local stats_key = KEYS[4]

local event_type = ARGV[1]      -- 'hit' or 'failure'
local app = ARGV[2]             -- '' when the request named none
local now = ARGV[3]             -- Unix ms, the peer's clock
local count = ARGV[4]
local fields = ARGV[5]          -- the event's fields as compact JSON
local stream_max_len = ARGV[6]
local stats_expire_at = ARGV[7] -- Unix ms

local token = redis.call('HMGET', token_key, 'cred', 'org', 'type', 'app', 'expires_at', 'until')
local credential, org, credential_type = token[1], token[2], token[3]
local bound_app, expires_at, grace_until = token[4] or '', token[5] or '', token[6] or ''
if not credential or not org then return {'invalid_token', '', ''} end
local at = tonumber(now)
if grace_until ~= '' and tonumber(grace_until) <= at then return {'invalid_token', '', ''} end
if expires_at ~= '' and tonumber(expires_at) <= at then return {'invalid_token', '', ''} end

-- /hits and /failures take a hits token.
if credential_type ~= 'hits' then
  return {'forbidden', credential,
          'a ' .. credential_type .. ' token cannot post ' .. event_type .. ' events'}
end
local event_app = app
if bound_app ~= '' then
  if app ~= '' and app ~= bound_app then
    return {'forbidden', credential, 'this credential is bound to app "' .. bound_app .. '"'}
  end
  event_app = bound_app
elseif app == '' then
  return {'invalid_event', credential,
          'app is required: this credential is not bound to an application'}
end

local event_id = redis.call('XADD', events_key, 'MAXLEN', '~', stream_max_len, '*',
  'type', event_type, 'credential', credential, 'app', event_app, 'time', now, 'fields', fields)
local counter_field = 'hits:' .. event_app
if event_type == 'failure' then counter_field = 'failures:' .. event_app end
-- Only an app's first count in an hour creates the bucket's field: only then
-- can the bucket be new and need its expiry.
if redis.call('HINCRBY', stats_key, counter_field, count) == tonumber(count) then
  redis.call('PEXPIREAT', stats_key, stats_expire_at)
end
redis.call('HSET', last_used_key, credential, now)
return {'accepted', credential, event_id}
