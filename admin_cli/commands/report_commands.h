// SPDX-License-Identifier: Apache-2.0
// orgs, stats, audit: the read-only commands besides events (events_command.cc).
#ifndef ONEP_ADMIN_CLI_COMMANDS_REPORT_COMMANDS_H_
#define ONEP_ADMIN_CLI_COMMANDS_REPORT_COMMANDS_H_

#include "context.h"

namespace onep::cli {

int OrgsCommand(Context& ctx, const Invocation& inv);
int StatsCommand(Context& ctx, const Invocation& inv);
int AuditCommand(Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMANDS_REPORT_COMMANDS_H_
