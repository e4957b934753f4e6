// SPDX-License-Identifier: Apache-2.0
// notify add|list|remove|test, deliveries: notification endpoints and what
// was delivered to them.
#ifndef ONEP_ADMIN_CLI_COMMANDS_NOTIFY_COMMANDS_H_
#define ONEP_ADMIN_CLI_COMMANDS_NOTIFY_COMMANDS_H_

#include "context.h"

namespace onep::cli {

int NotifyAddCommand(Context& ctx, const Invocation& inv);
int NotifyListCommand(Context& ctx, const Invocation& inv);
int NotifyRemoveCommand(Context& ctx, const Invocation& inv);
int NotifyTestCommand(Context& ctx, const Invocation& inv);
int DeliveriesCommand(Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMANDS_NOTIFY_COMMANDS_H_
