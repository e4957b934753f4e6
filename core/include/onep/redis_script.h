// SPDX-License-Identifier: Apache-2.0
// A Lua script and one call of it, as a RedisConnection sends them (EVALSHA,
// EVAL after NOSCRIPT). The named scripts that onep runs are built from
// these in core/src/scripts/.
//
// Thread-safety: a Script is immutable once built; a ScriptCall is a value.
#ifndef ONEP_REDIS_SCRIPT_H_
#define ONEP_REDIS_SCRIPT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "onep/deadline.h"

namespace onep {

// A Lua script with its SHA1, computed once.
class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

// A script call. With `deadline` set, the connection that sends it puts a
// deadline in the server's clock (ServerDeadlineMs) in front of `args`, as
// ARGV[1]: a script run after the caller gave up can see that it is late and
// write nothing.
//
// With wait_replicas > 0, "WAIT wait_replicas wait_timeout_ms" follows the
// script in the same write, and a reply that is not an error counts only
// once that many replicas acknowledged it: otherwise the call is Unavailable
// (the script may have run on this server; its write may not survive it).
struct ScriptCall {
  const Script* script = nullptr;
  std::vector<std::string> keys;
  std::vector<std::string> args;
  bool deadline = false;
  int wait_replicas = 0;
  int64_t wait_timeout_ms = 0;
  // The caller's deadline: the connect, the call, its NOSCRIPT retry and its
  // WAIT all end by then, and the deadline in the server's clock (above) is
  // what is left of it. kNoDeadline: the connection's timeout, per step.
  Deadline until = kNoDeadline;
};

}  // namespace onep

#endif  // ONEP_REDIS_SCRIPT_H_
