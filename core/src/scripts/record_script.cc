// SPDX-License-Identifier: Apache-2.0
#include "scripts/record_script.h"

#include <string>

#include "scripts/current_token_lua.h"
#include "scripts/outbox_lua.h"

namespace onep::scripts {
namespace {

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
-- app -> {quiet, data = its monitor (the decoded field of apps_key, read
-- only when needed), dirty, seen}, and in its array part the apps in the
-- order of their first event (an app is a string: never one of its
-- indexes): each app is read once in a call and written once, by the
-- epilogue; its monitor only when it changed.
local batch_apps = {}
-- The call's names that only the monitor's rules use, and the rules' counts
-- across the call, in one table: each name of the script that the item's
-- function uses costs Redis about as much as a command per call, to bind
-- (docs/benchmarks.md "Monitors").
local batch_monitor = {apps_key = apps_key, incidents_key = incidents_key,
  incident_index_key = incident_index_key, incidents_resolved_key = incidents_resolved_key,
  deploy_index_key = deploy_index_key, max_apps = max_apps, max_incidents = max_incidents,
  notify_key = notify_key, outbox_key = outbox_key,
  new_apps = 0,                -- apps this call adds to apps_key
  incident_keys_read = false,
  notify = nil}                -- whether the org has an endpoint; asked on the first flip
-- incident id -> {data = the incident, dirty}: read or created once (made
-- with the rules).
local batch_incidents, batch_incident_order

-- A counter as HINCRBY will read it: 0 for none, or an integer that sums of
-- counts cannot take past HINCRBY's range. Anything else is corrupt data,
-- and fails the event that reads it, before it writes anything.
local function counter_value(value, name)
  if not value then return 0 end
  local n = tonumber(value)
  if not n or math.abs(n) >= 2^53 or string.format('%d', n) ~= value then
    error('corrupt counter ' .. name .. ': not an integer', 0)
  end
  return n
end

-- The org's capped entries (Idempotency-Keys, deploy_ids): a hash of
-- fields and an age index, a sorted set of members scored by when they
-- expire (Unix ms). A member's fields are the member itself and the member
-- followed by each of `suffixes`.
local idempotency_suffixes = {}
local deploy_suffixes = {':succeeded', ':failed', ':rolled_back', ':started'}

-- Deletes the fields of members list[first], list[first + step], ... (a
-- ZRANGEBYSCORE reply: step 1; a ZPOPMIN reply, member and score: step 2).
local function forget_fields(hash_key, list, step, suffixes)
  local fields = {}
  for i = 1, #list, step do
    fields[#fields + 1] = list[i]
    for _, suffix in ipairs(suffixes) do fields[#fields + 1] = list[i] .. suffix end
  end
  if #fields > 0 then call('HDEL', hash_key, unpack(fields)) end
end

-- Whether `member` is in the age index and not yet expired. An entry past
-- its age counts as absent, whether or not it was removed yet.
local function entry_live(age_key, member)
  local expires = call('ZSCORE', age_key, member)
  return expires and tonumber(expires) > now
end

-- Writes a new or refreshed entry: first up to 16 expired entries go, and
-- the member's own fields if it expired; then, for a new member over `cap`,
-- the oldest (the soonest to expire), at most 1000 per entry (a lowered cap
-- is reached over the next entries); then the member's fields (`...`: field,
-- value, ...) and its expiry. The new member itself is never evicted.
local function remember(hash_key, age_key, member, expires_at, cap, suffixes, ...)
  local expired = call('ZRANGEBYSCORE', age_key, '-inf', now, 'LIMIT', 0, 16)
  if #expired > 0 then
    forget_fields(hash_key, expired, 1, suffixes)
    call('ZREM', age_key, unpack(expired))
  end
  local expires = call('ZSCORE', age_key, member)
  if expires and tonumber(expires) <= now then
    forget_fields(hash_key, {member}, 1, suffixes)
    call('ZREM', age_key, member)
    expires = false
  end
  if not expires then
    local over = math.min(call('ZCARD', age_key) + 1 - tonumber(cap), 1000)
    if over > 0 then forget_fields(hash_key, call('ZPOPMIN', age_key, over), 2, suffixes) end
  end
  call('HSET', hash_key, ...)
  call('ZADD', age_key, string.format('%d', expires_at), member)
end

-- The helpers of the monitor's rules (kMonitorRules), made by the first
-- event of a call that needs them; a call of hits of quiet apps, the most
-- common, never does.
local rules

)lua";

// The helpers of the monitor's rules, made once per call by the first event
// that needs them (it reads an app's monitor), inside the item's function:
// a function made at the top of the script would be made by every call, and
// binding its names to the script's locals costs Redis more than a command
// (a call of hits of quiet apps, the most common, needs none of them). They
// use only the call's names, never the item's.
constexpr const char* kMonitorRulesOpen = R"lua(
if not rules then
)lua";

// After kOutboxLua, inside the block kMonitorRulesOpen opens.
constexpr const char* kMonitorRules = R"lua(
  local apps_key, incidents_key, incident_index_key, incidents_resolved_key, max_apps,
        max_incidents = batch_monitor.apps_key, batch_monitor.incidents_key,
        batch_monitor.incident_index_key, batch_monitor.incidents_resolved_key,
        batch_monitor.max_apps, batch_monitor.max_incidents
  -- Whether a hit leaves the monitor `m` as it is: the app is up, no incident
  -- is open and no failure streak runs (the hit streak is counted only while
  -- an incident is open: only a resolution reads it).
  local function quiet_monitor(m)
    return m.state == 'up' and not m.open_incident and not m.fail_streak_at and
           (m.fail_streak or 0) == 0 and not m.hit_streak
  end

  -- Reads the monitor of the app of `monitor` (its field of apps_key) into
  -- monitor.data; a refusal for a new app over max_apps. A field that is
  -- not a JSON object is corrupt data, and fails the event that reads it,
  -- before it writes anything.
  local function load_monitor(monitor, app)
    local stored = call('HGET', apps_key, app)
    local data
    if stored then
      local ok, decoded = pcall(cjson.decode, stored)
      if not ok or type(decoded) ~= 'table' then
        error('corrupt app ' .. app .. ': not a JSON object', 0)
      end
      data = decoded
    else
      if call('HLEN', apps_key) + batch_monitor.new_apps >= tonumber(max_apps) then
        return 'app: too many applications for this organization'
      end
      data = {}
    end
    monitor.data, monitor.new = data, not stored
    return nil
  end

  -- Reads the type of the incident keys once per call, before the first event
  -- that will write them: a key of the wrong type fails that event alone.
  local function read_incident_keys()
    if batch_monitor.incident_keys_read then return end
    call('HLEN', incidents_key)
    call('ZCARD', incident_index_key)
    call('ZCARD', incidents_resolved_key)
    batch_monitor.incident_keys_read = true
  end

  -- The incident `id`, read once per call; nil when it is gone.
  local function incident_of(id)
    local entry = batch_incidents[id]
    if entry then return entry end
    local stored = call('HGET', incidents_key, id)
    if not stored then return nil end
    local ok, decoded = pcall(cjson.decode, stored)
    if not ok or type(decoded) ~= 'table' then
      error('corrupt incident ' .. id .. ': not a JSON object', 0)
    end
    entry = {data = decoded, dirty = false}
    batch_incidents[id] = entry
    batch_incident_order[#batch_incident_order + 1] = id
    return entry
  end

  -- Drops resolved incidents: up to 16 resolved before the retention, then the
  -- oldest resolved ones while the org holds max_incidents or more (open
  -- incidents are never dropped: at most one per app).
  local function drop_incidents(list, step)
    if #list == 0 then return end
    local ids = {}
    for i = 1, #list, step do
      ids[#ids + 1] = list[i]
      batch_incidents[list[i]] = nil
    end
    call('HDEL', incidents_key, unpack(ids))
    call('ZREM', incident_index_key, unpack(ids))
    call('ZREM', incidents_resolved_key, unpack(ids))
  end
  local function make_room_for_incident()
    drop_incidents(call('ZRANGEBYSCORE', incidents_resolved_key, '-inf',
                        string.format('%d', now - tonumber(retention_ms)), 'LIMIT', 0, 16), 1)
    local over = math.min(call('HLEN', incidents_key) + 1 - tonumber(max_incidents), 1000)
    if over > 0 then drop_incidents(call('ZPOPMIN', incidents_resolved_key, over), 2) end
  end

  -- Appends an opening or a resolution to the stream, right after the event
  -- that caused it: the incident as it is, its first_error cut to its first
  -- 256 bytes (whole characters), more than a table of events shows; the
  -- incident keeps all of it. So a flip stays far below the bound of an
  -- event's entry (docs/operations.md), whatever the error.
  --
  -- And when the org has a notification endpoint, the same flip to its
  -- outbox, in this call: no incident opens or resolves without its
  -- notification (docs/design.md "Notifications").
  local function check_outbox()
    if batch_monitor.notify == nil then
      batch_monitor.notify = outbox_wanted(batch_monitor.notify_key, batch_monitor.outbox_key)
    end
  end
  local function append_flip(flip_type, incident, credential, org, app)
    local entry = {}
    for name, value in pairs(incident) do entry[name] = value end
    local error_text = incident.first_error or ''
    if #error_text > 256 then
      local cut = 256
      -- Back over the continuation bytes (10xxxxxx) of a character it would split.
      while cut > 0 and string.byte(error_text, cut + 1) >= 128 and
            string.byte(error_text, cut + 1) < 192 do
        cut = cut - 1
      end
      entry.first_error = string.sub(error_text, 1, cut)
    end
    call('XADD', events_key, '*', 'type', flip_type, 'credential', credential, 'app', app,
      'time', now_text, 'incident', incident.id, 'fields', cjson.encode(entry))
    if batch_monitor.notify then
      append_outbox(batch_monitor.outbox_key, flip_type, org, app, cjson.encode(incident), now_text)
    end
  end
  batch_incidents, batch_incident_order = {}, {}
  rules = {quiet_monitor = quiet_monitor, load_monitor = load_monitor,
           read_incident_keys = read_incident_keys,
           incident_of = incident_of, make_room_for_incident = make_room_for_incident,
           check_outbox = check_outbox, append_flip = append_flip}
end
)lua";

// Once per call, after its events: each counter gets the sum of the call's
// counts in one HINCRBY; a bucket that one of them created (only the first
// count of an app in an hour creates its field: only then can the bucket be
// new) gets its expiry; the stream, if appended to, is trimmed to its bound
// once (the bound is approximate: `~`). None of these can fail on the data:
// the events read each counter (counter_value) and appended to the stream.
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
-- Each app's monitor and each incident this call changed, once; and when
-- each app this call recorded an event of was last heard from, and whether
-- it is quiet (quiet_monitor), once. The app of a call of one app, the most
-- common, is written without the fields' tables. (No function here: one
-- made at the top of the script is made by every call.)
if #batch_apps == 1 then
  local app = batch_apps[1]
  local monitor = batch_apps[app]
  if monitor.dirty then call('HSET', apps_key, app, cjson.encode(monitor.data)) end
  if monitor.seen then
    local seen = now_text
    if monitor.data and not rules.quiet_monitor(monitor.data) then seen = now_text .. '+' end
    call('HSET', apps_seen_key, app, seen)
  end
elseif #batch_apps > 1 then
  local app_fields, seen_fields = {}, {}
  for _, app in ipairs(batch_apps) do
    local monitor = batch_apps[app]
    if monitor.dirty then
      app_fields[#app_fields + 1] = app
      app_fields[#app_fields + 1] = cjson.encode(monitor.data)
    end
    if monitor.seen then
      seen_fields[#seen_fields + 1] = app
      if monitor.data and not rules.quiet_monitor(monitor.data) then
        seen_fields[#seen_fields + 1] = now_text .. '+'
      else
        seen_fields[#seen_fields + 1] = now_text
      end
    end
  end
  if #app_fields > 0 then call('HSET', apps_key, unpack(app_fields)) end
  if #seen_fields > 0 then call('HSET', apps_seen_key, unpack(seen_fields)) end
end
if batch_incident_order then
  for _, id in ipairs(batch_incident_order) do
    local entry = batch_incidents[id]
    if entry and entry.dirty then call('HSET', incidents_key, id, cjson.encode(entry.data)) end
  end
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
-- the first request's event. Its entry, "<event id> <fingerprint>", is in
-- the org's capped hash; one written before the quotas, in its own hash
-- (legacy_idempotency_key), is still read until it expires. Both keys are
-- read whatever is found, so that a key of the wrong type fails the event
-- here, before it writes anything.
local idempotency_field
if has_idempotency_key == '1' then
  idempotency_field = id .. ':' .. idempotency_digest
  local first_id, first_fingerprint
  local packed = call('HGET', idempotencies_key, idempotency_field)
  if entry_live(idempotency_ages_key, idempotency_field) and packed then
    local space = string.find(packed, ' ', 1, true)
    if space then
      first_id, first_fingerprint = string.sub(packed, 1, space - 1), string.sub(packed, space + 1)
    else
      first_id = packed  -- moved by onepctl migrate: no fingerprint
    end
  end
  if not first_id then
    local legacy = call('HMGET', legacy_idempotency_key, id, id .. ':request')
    if legacy[1] then first_id, first_fingerprint = legacy[1], legacy[2] or nil end
  end
  if first_id then
    if first_fingerprint and first_fingerprint ~= request_fingerprint then
      return {'idempotency_key_reused', id, org, first_id}
    end
    return {'duplicate', id, org, first_id}
  end
end
-- A deploy_id names one deployment; its reports are its states. The same
-- state reported again is a duplicate; a new state is recorded, and the
-- deployment is counted once, with its first report. Kept in the org's
-- capped hash; one written before the quotas (legacy_deploy_key) is still
-- read until it expires, and its states count.
local deploy_member, deploy_state_field, deployment_first
if deploy_id ~= '' then
  deploy_member = id .. ':' .. deploy_digest
  deploy_state_field = deploy_member .. ':' .. deploy_status
  local seen = call('HMGET', deploy_ids_key, deploy_member, deploy_state_field)
  if entry_live(deploy_ages_key, deploy_member) then
    if seen[2] then return {'duplicate', id, org, seen[2]} end
    deployment_first = seen[1] or nil
  end
  local legacy = call('HMGET', legacy_deploy_key, id, id .. ':' .. deploy_status)
  if legacy[2] then return {'duplicate', id, org, legacy[2]} end
  deployment_first = deployment_first or legacy[1] or nil
end
local deployment_seen = deployment_first ~= nil
local limit = tonumber(rate_limit)
if limit > 0 then
  local used = counter_value(call('HGET', rate_key, id), 'rate:' .. id)
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
  local current = call('HGET', stats_key, counter_field)
  counter_value(current, counter_field)
  local exists = current ~= false
  if not exists and call('HLEN', stats_key) + bucket.created >= tonumber(max_stats_fields) then
    return {'invalid_event', id, org,
            'app: too many distinct applications this hour for this organization'}
  end
  field = {exists = exists, counted = false, count = 0}
  bucket.fields[counter_field] = field
  bucket.order[#bucket.order + 1] = counter_field
end
local event_count = tonumber(count)
-- The app's monitor, and what this event will do to it (known before the
-- writes, so that the incident keys are read before them).
-- The app (docs/design.md "Monitors and incidents"), read once per call:
-- first its field of apps_seen_key, which says whether a hit would leave its
-- monitor as it is (quiet: no '+'); its monitor is read for any other app,
-- or event.
local monitor = batch_apps[event_app]
if not monitor then
  local seen = call('HGET', apps_seen_key, event_app)
  monitor = {quiet = seen and string.byte(seen, -1) ~= 43}  -- 43: '+'
  batch_apps[event_app] = monitor
  batch_apps[#batch_apps + 1] = event_app
end
if not monitor.data and (event_type ~= 'hit' or not monitor.quiet) then
)lua";

// The record body, after kMonitorRules.
constexpr const char* kRecordBodyMonitor = R"lua(
  local refusal = rules.load_monitor(monitor, event_app)
  if refusal then return {'invalid_event', id, org, refusal} end
end
-- The monitor as the call's earlier events left it (none: a hit of a quiet
-- app, which changes nothing in it). This event's changes go to a copy,
-- kept once the event has succeeded: an event that fails under its pcall
-- leaves it as it found it.
local m = monitor.data
local open_incident
if m and m.open_incident then
  rules.read_incident_keys()
  open_incident = rules.incident_of(m.open_incident)
end
local opens, resolves = false, false
if not m then
  -- A hit of a quiet app: nothing opens or resolves.
elseif event_type == 'failure' then
  opens = not open_incident and not m.paused and
          (m.fail_streak or 0) + event_count >= (m.failures_to_open or 1)
elseif event_type == 'hit' then
  resolves = open_incident ~= nil and (m.hit_streak or 0) + event_count >= (m.hits_to_close or 1)
end
if opens then rules.read_incident_keys() end
if opens or resolves then rules.check_outbox() end
-- The deploy index (below) is read before the writes: a key of the wrong
-- type fails this event here, and its size decides what the cap evicts.
local deploy_index_size
if event_type == 'deploy' then deploy_index_size = call('ZCARD', batch_monitor.deploy_index_key) end
-- The writes. An event that fails leaves no event behind (its result is its
-- error, and the call's other events go on): every command after the XADD
-- works on a key whose type, and counter, this event has read above, so
-- none of them can fail. The one write before the XADD is the credential's
-- last use (the credential was used), once per credential in a call: every
-- event of a call has the same now.
if not batch_used[id] then
  call('HSET', last_used_key, id, now_text)
  batch_used[id] = true
end
-- Without a timestamp, the event's time is when Redis records it.
local event_id = call('XADD', events_key, 'MINID', '~', oldest_event_id, '*',
  'type', event_type, 'credential', id, 'app', event_app,
  'time', event_time ~= '' and event_time or now_text, 'fields', fields)
batch_appended = true
if not deployment_seen then
  if not field.exists and not field.counted then bucket.created = bucket.created + 1 end
  field.counted = true
  field.count = field.count + event_count
end
if has_idempotency_key == '1' then
  remember(idempotencies_key, idempotency_ages_key, idempotency_field, now + 86400000,
           max_idempotency_keys, idempotency_suffixes,
           idempotency_field, event_id .. ' ' .. request_fingerprint)
end
if deploy_id ~= '' then
  remember(deploy_ids_key, deploy_ages_key, deploy_member, now + tonumber(retention_ms),
           max_deploy_ids, deploy_suffixes,
           deploy_member, deployment_first or event_id, deploy_state_field, event_id)
end
if limit > 0 then
  call('HINCRBY', rate_key, id, 1)
  call('PEXPIRE', rate_key, 2000)
end
-- The monitor's rules (docs/design.md "Monitors and incidents").
if not m or (event_type == 'hit' and rules.quiet_monitor(m)) then
  monitor.seen = true
  return {'accepted', id, org, event_id}  -- nothing opened or resolved
end
do
  local copy = {}
  for name, value in pairs(m) do copy[name] = value end
  m = copy
end
if m.open_incident and not open_incident then m.open_incident = nil end  -- dropped: none is open
if not m.first_event_at then m.first_event_at = now end
m.last_event_at = nil  -- kept in apps_seen_key
local opened, resolved = 0, 0
if event_type == 'deploy' then
  local ok, decoded = pcall(cjson.decode, fields)
  local version = ''
  if ok and type(decoded) == 'table' and type(decoded.version) == 'string' then
    version = decoded.version
  end
  m.last_deploy = {id = deploy_id, version = version, at = now}
  -- The deploy index: each recorded report (a duplicate never gets here),
  -- scored by now, for insights (docs/design.md "Monitors and incidents").
  -- The oldest go first: up to 16 past the retention, and over max_deploy_ids
  -- as many as it takes (1000 at most per report; a lowered cap is reached
  -- over the next reports).
  local committed_at = ''
  if ok and type(decoded) == 'table' and type(decoded.committed_at) == 'string' then
    committed_at = decoded.committed_at
  end
  local expired = call('ZRANGEBYSCORE', batch_monitor.deploy_index_key, '-inf',
                       string.format('%d', now - tonumber(retention_ms)), 'LIMIT', 0, 16)
  local evict = math.max(#expired,
                         math.min(deploy_index_size + 1 - tonumber(max_deploy_ids), 1000))
  if evict > 0 then call('ZPOPMIN', batch_monitor.deploy_index_key, evict) end
  call('ZADD', batch_monitor.deploy_index_key, string.format('%d', now), cjson.encode({e = event_id,
    app = event_app, d = deploy_id, s = deploy_status, v = version, c = committed_at}))
else
  if not m.state or m.state == 'new' then m.state = 'up'; m.since = now end
  if event_type == 'failure' then
    if (m.fail_streak or 0) == 0 then
      local ok, decoded = pcall(cjson.decode, fields)
      m.first_error = ''
      if ok and type(decoded) == 'table' and type(decoded.error) == 'string' then
        m.first_error = decoded.error
      end
      m.fail_streak_at = now
    end
    m.fail_streak = (m.fail_streak or 0) + event_count
    m.hit_streak, m.hit_streak_at = nil, nil
    if open_incident then
      open_incident.data.failures = open_incident.data.failures + event_count
      open_incident.dirty = true
    elseif opens then
      rules.make_room_for_incident()
      local opened_at = m.fail_streak_at
      local deploy = cjson.null
      local last = m.last_deploy
      if last and last.at <= opened_at and opened_at - last.at <= 86400000 then
        deploy = {id = last.id, version = last.version, at = last.at}
      end
      local incident = {id = 'in_' .. event_id, org = org, app = event_app, cause = 'failures',
        severity = m.severity or 'none', opened_at = opened_at, detected_at = now,
        resolved_at = cjson.null, duration_s = cjson.null, failures = m.fail_streak,
        first_error = m.first_error or '', deploy = deploy}
      call('HSET', batch_monitor.incidents_key, incident.id, cjson.encode(incident))
      call('ZADD', batch_monitor.incident_index_key, string.format('%d', opened_at), incident.id)
      batch_incidents[incident.id] = {data = incident, dirty = false}
      batch_incident_order[#batch_incident_order + 1] = incident.id
      m.open_incident, m.state, m.since = incident.id, 'down', opened_at
      rules.append_flip('incident_opened', incident, id, org, event_app)
      opened = 1
    end
  else
    if open_incident then
      if (m.hit_streak or 0) == 0 then m.hit_streak_at = now end
      m.hit_streak = (m.hit_streak or 0) + event_count
    end
    m.fail_streak, m.fail_streak_at, m.first_error = nil, nil, nil
    if resolves then
      local incident = open_incident.data
      incident.resolved_at = m.hit_streak_at
      incident.duration_s = (incident.resolved_at - incident.opened_at) / 1000
      call('HSET', batch_monitor.incidents_key, incident.id, cjson.encode(incident))
      call('ZADD', batch_monitor.incidents_resolved_key, string.format('%d', incident.resolved_at), incident.id)
      open_incident.dirty = false
      m.open_incident, m.state, m.since = nil, 'up', incident.resolved_at
      m.hit_streak, m.hit_streak_at = nil, nil
      rules.append_flip('incident_resolved', incident, id, org, event_app)
      resolved = 1
    end
  end
end
if monitor.new then batch_monitor.new_apps = batch_monitor.new_apps + 1; monitor.new = false end
monitor.data, monitor.dirty, monitor.seen = m, true, true
return {'accepted', id, org, event_id, opened, resolved}
)lua";

}  // namespace

const NamedScript& RecordScript() {
  static const NamedScript script(
      // One org (slot) and one configuration per call.
      NamedScript::PerItem{
          {"last_used_key", "events_key", "rate_key", "idempotencies_key", "idempotency_ages_key",
           "deploy_ids_key", "deploy_ages_key", "apps_key", "apps_seen_key", "incidents_key",
           "incident_index_key", "incidents_resolved_key", "deploy_index_key", "notify_key",
           "outbox_key"},
          {"stream_max_len", "oldest_event_id", "retention_ms", "max_stats_fields",
           "max_idempotency_keys", "max_deploy_ids", "max_apps", "max_incidents"}},
      {"token_key", "stats_key", "legacy_idempotency_key", "legacy_deploy_key"},
      {"event_type", "app", "event_time", "count", "fields", "has_idempotency_key",
       "idempotency_digest", "request_fingerprint", "deploy_id", "deploy_digest", "deploy_status",
       "rate_limit", "stats_expire_at"},
      std::string(kCurrentTokenLua) + kRecordBatchState,
      std::string(kRecordBody) + kMonitorRulesOpen + kOutboxLua + kMonitorRules +
          kRecordBodyMonitor,
      kRecordEpilogue);
  return script;
}

}  // namespace onep::scripts
