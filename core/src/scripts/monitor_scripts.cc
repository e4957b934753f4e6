// SPDX-License-Identifier: Apache-2.0
#include "scripts/monitor_scripts.h"

namespace onep::scripts {
namespace {

constexpr const char* kSetMonitorBody = R"lua(
local stored = call('HGET', apps_key, app)
if not stored then return {'not_found'} end
local monitor = cjson.decode(stored)
for name, value in pairs(cjson.decode(changes)) do monitor[name] = value end
if pause == '1' and not monitor.paused then
  monitor.paused, monitor.paused_at = true, now
elseif pause == '0' then
  monitor.paused, monitor.paused_at = nil, nil
end
local encoded = cjson.encode(monitor)
call('HSET', apps_key, app, encoded)
call('XADD', audit_key, 'MAXLEN', '~', audit_max_len, '*',
  'time', now_text, 'action', 'monitor', 'app', app, 'actor', actor,
  'changes', changes, 'pause', pause)
return {'ok', encoded}
)lua";

}  // namespace

const NamedScript& SetMonitorScript() {
  static const NamedScript script({"apps_key", "audit_key"},
                                  {"app", "changes", "pause", "actor", "audit_max_len"}, false,
                                  kSetMonitorBody);
  return script;
}

}  // namespace onep::scripts
