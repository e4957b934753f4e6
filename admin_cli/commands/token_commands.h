// SPDX-License-Identifier: Apache-2.0
// expire and verify: a credential's expiry without a new token, and which
#ifndef ONEP_ADMIN_CLI_COMMANDS_TOKEN_COMMANDS_H_
#define ONEP_ADMIN_CLI_COMMANDS_TOKEN_COMMANDS_H_

#include "context.h"

namespace onep::cli {

int ExpireCommand(Context& ctx, const Invocation& inv);
int VerifyCommand(Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMANDS_TOKEN_COMMANDS_H_
