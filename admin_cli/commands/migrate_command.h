// SPDX-License-Identifier: Apache-2.0
// onepctl migrate: upgrades the keyspace to the layout this version uses
#ifndef ONEP_ADMIN_CLI_COMMANDS_MIGRATE_COMMAND_H_
#define ONEP_ADMIN_CLI_COMMANDS_MIGRATE_COMMAND_H_

#include "context.h"

namespace onep::cli {

int MigrateCommand(Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMANDS_MIGRATE_COMMAND_H_
