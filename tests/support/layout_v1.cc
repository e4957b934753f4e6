// SPDX-License-Identifier: Apache-2.0
#include "support/layout_v1.h"

#include <gtest/gtest.h>

#include "onep/parse.h"
#include "onep/token.h"

namespace onep::testing::v1 {
namespace {

// The previous release's scripts, unchanged.
constexpr const char* kNow = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nows = string.format('%d', now)
)lua";

// Which credential a token key authenticates at `now`: the token must exist,
// be within its grace period if it has one, and its credential must exist and
// not be expired. Returns org, id, org key prefix, type, bound app; or nil.
constexpr const char* kLookup = R"lua(
local function lookup(p, tkey, now)
  local tok = redis.call('HMGET', tkey, 'org', 'cred', 'until')
  if not tok[1] or not tok[2] then return nil end
  if tok[3] and tonumber(tok[3]) <= now then return nil end
  local ok = p .. '{' .. tok[1] .. '}:'
  local c = redis.call('HMGET', ok .. 'cred:' .. tok[2], 'type', 'app', 'expires_at')
  if not c[1] then return nil end
  if c[3] and c[3] ~= '' and tonumber(c[3]) <= now then return nil end
  return tok[1], tok[2], ok, c[1], c[2] or ''
end
)lua";

constexpr const char* kRecordBody = R"lua(
-- Run after the caller gave up waiting (Redis was paused or slow)? Then write
-- nothing: the caller has already answered that nothing was recorded.
local deadline = tonumber(ARGV[12])
if deadline > 0 and now > deadline then return {'late', '', '', ''} end
local p, etype, app = ARGV[1], ARGV[2], ARGV[3]
local org, id, ok, ctype, bound = lookup(p, KEYS[1], now)
if not org then return {'invalid_token', '', '', ''} end
local want = 'hits'
if etype == 'deploy' then want = 'deploy' end
if ctype ~= want then
  return {'forbidden', id, org, 'a ' .. ctype .. ' token cannot post ' .. etype .. ' events'}
end
if bound ~= '' then
  if app ~= '' and app ~= bound then
    return {'forbidden', id, org, 'this credential is bound to app "' .. bound .. '"'}
  end
  app = bound
elseif app == '' then
  return {'invalid_event', id, org, 'app is required: this credential is not bound to an application'}
end
local ikey
if ARGV[7] ~= '' then
  ikey = ok .. 'idem:' .. id .. ':' .. redis.sha1hex(ARGV[7])
  local first = redis.call('GET', ikey)
  if first then return {'duplicate', id, org, first} end
end
local dkey = ok .. 'deployids:' .. id
if ARGV[8] ~= '' then
  local first = redis.call('HGET', dkey, ARGV[8])
  if first then return {'duplicate', id, org, first} end
end
local rkey
if ARGV[9] ~= '0' then
  local limit = tonumber(ARGV[9])
  rkey = ok .. 'rl:' .. id .. ':' .. math.floor(now / 1000)
  local used = tonumber(redis.call('GET', rkey) or '0')
  if used >= limit then return {'rate_limited', id, org, '1'} end
end
local times = ARGV[4]
if times == '0' then times = nows end
local eid = redis.call('XADD', ok .. 'events', 'MAXLEN', '~', ARGV[10], '*',
  'type', etype, 'credential', id, 'app', app, 'time', times, 'fields', ARGV[6])
local hour = math.floor(tonumber(times) / 3600000)
local skey = ok .. 'stats:' .. string.format('%d', hour)
local counter = 'deploys'
if etype == 'hit' then counter = 'hits' elseif etype == 'failure' then counter = 'failures' end
-- Only the first count of an app in an hour creates its field: only then can
-- the bucket be new (it needs its expiry) or the app new to the org.
if redis.call('HINCRBY', skey, counter .. ':' .. app, ARGV[5]) == tonumber(ARGV[5]) then
  redis.call('PEXPIREAT', skey, string.format('%d', (hour + 1) * 3600000 + tonumber(ARGV[11])))
  redis.call('SADD', ok .. 'apps', app)
end
redis.call('HSET', ok .. 'cred:' .. id, 'last_used_at', nows)
if ikey then redis.call('SET', ikey, eid, 'PX', 86400000) end
if ARGV[8] ~= '' then redis.call('HSET', dkey, ARGV[8], eid) end
if rkey then
  redis.call('INCR', rkey)
  redis.call('PEXPIRE', rkey, 2000)
end
return {'accepted', id, org, eid}
)lua";

constexpr const char* kAuthenticateBody = R"lua(
local org, id = lookup(ARGV[1], KEYS[1], now)
if not org then return false end
return id
)lua";

constexpr const char* kCreateBody = R"lua(
local id, org, ctype, name, app = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then
  return {'conflict', ''}
end
if ctype == 'deploy' then
  local holder = redis.call('GET', KEYS[5])
  if holder then return {'conflict', holder} end
end
local expires = ''
if tonumber(ARGV[8]) > 0 then expires = string.format('%d', now + tonumber(ARGV[8])) end
redis.call('SET', KEYS[1], org)
redis.call('HSET', KEYS[2], 'id', id, 'org', org, 'type', ctype, 'name', name, 'app', app,
  'created_at', nows, 'token_hash', ARGV[6], 'token_hint', ARGV[7], 'expires_at', expires)
redis.call('HSET', KEYS[3], 'org', org, 'cred', id)
if expires ~= '' then redis.call('PEXPIREAT', KEYS[3], expires) end
-- Microseconds keep creations within one millisecond in order.
redis.call('ZADD', KEYS[4], string.format('%d', tonumber(t[1]) * 1000000 + tonumber(t[2])), id)
if ctype == 'deploy' then redis.call('SET', KEYS[5], id) end
redis.call('SADD', KEYS[6], org)
redis.call('XADD', KEYS[7], 'MAXLEN', '~', '10000', '*',
  'time', nows, 'action', 'create', 'credential', id, 'actor', ARGV[9])
return {'ok', nows, expires}
)lua";

constexpr const char* kReplaceBody = R"lua(
local p, id, hash, hint, name, grace = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local org = redis.call('GET', KEYS[1])
if not org then return {'not_found'} end
local ok = p .. '{' .. org .. '}:'
local ckey = ok .. 'cred:' .. id
local cur = redis.call('HMGET', ckey, 'token_hash', 'prev_hash', 'expires_at')
if not cur[1] then return {'not_found'} end
local newkey = p .. 'tok:' .. hash
if redis.call('EXISTS', newkey) == 1 then return {'conflict'} end
-- A rotation ends any earlier grace period at once.
if cur[2] and cur[2] ~= '' then redis.call('DEL', p .. 'tok:' .. cur[2]) end
local oldkey = p .. 'tok:' .. cur[1]
local prev = ''
if grace > 0 and redis.call('EXISTS', oldkey) == 1 then
  local untils = string.format('%d', now + grace)
  redis.call('HSET', oldkey, 'until', untils)
  redis.call('PEXPIREAT', oldkey, untils)
  prev = cur[1]
else
  redis.call('DEL', oldkey)
end
redis.call('HSET', newkey, 'org', org, 'cred', id)
if cur[3] and cur[3] ~= '' then redis.call('PEXPIREAT', newkey, cur[3]) end
redis.call('HSET', ckey, 'token_hash', hash, 'token_hint', hint, 'prev_hash', prev,
  'rotated_at', nows)
if name ~= '' then redis.call('HSET', ckey, 'name', name) end
redis.call('XADD', ok .. 'audit', 'MAXLEN', '~', '10000', '*',
  'time', nows, 'action', ARGV[8], 'credential', id, 'actor', ARGV[7])
return {'ok', nows}
)lua";

constexpr const char* kDeleteBody = R"lua(
local p, id = ARGV[1], ARGV[2]
local org = redis.call('GET', KEYS[1])
if not org then return {'not_found'} end
local ok = p .. '{' .. org .. '}:'
local ckey = ok .. 'cred:' .. id
local cur = redis.call('HMGET', ckey, 'token_hash', 'prev_hash', 'type', 'app')
if cur[1] and cur[1] ~= '' then redis.call('DEL', p .. 'tok:' .. cur[1]) end
if cur[2] and cur[2] ~= '' then redis.call('DEL', p .. 'tok:' .. cur[2]) end
if cur[3] == 'deploy' and cur[4] and cur[4] ~= '' then
  local akey = ok .. 'deployapp:' .. cur[4]
  if redis.call('GET', akey) == id then redis.call('DEL', akey) end
end
redis.call('DEL', ckey, ok .. 'deployids:' .. id, KEYS[1])
redis.call('ZREM', ok .. 'creds', id)
-- An organization exists while it has credentials or events.
if redis.call('ZCARD', ok .. 'creds') == 0 and redis.call('EXISTS', ok .. 'events') == 0 then
  redis.call('SREM', p .. 'orgs', org)
end
redis.call('XADD', ok .. 'audit', 'MAXLEN', '~', '10000', '*',
  'time', nows, 'action', 'delete', 'credential', id, 'actor', ARGV[3])
return {'ok'}
)lua";

const Script& RecordScript() {
  static const Script script(std::string(kNow) + kLookup + kRecordBody);
  return script;
}
const Script& CreateScript() {
  static const Script script(std::string(kNow) + kCreateBody);
  return script;
}
const Script& ReplaceScript() {
  static const Script script(std::string(kNow) + kReplaceBody);
  return script;
}
const Script& DeleteScript() {
  static const Script script(std::string(kNow) + kDeleteBody);
  return script;
}

std::string Base62Checksum(uint32_t crc) {
  static constexpr char kBase62[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out(6, '0');
  for (int i = 5; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kBase62[crc % 62];
    crc /= 62;
  }
  return out;
}

std::string NewToken() {
  std::string token = "onep_" + RandomId("", 32).value();
  return token + Base62Checksum(static_cast<uint32_t>(Crc32(token)));
}

std::string Kind(const Result<Reply>& reply) {
  if (!reply.ok()) return reply.status().ToString();
  if (reply->elements.empty()) return reply->str;
  return reply->elements[0].str;
}

}  // namespace

Issued Create(RedisConnection& conn, const std::string& prefix, const std::string& org,
              const std::string& type, const std::string& name, const std::string& app,
              int64_t expires_in_ms) {
  Issued issued{RandomId("wh_", 16).value(), NewToken()};
  const std::string hash = TokenHash(issued.token);
  const std::string org_key = prefix + "{" + org + "}:";
  auto reply = conn.Eval(
      CreateScript(),
      {prefix + "cred:" + issued.id, org_key + "cred:" + issued.id, prefix + "tok:" + hash,
       org_key + "creds", org_key + "deployapp:" + app, prefix + "orgs", org_key + "audit"},
      {issued.id, org, type, name, app, hash, TokenHint(issued.token),
       std::to_string(expires_in_ms), "v1-admin"});
  EXPECT_EQ(Kind(reply), "ok");
  return issued;
}

std::string Rotate(RedisConnection& conn, const std::string& prefix, const std::string& id,
                   int64_t grace_ms, const std::string& new_name) {
  const std::string token = NewToken();
  auto reply =
      conn.Eval(ReplaceScript(), {prefix + "cred:" + id},
                {prefix, id, TokenHash(token), TokenHint(token), new_name, std::to_string(grace_ms),
                 "v1-admin", new_name.empty() ? "rotate" : "rename"});
  EXPECT_EQ(Kind(reply), "ok");
  return token;
}

void Delete(RedisConnection& conn, const std::string& prefix, const std::string& id) {
  auto reply = conn.Eval(DeleteScript(), {prefix + "cred:" + id}, {prefix, id, "v1-admin"});
  EXPECT_EQ(Kind(reply), "ok");
}

std::string Record(RedisConnection& conn, const std::string& prefix, const std::string& token,
                   const Event& event) {
  auto reply =
      conn.Eval(RecordScript(), {prefix + "tok:" + TokenHash(token)},
                {prefix, event.type, event.app, std::to_string(event.time_ms),
                 std::to_string(event.count), event.fields_json, event.idempotency_key,
                 event.deploy_id, "0", "1000000", std::to_string(32LL * 24 * 3600 * 1000), "0"});
  EXPECT_EQ(Kind(reply), "accepted");
  return reply.ok() && reply->elements.size() == 4 ? reply->elements[3].str : "";
}

}  // namespace onep::testing::v1
