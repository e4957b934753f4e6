// SPDX-License-Identifier: Apache-2.0
// Upgrading a keyspace from layout 1 (keys by org slug, global token and id
// indexes; onep before routing tags) to layout 2 (keys.h), in place.
//
// Every org gets its routing tag, and each of its keys is moved under it:
// streams, sorted sets and counters whole (DUMP + RESTORE with their time to
// live, then DEL of the old key), credentials, tokens, idempotency keys and
// deploy ids rewritten into their layout-2 form. Tokens and ids issued under
// layout 1 cannot carry a tag: they keep working through the legacy indexes
// (KeySpace::LegacyToken / LegacyCredential) until they are rotated, and the
// report names the credentials to rotate.
//
// Each step writes the new key before it deletes the old one, and every step
// can be done again, so an interrupted migration is finished by running it
// again. The layout key is written last: until then the module answers 503
// and onepctl refuses the keyspace, so nothing writes to it half-migrated.
//
// Layout 1 ran on a single Redis only (its scripts crossed slots), so the
// keys are found with SCAN on that server.
#ifndef ONEP_MIGRATE_H_
#define ONEP_MIGRATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep {

struct MigrationReport {
  std::string layout_before;  // "1", "2", or "" for an empty keyspace
  bool dry_run = false;
  int64_t orgs = 0;          // version-1 orgs found
  int64_t credentials = 0;   // credentials moved
  int64_t tokens = 0;        // token index entries moved
  int64_t keys_moved = 0;    // other keys moved or rewritten
  int64_t keys_dropped = 0;  // derived or transient keys not carried over (apps, rate limits)
  // Credentials whose current token is a legacy one: rotate each (onepctl
  // rotate ID) to give it a token that carries its org's routing tag.
  std::vector<std::string> rotate;
};

// Migrates (or, with dry_run, only counts what it would migrate). Unavailable
// when Redis fails: run it again. FailedPrecondition for a layout newer than
// this version's.
Result<MigrationReport> MigrateKeyspace(RedisClient& redis, const KeySpace& keys, bool dry_run);

}  // namespace onep

#endif  // ONEP_MIGRATE_H_
