// SPDX-License-Identifier: Apache-2.0
// The key layout version stored in Redis (KeySpace::Layout()), and the check
// that the module and onepctl make before they use a keyspace.
//
// A keyspace is "empty" before its first credential, "current" once the
// layout key says kLayoutVersion, "version 1" when it holds the data of an
// onep from before routing tags (no layout key, but the version-1 org set),
// and "unknown" when the layout key names a version this build does not know.
#ifndef ONEP_LAYOUT_H_
#define ONEP_LAYOUT_H_

#include <string>

#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep {

enum class LayoutState { kEmpty, kCurrent, kVersion1, kUnknown };

struct LayoutInfo {
  LayoutState state = LayoutState::kEmpty;
  std::string version;  // as stored; empty when there is no layout key
};

// Two reads of global keys, both ended by `until`. Unavailable when Redis
// fails.
Result<LayoutInfo> ReadLayout(RedisClient& redis, const KeySpace& keys,
                              Deadline until = kNoDeadline);

// OK for an empty or current keyspace; FailedPrecondition naming the fix
// ("run 'onepctl migrate'", or "upgrade onep") otherwise.
Status CheckLayout(RedisClient& redis, const KeySpace& keys, Deadline until = kNoDeadline);

// Marks an empty keyspace as current before its first write (SET NX, so
// concurrent creators agree), then checks it as CheckLayout does.
Status StampLayout(RedisClient& redis, const KeySpace& keys);

// The FailedPrecondition that CheckLayout returns for `info` (OK when usable).
Status LayoutStatus(const LayoutInfo& info, const KeySpace& keys);

// The version-1 org set (KeySpace::Orgs() in layout 1 was "<prefix>orgs").
inline std::string Version1Orgs(const KeySpace& keys) { return keys.prefix() + "orgs"; }

}  // namespace onep

#endif  // ONEP_LAYOUT_H_
