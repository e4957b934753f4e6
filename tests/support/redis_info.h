// SPDX-License-Identifier: Apache-2.0
// A number from a Redis server's INFO, for the tests that measure what Redis
// holds (used_memory before and after) or set limits from it (maxmemory).
#ifndef ONEP_TESTS_SUPPORT_REDIS_INFO_H_
#define ONEP_TESTS_SUPPORT_REDIS_INFO_H_

#include <cstdlib>
#include <string>

#include "onep/redis_connection.h"

namespace onep::testing {

// The field `name` of INFO's `section` as a number; -1 when Redis does not
// answer or has no such field.
inline long long InfoNumber(RedisConnection& conn, const std::string& section,
                            const std::string& name) {
  auto info = conn.Command({"INFO", section});
  if (!info.ok()) return -1;
  const std::string needle = "\n" + name + ":";
  auto at = ("\n" + info->str).find(needle);
  if (at == std::string::npos) return -1;
  return std::atoll(info->str.c_str() + at - 1 + needle.size());
}

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_REDIS_INFO_H_
