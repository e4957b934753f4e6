// SPDX-License-Identifier: Apache-2.0
#include "scripts.h"

#include <algorithm>
#include <string>

namespace onep::scripts {
namespace {

constexpr const char* kCurrentToken = R"lua(
local function current_token(token_key, at)
  local token = call('HMGET', token_key, 'cred', 'org', 'type', 'app', 'expires_at', 'until')
  if not token[1] or not token[2] then return nil end
  if token[6] and token[6] ~= '' and tonumber(token[6]) <= at then return nil end
  if token[5] and token[5] ~= '' and tonumber(token[5]) <= at then return nil end
  return token[1], token[2], token[3], token[4] or ''
end
)lua";

// The record script's state across the events of one call.
constexpr const char* kRecordBatchState = R"lua(
-- stats bucket -> {fields = name -> {exists, counted, count}, order = the
-- names in order, created = fields this call creates, expire_at}
local batch_stats = {}
local batch_buckets = {}  -- the stats buckets this call counts in, in order
local batch_used = {}     -- credential id -> its last_used was written by this call
-- token key -> what current_token said: a script call is atomic and writes
-- no token, so the answer holds for every event of the call.
local batch_tokens = {}
local batch_appended = false  -- an event of this call was added to the stream
)lua";

// Once per call, after its events: each counter gets the sum of the call's
// counts in one HINCRBY; a bucket that one of them created (only the first
// count of an app in an hour creates its field: only then can the bucket be
// new) gets its expiry; the stream, if appended to, is trimmed to its bound
// once (the bound is approximate: `~`).
constexpr const char* kRecordEpilogue = R"lua(
for _, stats_key in ipairs(batch_buckets) do
  local bucket = batch_stats[stats_key]
  local fresh = false
  for _, name in ipairs(bucket.order) do
    local field = bucket.fields[name]
    if field.counted and call('HINCRBY', stats_key, name, field.count) == field.count then
      fresh = true
    end
  end
  if fresh then call('PEXPIREAT', stats_key, bucket.expire_at) end
end
if batch_appended and call('XLEN', events_key) > tonumber(stream_max_len) then
  call('XTRIM', events_key, 'MAXLEN', '~', stream_max_len)
end
)lua";

constexpr const char* kRecordBody = R"lua(
-- Run after the caller gave up waiting (Redis was paused or slow)? Then write
-- nothing: the caller has already answered that nothing was recorded.
if deadline > 0 and now > deadline then return {'late', '', '', ''} end
local token = batch_tokens[token_key]
if not token then
  token = {current_token(token_key, now)}
  batch_tokens[token_key] = token
end
local id, org, credential_type, bound_app = token[1], token[2], token[3], token[4]
if not id then return {'invalid_token', '', '', ''} end
local wanted_type = 'hits'
if event_type == 'deploy' then wanted_type = 'deploy' end
if credential_type ~= wanted_type then
  return {'forbidden', id, org,
          'a ' .. credential_type .. ' token cannot post ' .. event_type .. ' events'}
end
local event_app = app
if bound_app ~= '' then
  if app ~= '' and app ~= bound_app then
    return {'forbidden', id, org, 'this credential is bound to app "' .. bound_app .. '"'}
  end
  event_app = bound_app
elseif app == '' then
  return {'invalid_event', id, org,
          'app is required: this credential is not bound to an application'}
end
-- An Idempotency-Key is tied to the request it first came with (route and
-- body): the same key with another request is refused, not answered with
-- the first request's event.
local fingerprint_field
if has_idempotency_key == '1' then
  fingerprint_field = id .. ':request'
  local first = call('HMGET', idempotency_key, id, fingerprint_field)
  if first[1] then
    if first[2] and first[2] ~= request_fingerprint then
      return {'idempotency_key_reused', id, org, first[1]}
    end
    return {'duplicate', id, org, first[1]}
  end
end
-- A deploy_id names one deployment; its reports are its states. The same
-- state reported again is a duplicate; a new state is recorded, and the
-- deployment is counted once, with its first report.
local deploy_state_field
local deployment_seen = false
if deploy_id ~= '' then
  deploy_state_field = id .. ':' .. deploy_status
  local seen = call('HMGET', deploy_key, id, deploy_state_field)
  if seen[2] then return {'duplicate', id, org, seen[2]} end
  deployment_seen = seen[1] ~= false and seen[1] ~= nil
end
local limit = tonumber(rate_limit)
if limit > 0 then
  local used = tonumber(call('HGET', rate_key, id) or '0')
  if used >= limit then return {'rate_limited', id, org, '1'} end
end
local counter = 'deploys'
if event_type == 'hit' then counter = 'hits' elseif event_type == 'failure' then counter = 'failures' end
local counter_field = counter .. ':' .. event_app
-- The hour's bucket holds at most max_stats_fields counters: a token holder
-- cannot grow it without bound by inventing applications. Checked once per
-- bucket and field in a call (the fields this call will create count too);
-- the counts are added once per field, after the call's events (epilogue).
local bucket = batch_stats[stats_key]
if not bucket then
  bucket = {fields = {}, order = {}, created = 0, expire_at = stats_expire_at}
  batch_stats[stats_key] = bucket
  batch_buckets[#batch_buckets + 1] = stats_key
end
local field = bucket.fields[counter_field]
if not field then
  local exists = call('HEXISTS', stats_key, counter_field) == 1
  if not exists and call('HLEN', stats_key) + bucket.created >= tonumber(max_stats_fields) then
    return {'invalid_event', id, org,
            'app: too many distinct applications this hour for this organization'}
  end
  field = {exists = exists, counted = false, count = 0}
  bucket.fields[counter_field] = field
  bucket.order[#bucket.order + 1] = counter_field
end
local event_id = call('XADD', events_key, 'MINID', '~', oldest_event_id, '*',
  'type', event_type, 'credential', id, 'app', event_app, 'time', event_time, 'fields', fields)
batch_appended = true
if not deployment_seen then
  if not field.exists and not field.counted then bucket.created = bucket.created + 1 end
  field.counted = true
  field.count = field.count + tonumber(count)
end
-- Every event of a batch has the same now: one write per credential.
if not batch_used[id] then
  call('HSET', last_used_key, id, now_text)
  batch_used[id] = true
end
if has_idempotency_key == '1' then
  call('HSET', idempotency_key, id, event_id, fingerprint_field, request_fingerprint)
  call('PEXPIRE', idempotency_key, 86400000)
end
if deploy_id ~= '' then
  call('HSETNX', deploy_key, id, event_id)
  call('HSET', deploy_key, deploy_state_field, event_id)
  call('PEXPIRE', deploy_key, retention_ms)
end
if limit > 0 then
  call('HINCRBY', rate_key, id, 1)
  call('PEXPIRE', rate_key, 2000)
end
return {'accepted', id, org, event_id}
)lua";

constexpr const char* kAuthenticateBody = R"lua(
local id, org = current_token(token_key, now)
if not id then return false end
return {id, org}
)lua";

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
call('ZADD', credentials_key, string.format('%d', tonumber(clock[1]) * 1000000 + tonumber(clock[2])), id)
if credential_type == 'deploy' then call('SET', deploy_app_key, id) end
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
local record = call('HMGET', credential_key, 'token_hash', 'prev_hash', 'prev_until', 'name')
if not record[1] then return {'not_found'} end
if record[1] ~= current_hash or (record[2] or '') ~= previous_hash then return {'retry'} end
local expires_at = ''
if tonumber(expires_in_ms) > 0 then
  expires_at = string.format('%d', now + tonumber(expires_in_ms))
end
call('HSET', credential_key, 'expires_at', expires_at)
-- The tokens check expires_at themselves, and expire with it.
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

const NamedScript& Record() {
  static const NamedScript script(
      // One org (slot) and one configuration per call.
      NamedScript::PerItem{
          {"last_used_key", "events_key", "rate_key"},
          {"stream_max_len", "oldest_event_id", "retention_ms", "max_stats_fields"}},
      {"token_key", "stats_key", "idempotency_key", "deploy_key"},
      {"event_type", "app", "event_time", "count", "fields", "has_idempotency_key",
       "request_fingerprint", "deploy_id", "deploy_status", "rate_limit", "stats_expire_at"},
      std::string(kCurrentToken) + kRecordBatchState, kRecordBody, kRecordEpilogue);
  return script;
}

const NamedScript& Authenticate() {
  static const NamedScript script({"token_key"}, {}, false,
                                  std::string(kCurrentToken) + kAuthenticateBody);
  return script;
}

const NamedScript& CreateCredential() {
  static const NamedScript script({"owner_key", "credential_key", "token_key", "credentials_key",
                                   "deploy_app_key", "audit_key"},
                                  {"org", "id", "credential_type", "name", "app", "token_hash",
                                   "token_hint", "expires_in_ms", "actor", "audit_max_len"},
                                  false, kCreateBody);
  return script;
}

const NamedScript& ReplaceToken() {
  static const NamedScript script(
      {"credential_key", "new_token_key", "current_token_key", "previous_token_key", "audit_key"},
      {"id", "current_hash", "previous_hash", "new_hash", "new_hint", "new_name", "grace_ms",
       "new_expires_in_ms", "actor", "action", "audit_max_len"},
      false, kReplaceBody);
  return script;
}

const NamedScript& SetExpiry() {
  static const NamedScript script(
      {"credential_key", "current_token_key", "previous_token_key", "audit_key"},
      {"id", "current_hash", "previous_hash", "expires_in_ms", "actor", "audit_max_len"}, false,
      kSetExpiryBody);
  return script;
}

const NamedScript& DeleteCredential() {
  static const NamedScript script(
      {"credential_key", "current_token_key", "previous_token_key", "deploy_app_key",
       "credentials_key", "last_used_key", "audit_key"},
      {"id", "current_hash", "previous_hash", "app", "actor", "audit_max_len"}, false, kDeleteBody);
  return script;
}

const std::vector<const NamedScript*>& AllScripts() {
  static const std::vector<const NamedScript*> all = {
      &Record(),       &Authenticate(), &CreateCredential(),
      &ReplaceToken(), &SetExpiry(),    &DeleteCredential(),
  };
  return all;
}

}  // namespace onep::scripts
