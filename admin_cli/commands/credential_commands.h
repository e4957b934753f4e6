// SPDX-License-Identifier: Apache-2.0
// create, list, show, rotate, rename, delete.
#ifndef ONEP_ADMIN_CLI_COMMANDS_CREDENTIAL_COMMANDS_H_
#define ONEP_ADMIN_CLI_COMMANDS_CREDENTIAL_COMMANDS_H_

#include "context.h"

namespace onep::cli {

int CreateCommand(Context& ctx, const Invocation& inv);
int ListCommand(Context& ctx, const Invocation& inv);
int ShowCommand(Context& ctx, const Invocation& inv);
int RotateCommand(Context& ctx, const Invocation& inv);
int RenameCommand(Context& ctx, const Invocation& inv);
int DeleteCommand(Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMANDS_CREDENTIAL_COMMANDS_H_
