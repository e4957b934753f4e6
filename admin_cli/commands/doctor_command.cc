// SPDX-License-Identifier: Apache-2.0
// onepctl doctor: is the Redis that onep uses set up so that nothing is lost
// (core/include/onep/doctor.h)?
#include "commands/doctor_command.h"

#include <ostream>

#include "onep/doctor.h"
#include "output.h"

namespace onep::cli {

int DoctorCommand(Context& ctx, const Invocation&) {
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  RedisClient* redis = *connected;
  const std::vector<Check> checks = Diagnose(*redis, ctx.keys());
  bool all_ok = true;
  for (const Check& check : checks) all_ok = all_ok && check.ok;
  if (ctx.json()) {
    JsonPtr array(json_array());
    for (const Check& check : checks) {
      json_t* item = json_object();
      json_object_set_new(item, "check", json_string(check.name.c_str()));
      json_object_set_new(item, "ok", json_boolean(check.ok));
      json_object_set_new(item, "detail", json_string(check.detail.c_str()));
      json_array_append_new(array.get(), item);
    }
    ctx.out() << JsonOut(array.get(), true) << "\n";
  } else {
    for (const Check& check : checks) {
      ctx.out() << (check.ok ? "ok    " : "FAIL  ") << check.name << ": "
                << SanitizeForTerminal(check.detail) << "\n";
    }
  }
  return all_ok ? kExitOk : kExitFailure;
}

}  // namespace onep::cli
