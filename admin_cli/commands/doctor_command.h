// SPDX-License-Identifier: Apache-2.0
// onepctl doctor: is the Redis that onep uses set up so that nothing is lost
#ifndef ONEP_ADMIN_CLI_COMMANDS_DOCTOR_COMMAND_H_
#define ONEP_ADMIN_CLI_COMMANDS_DOCTOR_COMMAND_H_

#include "context.h"

namespace onep::cli {

int DoctorCommand(Context& ctx, const Invocation& inv);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMANDS_DOCTOR_COMMAND_H_
