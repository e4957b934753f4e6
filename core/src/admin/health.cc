// SPDX-License-Identifier: Apache-2.0
#include "onep/health.h"

#include <cstdlib>
#include <string_view>

namespace onep {
namespace {

// The value of "name:value" in an INFO reply; empty when absent.
std::string_view Field(std::string_view info, std::string_view name) {
  std::size_t at = 0;
  while ((at = info.find(name, at)) != std::string_view::npos) {
    const bool line_start = at == 0 || info[at - 1] == '\n';
    const std::size_t colon = at + name.size();
    if (line_start && colon < info.size() && info[colon] == ':') {
      std::size_t end = info.find_first_of("\r\n", colon);
      if (end == std::string_view::npos) end = info.size();
      return info.substr(colon + 1, end - colon - 1);
    }
    at = colon;
  }
  return std::string_view();
}

long long Number(std::string_view text) {
  return std::strtoll(std::string(text).c_str(), nullptr, 10);
}

}  // namespace

Status JudgeInfo(const std::string& info, const std::string& server) {
  auto refuse = [&](const std::string& why) {
    return Status::Unavailable(server + " refuses writes: " + why, RedisFailure::kRefusesWrites);
  };
  const std::string_view role = Field(info, "role");
  if (!role.empty() && role != "master") return refuse("it is a read-only replica");
  if (Field(info, "loading") == "1") return refuse("it is loading its data");
  const long long maxmemory = Number(Field(info, "maxmemory"));
  const long long used = Number(Field(info, "used_memory"));
  if (maxmemory > 0 && used >= maxmemory && Field(info, "maxmemory_policy") == "noeviction") {
    return refuse("out of memory (used_memory " + std::to_string(used) + " >= maxmemory " +
                  std::to_string(maxmemory) + ", maxmemory-policy noeviction)");
  }
  if (Field(info, "rdb_last_bgsave_status") == "err") {
    return refuse("its last RDB save failed (MISCONF while stop-writes-on-bgsave-error is on)");
  }
  if (Field(info, "aof_last_write_status") == "err") return refuse("its last AOF write failed");
  return Status::Ok();
}

Status CheckWritable(RedisClient& redis) {
  auto replies = redis.OnEveryMaster({"INFO", "memory", "persistence", "replication"});
  if (!replies.ok()) return replies.status();
  for (const Reply& reply : *replies) {
    if (reply.is_error()) {
      return Status::Unavailable(redis.Describe() + ": INFO: " + reply.str,
                                 RedisFailure::kCannotServeNow);
    }
    if (Status s = JudgeInfo(reply.str, redis.Describe()); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace onep
