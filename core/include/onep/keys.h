// SPDX-License-Identifier: Apache-2.0
// The Redis key layout, version 2 (docs/redis-layout.md lists every key).
//
// Every key of an organization carries the org's routing tag as its Redis
// Cluster hash tag, "<prefix>{<tag>}:<rest>", so all of them share one slot
// and every script touches that slot only. The scripts never build a key
// name: the caller builds every key here and passes it in KEYS.
//
// The few global keys (the layout version, the org directory, the legacy
// indexes of tokens and ids issued before routing tags) are read and written
// by plain commands, never by a script that also touches an org's keys.
//
// Thread-safety: values; safe to share between threads.
#ifndef ONEP_KEYS_H_
#define ONEP_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace onep {

// The layout this version reads and writes; stored in Redis at Layout().
inline constexpr std::string_view kLayoutVersion = "2";

class KeySpace {
 public:
  explicit KeySpace(std::string prefix) : prefix_(std::move(prefix)) {}
  const std::string& prefix() const { return prefix_; }

  // Global keys.
  std::string Layout() const;   // string: the layout version
  std::string OrgTags() const;  // hash: slug -> routing tag (never changes once set)
  // The orgs the silence sweep looks at: zset, routing tag -> when the org
  // next has an app to look at (Unix ms; docs/redis-layout.md).
  std::string SweepOrgs() const;
  std::string LegacyToken(std::string_view token_hash) const;  // string: routing tag
  std::string LegacyCredential(std::string_view id) const;     // string: routing tag
  // set: the routing tags of the orgs with at least one notification
  // endpoint, so a deliverer finds them without a scan.
  std::string NotifyOrgs() const;

  // "{tag}": the slot key of an org, for RedisClient calls.
  static std::string SlotKey(std::string_view tag);

  // Keys of one organization, by its routing tag.
  std::string OrgOwner(std::string_view tag) const;  // string: the slug that owns the tag
  std::string Token(std::string_view tag, std::string_view token_hash) const;  // hash
  std::string Credential(std::string_view tag, std::string_view id) const;     // hash
  std::string OrgCredentials(std::string_view tag) const;  // zset: id -> created µs
  std::string LastUsed(std::string_view tag) const;        // hash: id -> ms
  std::string DeployApp(std::string_view tag, std::string_view app) const;  // string: id
  std::string Events(std::string_view tag) const;                           // stream
  std::string StatsBucket(std::string_view tag, int64_t hour) const;        // hash
  // The org's Idempotency-Keys, capped (OnepMaxIdempotencyKeys). hash:
  // IdempotencyField() -> "<event id> <request fingerprint>"; and the age
  // index, zset: the same field -> when it expires (Unix ms).
  std::string Idempotencies(std::string_view tag) const;
  std::string IdempotencyAges(std::string_view tag) const;
  // The org's deploy_ids, capped (OnepMaxDeployIds). hash: DeployIdField() ->
  // the first event id, and DeployIdField() + ":<status>" -> the event id of
  // that status report; and the age index, zset: DeployIdField() -> when it
  // expires (Unix ms).
  std::string DeployIds(std::string_view tag) const;
  std::string DeployIdAges(std::string_view tag) const;
  // "<credential id>:<SHA-1 of the key>": a field of Idempotencies().
  static std::string IdempotencyField(std::string_view credential_id, std::string_view key);
  // "<credential id>:<SHA-1 of the deploy_id>": a field of DeployIds().
  static std::string DeployIdField(std::string_view credential_id, std::string_view deploy_id);
  // Layout 2 before the quotas, read (never written) until they expire:
  // hash: credential id -> event id, and "<credential id>:request" -> the
  // request fingerprint, for one Idempotency-Key (by its SHA-1); kept 24 h.
  std::string Idempotency(std::string_view tag, std::string_view key) const;
  // hash: credential id -> event id, and "<credential id>:<status>" -> event
  // id, for one deploy_id (by its SHA-1); kept for the retention.
  std::string DeployId(std::string_view tag, std::string_view deploy_id) const;
  // The org's applications: hash, app -> its monitor's settings and state as
  // a JSON object (docs/redis-layout.md).
  std::string Apps(std::string_view tag) const;
  // hash: app -> when its last event was recorded (Unix ms), followed by "+"
  // while a hit has monitor state to update (docs/redis-layout.md).
  std::string AppsSeen(std::string_view tag) const;
  // The org's incidents: hash, incident id -> the incident as JSON; zset, id
  // -> opened_at (Unix ms); zset of the resolved ones, id -> resolved_at.
  std::string Incidents(std::string_view tag) const;
  std::string IncidentIndex(std::string_view tag) const;
  std::string IncidentsResolved(std::string_view tag) const;
  // The org's recorded deploy reports, for insights: zset, a JSON object
  // {e: event id, app, d: deploy_id, s: status, v: version, c: committed_at}
  // -> when it was recorded (Unix ms); capped (OnepMaxDeployIds) and trimmed
  // to the retention (docs/redis-layout.md).
  std::string DeployIndex(std::string_view tag) const;
  // The org's apps the silence sweep looks at: zset, app -> when to look at
  // it next (Unix ms): apps with expect_every or a pause with an end.
  std::string Sweep(std::string_view tag) const;
  std::string RateWindow(std::string_view tag, int64_t second) const;  // hash: id -> count
  std::string Audit(std::string_view tag) const;                       // stream
  // Notifications (docs/redis-layout.md): hash, endpoint id -> the endpoint
  // as JSON (its secret sealed, secret_box.h); the outbox, a stream with one
  // consumer group per endpoint; hash, endpoint id -> its delivery in
  // flight; stream, one entry per delivery attempt.
  std::string Notify(std::string_view tag) const;
  std::string Outbox(std::string_view tag) const;
  std::string NotifyState(std::string_view tag) const;
  std::string Deliveries(std::string_view tag) const;

 private:
  // prefix{tag}:rest, and prefix{tag}:kind + name (built in one piece).
  std::string OrgKey(std::string_view tag, std::string_view rest) const;
  std::string OrgKey(std::string_view tag, std::string_view kind, std::string_view name) const;
  std::string prefix_;
};

}  // namespace onep

#endif  // ONEP_KEYS_H_
