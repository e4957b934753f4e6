// SPDX-License-Identifier: Apache-2.0
// What sentinels and masters answer, read for the Sentinel client (sentinel_replies.h).
#include "sentinel_replies.h"

#include <string>
#include <vector>

namespace onep::sentinel {

Result<std::optional<MasterAddr>> ParseMasterAddr(const Reply& reply) {
  if (reply.is_nil() || (reply.type == Reply::Type::kArray && reply.elements.empty())) {
    return std::optional<MasterAddr>();
  }
  if (reply.is_error()) return Status::Unavailable(reply.str, RedisFailure::kCannotServeNow);
  if (reply.type != Reply::Type::kArray || reply.elements.size() != 2 ||
      reply.elements[0].type != Reply::Type::kString || reply.elements[0].str.empty() ||
      reply.elements[1].type != Reply::Type::kString) {
    return Status::Unavailable("unexpected reply to SENTINEL GET-MASTER-ADDR-BY-NAME",
                               RedisFailure::kCannotServeNow);
  }
  const std::string& port_text = reply.elements[1].str;
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      port = -1;
      break;
    }
    port = port * 10 + (c - '0');
  }
  if (port <= 0 || port > 65535) {
    return Status::Unavailable("a sentinel named the master's port \"" + port_text + "\"",
                               RedisFailure::kCannotServeNow);
  }
  return std::optional<MasterAddr>(MasterAddr{reply.elements[0].str, port});
}

bool IsMasterRole(const Reply& role) {
  return role.type == Reply::Type::kArray && !role.elements.empty() &&
         role.elements[0].str == "master";
}

bool SaysNotMaster(const Reply& reply) {
  return reply.is_error() && reply.str.compare(0, 9, "READONLY ") == 0;
}

bool SaysNotMaster(const std::vector<Reply>& replies) {
  for (const Reply& reply : replies) {
    if (SaysNotMaster(reply)) return true;
  }
  return false;
}

bool SaysNotMaster(const std::vector<Result<Reply>>& replies) {
  for (const Result<Reply>& reply : replies) {
    if (!reply.ok() || !SaysNotMaster(*reply)) return false;
  }
  return !replies.empty();
}

std::vector<std::size_t> AskFirst(std::vector<std::size_t> order, std::size_t answered) {
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] != answered) continue;
    for (std::size_t j = i; j > 0; --j) order[j] = order[j - 1];
    order[0] = answered;
    break;
  }
  return order;
}

}  // namespace onep::sentinel
