// SPDX-License-Identifier: Apache-2.0
#include "scripts/monitor_scripts.h"

#include <string>

#include "scripts/outbox_lua.h"

namespace onep::scripts {
namespace {

constexpr const char* kSetMonitorBody = R"lua(
local stored = call('HGET', apps_key, app)
if not stored then return {'not_found'} end
local monitor = cjson.decode(stored)
for name, value in pairs(cjson.decode(changes)) do monitor[name] = value end
-- A pause with an end is over from paused_until on (by Redis' clock), even
-- before the sweep writes its resumption.
local paused_now = monitor.paused and
                   (not monitor.paused_until or tonumber(monitor.paused_until) > now)
if pause == '1' then
  if not paused_now then monitor.paused, monitor.paused_at = true, now end
  monitor.paused_until = nil
  if pause_for ~= '' then monitor.paused_until = now + tonumber(pause_for) end
elseif pause == '0' then
  monitor.paused, monitor.paused_at, monitor.paused_until = nil, nil, nil
end
local encoded = cjson.encode(monitor)
call('HSET', apps_key, app, encoded)
-- The sweep looks at apps with expect_every and at pauses with an end; it
-- works out when to look again itself, so the next sweep looks at once.
local watched = tonumber(monitor.expect_every_ms or 0) > 0 or monitor.paused_until ~= nil
if watched then
  call('ZADD', sweep_key, now_text, app)
else
  call('ZREM', sweep_key, app)
end
call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*',
  'time', now_text, 'action', 'monitor', 'app', app, 'actor', actor,
  'changes', changes, 'pause', pause, 'pause_for', pause_for)
return {'ok', encoded, watched and '1' or '0', now_text}
)lua";

// One org's turn of the silence sweep (docs/design.md "Silence"): each app
// of sweep_key whose look is due, at most max_looks, in one atomic call, so
// that sweeps of several servers at once open one incident.
constexpr const char* kSweepOrgBody = R"lua(
local org = call('GET', org_owner_key) or ''
local due = call('ZRANGEBYSCORE', sweep_key, '-inf', now_text, 'LIMIT', 0, max_looks)
local opened, resumed = 0, 0

-- The id the next entry of the events stream gets: an incident's id is
-- 'in_' + the stream id of the entry that opened it, and the flip carries it.
local function next_stream_id()
  local last = call('XREVRANGE', events_key, '+', '-', 'COUNT', 1)[1]
  if last then
    local ms, seq = string.match(last[1], '^(%d+)-(%d+)$')
    if tonumber(ms) >= now then return string.format('%s-%d', ms, tonumber(seq) + 1) end
  end
  return now_text .. '-0'
end

-- Appends a flip: its entry of the events stream (at `stream_id`), as the
-- record script writes one, and, when the org has notification endpoints,
-- its entry of the outbox.
local function append_flip(flip_type, incident, app, stream_id)
  local entry = {}
  for name, value in pairs(incident) do entry[name] = value end
  entry.first_error = string.sub(incident.first_error or '', 1, 256)
  call('XADD', events_key, 'MAXLEN', '~', stream_max_len, stream_id, 'type', flip_type,
    'credential', '', 'app', app, 'time', now_text, 'incident', incident.id,
    'fields', cjson.encode(entry))
  if outbox_wanted(notify_key, outbox_key) then
    append_outbox(outbox_key, flip_type, org, app, cjson.encode(incident), now_text)
  end
end

-- Room for one more incident: resolved ones past the retention (16 at
-- most), then the oldest resolved while the org holds max_incidents.
local function make_room_for_incident()
  local function drop(list, step)
    if #list == 0 then return end
    local ids = {}
    for i = 1, #list, step do ids[#ids + 1] = list[i] end
    call('HDEL', incidents_key, unpack(ids))
    call('ZREM', incident_index_key, unpack(ids))
    call('ZREM', incidents_resolved_key, unpack(ids))
  end
  drop(call('ZRANGEBYSCORE', incidents_resolved_key, '-inf',
            string.format('%d', now - tonumber(retention_ms)), 'LIMIT', 0, 16), 1)
  local over = math.min(call('HLEN', incidents_key) + 1 - tonumber(max_incidents), 1000)
  if over > 0 then drop(call('ZPOPMIN', incidents_resolved_key, over), 2) end
end

-- Opens the silence incident of `app` (monitor `m`, last heard from at
-- `last`): silence began at last + every.
local function open_silence(app, m, last, every)
  make_room_for_incident()
  local opened_at = last + every
  local deploy = cjson.null
  local d = m.last_deploy
  if d and d.at <= opened_at and opened_at - d.at <= 86400000 then
    deploy = {id = d.id, version = d.version, at = d.at}
  end
  local stream_id = next_stream_id()
  local incident = {id = 'in_' .. stream_id, org = org, app = app, cause = 'silence',
    severity = m.severity or 'none', opened_at = opened_at, detected_at = now,
    resolved_at = cjson.null, duration_s = cjson.null, failures = 0, first_error = '',
    deploy = deploy}
  append_flip('incident_opened', incident, app, stream_id)
  call('HSET', incidents_key, incident.id, cjson.encode(incident))
  call('ZADD', incident_index_key, string.format('%d', opened_at), incident.id)
  m.open_incident, m.state, m.since = incident.id, 'down', opened_at
  m.hit_streak, m.hit_streak_at = nil, nil
  -- '+': the app's next hit reads its monitor, and resolves.
  call('HSET', apps_seen_key, app, string.format('%d', last) .. '+')
end

for _, app in ipairs(due) do
  local next_look
  local stored = call('HGET', apps_key, app)
  local decoded, m = false, nil
  if stored then decoded, m = pcall(cjson.decode, stored) end
  if decoded and type(m) == 'table' then
    local changed = false
    if m.paused and m.paused_until and tonumber(m.paused_until) <= now then
      m.paused, m.paused_at, m.paused_until = nil, nil, nil
      changed = true
      resumed = resumed + 1
      call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*', 'time', now_text,
        'action', 'monitor', 'app', app, 'actor', 'onep', 'changes', '{}', 'pause', '0',
        'pause_for', '')
    end
    local every = tonumber(m.expect_every_ms or 0)
    if m.paused then
      next_look = m.paused_until  -- none: the monitor script puts it back on resume
    elseif every > 0 then
      local grace = tonumber(m.grace_ms or 0)
      if grace <= 0 then grace = math.max(math.floor(every / 5), 60000) end
      local seen = call('HGET', apps_seen_key, app)
      local last = seen and tonumber(string.match(seen, '^%d+'))
      local open = m.open_incident and call('HEXISTS', incidents_key, m.open_incident) == 1
      if open or not last then
        -- Down: a hit resolves it. New: nothing to be silent relative to.
        next_look = now + every
      elseif last + every + grace > now then
        next_look = last + every + grace
      else
        open_silence(app, m, last, every)
        changed = true
        opened = opened + 1
        next_look = now + every
      end
    end
    if changed then call('HSET', apps_key, app, cjson.encode(m)) end
  end
  if next_look then
    call('ZADD', sweep_key, string.format('%d', next_look), app)
  else
    call('ZREM', sweep_key, app)
  end
end
local first = call('ZRANGE', sweep_key, 0, 0, 'WITHSCORES')
return {opened, resumed, first[2] or ''}
)lua";

// The sweep's index of orgs, after an org's turn: its next look is `next`
// ('' for none: it leaves the index), unless a monitor change asked for a
// look meanwhile (its score is no longer `looked`), which then keeps the
// sooner of the two.
constexpr const char* kSweepNextBody = R"lua(
local current = call('ZSCORE', sweep_orgs_key, tag)
if current and tonumber(current) ~= tonumber(looked) then
  if next_look ~= '' and tonumber(next_look) < tonumber(current) then
    call('ZADD', sweep_orgs_key, next_look, tag)
  end
  return 0
end
if next_look == '' then
  call('ZREM', sweep_orgs_key, tag)
else
  call('ZADD', sweep_orgs_key, next_look, tag)
end
return 1
)lua";

}  // namespace

const NamedScript& SetMonitorScript() {
  static const NamedScript script(
      {"apps_key", "audit_key", "sweep_key"},
      {"app", "changes", "pause", "pause_for", "actor", "audit_max_len"}, false, kSetMonitorBody);
  return script;
}

const NamedScript& SweepOrgScript() {
  static const NamedScript script(
      {"sweep_key", "org_owner_key", "apps_key", "apps_seen_key", "incidents_key",
       "incident_index_key", "incidents_resolved_key", "events_key", "audit_key", "notify_key",
       "outbox_key"},
      {"max_looks", "stream_max_len", "retention_ms", "max_incidents", "audit_max_len"}, false,
      std::string(kOutboxLua) + kSweepOrgBody);
  return script;
}

const NamedScript& SweepNextScript() {
  static const NamedScript script({"sweep_orgs_key"}, {"tag", "looked", "next_look"}, false,
                                  kSweepNextBody);
  return script;
}

}  // namespace onep::scripts
