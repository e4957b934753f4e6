// SPDX-License-Identifier: Apache-2.0
// apps, monitor, incidents: applications, their monitors and their incidents.
#ifndef ONEP_ADMIN_CLI_COMMANDS_MONITOR_COMMANDS_H_
#define ONEP_ADMIN_CLI_COMMANDS_MONITOR_COMMANDS_H_

#include "context.h"

namespace onep::cli {

int AppsCommand(Context& ctx, const Invocation& inv);
int MonitorCommand(Context& ctx, const Invocation& inv);
int IncidentsCommand(Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMANDS_MONITOR_COMMANDS_H_
