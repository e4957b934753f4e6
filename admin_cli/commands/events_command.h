// SPDX-License-Identifier: Apache-2.0
// events: the newest N, a page after or before an id, every event (--all,
#ifndef ONEP_ADMIN_CLI_COMMANDS_EVENTS_COMMAND_H_
#define ONEP_ADMIN_CLI_COMMANDS_EVENTS_COMMAND_H_

#include "context.h"

namespace onep::cli {

int EventsCommand(Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMANDS_EVENTS_COMMAND_H_
