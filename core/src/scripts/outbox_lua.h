// SPDX-License-Identifier: Apache-2.0
// The Lua functions that write the notification outbox: every script that
// opens or resolves an incident (the record script, the silence sweep) and
// the endpoint test write it the same way (docs/redis-layout.md, "outbox").
// A helper that a script includes where its functions are made.
#ifndef ONEP_CORE_SRC_SCRIPTS_OUTBOX_LUA_H_
#define ONEP_CORE_SRC_SCRIPTS_OUTBOX_LUA_H_

namespace onep::scripts {

// outbox_wanted(notify_key, outbox_key) -> whether the org has a
// notification endpoint. When it has, it also reads the outbox's type, so a
// caller that asks before its writes fails there, not half way through them,
// on an outbox key of the wrong type.
//
// append_outbox(outbox_key, notification_type, org, app, incident_json,
// time_text, endpoint) -> the new entry's id. notification_type is
// incident_opened, incident_resolved or test; incident_json the incident as
// stored in the incidents hash ('{}' for a test); endpoint the one endpoint
// a test is for (nil otherwise). The stream keeps about the newest 10000.
inline constexpr const char* kOutboxLua = R"lua(
local function outbox_wanted(notify_key, outbox_key)
  if call('EXISTS', notify_key) == 0 then return false end
  call('XLEN', outbox_key)
  return true
end
local function append_outbox(outbox_key, notification_type, org, app, incident_json, time_text,
                             endpoint)
  if endpoint then
    return call('XADD', outbox_key, 'MAXLEN', '~', '10000', '*', 'type', notification_type,
      'org', org, 'app', app, 'incident', incident_json, 'time', time_text, 'endpoint', endpoint)
  end
  return call('XADD', outbox_key, 'MAXLEN', '~', '10000', '*', 'type', notification_type,
    'org', org, 'app', app, 'incident', incident_json, 'time', time_text)
end
)lua";

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_OUTBOX_LUA_H_
