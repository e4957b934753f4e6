// SPDX-License-Identifier: Apache-2.0
// The most Redis memory one organization's token holders can make it hold,
// as docs/operations.md ("Sizing") writes it: the bytes per entry are upper
// bounds measured by QuotaTest.EntriesCostAtMostTheDocumentedBytes and
// ModuleBoundsTest.WorstCaseEventsCostAtMostTheDocumentedBytes (Redis 7,
// 64-bit), and the flood test sizes Redis' maxmemory with the same formula.
#ifndef ONEP_TESTS_SUPPORT_ORG_SIZING_H_
#define ONEP_TESTS_SUPPORT_ORG_SIZING_H_

#include <cstdint>

#include "onep/event_store.h"

namespace onep::testing {

// The worst event OnepMaxEventSize 6k allows, as stored, Idempotency-Key
// included in the request (docs/redis-layout.md, "Sizing").
inline constexpr int64_t kWorstEventBytes = 8192;
// XTRIM MAXLEN ~ removes whole stream nodes (100 entries each): the stream
// may hold this many entries more than OnepMaxEvents.
inline constexpr int64_t kStreamTrimSlack = 100;
// One remembered Idempotency-Key: its field in P{tag}:idem and its member
// in P{tag}:idemage.
inline constexpr int64_t kIdempotencyEntryBytes = 400;
// One remembered deploy_id with all four states reported: five fields in
// P{tag}:deployids and a member in P{tag}:deployage.
inline constexpr int64_t kDeployIdEntryBytes = 1024;
// One deploy report in P{tag}:deployidx, the worst the defaults allow
// (InsightsStoreTest.TheDeployIndexCostsAtMostTheDocumentedBytes); at most
// OnepMaxDeployIds of them.
inline constexpr int64_t kDeployIndexEntryBytes = 1024;
// One counter of an hour's bucket, for an app name of 63 characters.
inline constexpr int64_t kCounterFieldBytes = 160;
// The buckets that can grow at one moment: the 24 hours before the current
// one, the current one and the next (an event up to 1 h ahead).
inline constexpr int64_t kGrowingBuckets = 26;
// The buckets alive at most: 32 days of hours (kStatsRetentionMs).
inline constexpr int64_t kLiveBuckets = 32 * 24;
// A rate-limit window (P{tag}:rl:<second>), per credential; at most 3 alive.
inline constexpr int64_t kRateWindowBytesPerCredential = 200;
inline constexpr int64_t kRateWindowsAlive = 3;
// The audit stream: MAXLEN ~ 10,000 (and a node's slack), written by admins only.
inline constexpr int64_t kAuditEntries = 10000 + kStreamTrimSlack;
inline constexpr int64_t kAuditEntryBytes = 200;

// One application in P{tag}:apps and P{tag}:appseen, the worst the defaults allow: a
// 63-character name, a first_error of OnepMaxFieldLength 4k escaped twice
// over by the script's JSON ('/' as "\/"), the longest version and
// deploy_id (MonitorTest.AppsAndIncidentsCostAtMostTheDocumentedBytes).
inline constexpr int64_t kAppBytes = 11264;
// One incident in P{tag}:incidents with its members in :incidentidx and
// :incidentdone, the same worst case; an org keeps at most kMaxIncidents.
inline constexpr int64_t kIncidentBytes = 11264;
inline constexpr int64_t kMaxIncidents = 10000;

struct OrgLimits {
  uint64_t max_events = EventRetention().max_events;                      // OnepMaxEvents
  uint64_t max_idempotency_keys = EventRetention().max_idempotency_keys;  // OnepMaxIdempotencyKeys
  uint64_t max_deploy_ids = EventRetention().max_deploy_ids;              // OnepMaxDeployIds
  uint64_t max_apps = EventRetention().max_apps;                          // OnepMaxApps
  int64_t max_incidents = kMaxIncidents;   // fixed; 0 for a load without failures
  int64_t event_bytes = kWorstEventBytes;  // the worst event OnepMaxEventSize allows
  int64_t credentials = 10;
  // How many hourly buckets count: kGrowingBuckets for a burst within an
  // hour, kLiveBuckets for the steady worst case.
  int64_t counter_buckets = kLiveBuckets;
};

// The sum docs/operations.md gives.
inline int64_t OrgWorstCaseBytes(const OrgLimits& l) {
  return static_cast<int64_t>(l.max_events + kStreamTrimSlack) * l.event_bytes +
         static_cast<int64_t>(l.max_idempotency_keys) * kIdempotencyEntryBytes +
         static_cast<int64_t>(l.max_deploy_ids) * (kDeployIdEntryBytes + kDeployIndexEntryBytes) +
         l.counter_buckets * kMaxStatsFieldsPerHour * kCounterFieldBytes +
         kRateWindowsAlive * l.credentials * kRateWindowBytesPerCredential +
         kAuditEntries * kAuditEntryBytes + static_cast<int64_t>(l.max_apps) * kAppBytes +
         l.max_incidents * kIncidentBytes;
}

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_ORG_SIZING_H_
