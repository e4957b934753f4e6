// SPDX-License-Identifier: Apache-2.0
// Layout 1, as the previous release wrote it: its scripts and token format,
// to fill a Redis the way that release did, for the tests of `onepctl
// migrate`. Nothing here is used by the product.
#ifndef ONEP_TESTS_SUPPORT_LAYOUT_V1_H_
#define ONEP_TESTS_SUPPORT_LAYOUT_V1_H_

#include <cstdint>
#include <string>

#include "onep/redis_connection.h"

namespace onep::testing::v1 {

struct Issued {
  std::string id;     // wh_ + 16 base62
  std::string token;  // onep_ + 32 base62 + 6 base62 CRC32: no routing tag
};

// What the previous release's onepctl create / rotate / delete did, and its
// module's record script. Each fails the test on an unexpected reply.
Issued Create(RedisConnection& conn, const std::string& prefix, const std::string& org,
              const std::string& type, const std::string& name, const std::string& app,
              int64_t expires_in_ms = 0);
std::string Rotate(RedisConnection& conn, const std::string& prefix, const std::string& id,
                   int64_t grace_ms, const std::string& new_name = "");
void Delete(RedisConnection& conn, const std::string& prefix, const std::string& id);

struct Event {
  std::string type = "hit";  // hit, failure, deploy
  std::string app;
  int64_t time_ms = 0;  // 0: now
  int64_t count = 1;
  std::string fields_json = "{\"count\":1}";
  std::string idempotency_key;
  std::string deploy_id;
};
// The accepted event's id ("" and a test failure otherwise).
std::string Record(RedisConnection& conn, const std::string& prefix, const std::string& token,
                   const Event& event);

}  // namespace onep::testing::v1

#endif  // ONEP_TESTS_SUPPORT_LAYOUT_V1_H_
