// SPDX-License-Identifier: Apache-2.0
// What an operator should know about the Redis that onep uses: the checks of
// `onepctl doctor`, also logged by mod_onep at startup.
//
// Each check says ok, or what is wrong and what to do, in one line. They read
// only (INFO, TIME, CONFIG GET, ACL DRYRUN, the layout key): running them
// changes nothing.
#ifndef ONEP_DOCTOR_H_
#define ONEP_DOCTOR_H_

#include <string>
#include <vector>

#include "onep/keys.h"
#include "onep/redis_client.h"

namespace onep {

struct Check {
  std::string name;  // "reachable", "version", "maxmemory-policy", ...
  bool ok = false;
  std::string detail;  // what was found; when !ok, also what to do
};

// Every check, in a fixed order. A Redis that cannot be reached gives one
// failed "reachable" check and no others.
std::vector<Check> Diagnose(RedisClient& redis, const KeySpace& keys);

// The commands mod_onep sends, with a key of `keys` where they take one: what
// its ACL user must be allowed (docs/operations.md).
std::vector<std::vector<std::string>> ModuleCommands(const KeySpace& keys);

}  // namespace onep

#endif  // ONEP_DOCTOR_H_
