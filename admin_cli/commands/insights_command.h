// SPDX-License-Identifier: Apache-2.0
// insights: uptime, MTTR, MTBF and the DORA figures of each application.
#ifndef ONEP_ADMIN_CLI_COMMANDS_INSIGHTS_COMMAND_H_
#define ONEP_ADMIN_CLI_COMMANDS_INSIGHTS_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>

#include "context.h"

namespace onep::cli {

int InsightsCommand(Context& ctx, const Invocation& inv);

// A duration for a table: "850ms", "12.5s", "4m 10s", "3h 20m", "2d 5h";
// "-" for none.
std::string HumanDuration(std::optional<int64_t> ms);

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_COMMANDS_INSIGHTS_COMMAND_H_
