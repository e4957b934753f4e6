// SPDX-License-Identifier: Apache-2.0
// A number from a Redis server's INFO, for the tests that measure what Redis
// holds (used_memory before and after) or set limits from it (maxmemory).
#ifndef ONEP_TESTS_SUPPORT_REDIS_INFO_H_
#define ONEP_TESTS_SUPPORT_REDIS_INFO_H_

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

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

// used_memory once the server has nothing left to free in the background:
// a DEL of a big key is freed by a background thread when lazy freeing is on
// (Valkey 8's default), and a reading taken before that thread is done counts
// the key still. Waits at most 10 s, then reads anyway.
inline long long SettledUsedMemory(RedisConnection& conn) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (InfoNumber(conn, "memory", "lazyfree_pending_objects") > 0 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return InfoNumber(conn, "memory", "used_memory");
}

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_REDIS_INFO_H_
