// SPDX-License-Identifier: Apache-2.0
#include "onep/keys.h"

#include "onep/sha1.h"

namespace onep {

std::string KeySpace::Layout() const { return prefix_ + "layout"; }

std::string KeySpace::OrgTags() const { return prefix_ + "orgtags"; }
std::string KeySpace::SweepOrgs() const { return prefix_ + "sweeporgs"; }

std::string KeySpace::LegacyToken(std::string_view token_hash) const {
  return prefix_ + "legacy:tok:" + std::string(token_hash);
}

std::string KeySpace::LegacyCredential(std::string_view id) const {
  return prefix_ + "legacy:cred:" + std::string(id);
}

std::string KeySpace::NotifyOrgs() const { return prefix_ + "notifyorgs"; }

std::string KeySpace::SlotKey(std::string_view tag) { return "{" + std::string(tag) + "}"; }

std::string KeySpace::OrgKey(std::string_view tag, std::string_view rest) const {
  return OrgKey(tag, rest, {});
}

std::string KeySpace::OrgKey(std::string_view tag, std::string_view kind,
                             std::string_view name) const {
  std::string key;
  key.reserve(prefix_.size() + tag.size() + kind.size() + name.size() + 3);
  key.append(prefix_).append("{").append(tag).append("}:").append(kind).append(name);
  return key;
}

std::string KeySpace::OrgOwner(std::string_view tag) const { return OrgKey(tag, "org"); }

std::string KeySpace::Token(std::string_view tag, std::string_view token_hash) const {
  return OrgKey(tag, "tok:", token_hash);
}

std::string KeySpace::Credential(std::string_view tag, std::string_view id) const {
  return OrgKey(tag, "cred:" + std::string(id));
}

std::string KeySpace::OrgCredentials(std::string_view tag) const { return OrgKey(tag, "creds"); }

std::string KeySpace::LastUsed(std::string_view tag) const { return OrgKey(tag, "lastused"); }

std::string KeySpace::DeployApp(std::string_view tag, std::string_view app) const {
  return OrgKey(tag, "deployapp:" + std::string(app));
}

std::string KeySpace::Events(std::string_view tag) const { return OrgKey(tag, "events"); }

std::string KeySpace::StatsBucket(std::string_view tag, int64_t hour) const {
  return OrgKey(tag, "stats:" + std::to_string(hour));
}

std::string KeySpace::Idempotency(std::string_view tag, std::string_view key) const {
  return OrgKey(tag, "idem:", Sha1Hex(key));
}

std::string KeySpace::DeployId(std::string_view tag, std::string_view deploy_id) const {
  return OrgKey(tag, "deploy:", Sha1Hex(deploy_id));
}

std::string KeySpace::Idempotencies(std::string_view tag) const { return OrgKey(tag, "idem"); }

std::string KeySpace::IdempotencyAges(std::string_view tag) const { return OrgKey(tag, "idemage"); }

std::string KeySpace::DeployIds(std::string_view tag) const { return OrgKey(tag, "deployids"); }

std::string KeySpace::DeployIdAges(std::string_view tag) const { return OrgKey(tag, "deployage"); }

std::string KeySpace::IdempotencyField(std::string_view credential_id, std::string_view key) {
  return std::string(credential_id) + ":" + Sha1Hex(key);
}

std::string KeySpace::DeployIdField(std::string_view credential_id, std::string_view deploy_id) {
  return std::string(credential_id) + ":" + Sha1Hex(deploy_id);
}

std::string KeySpace::RateWindow(std::string_view tag, int64_t second) const {
  return OrgKey(tag, "rl:" + std::to_string(second));
}

std::string KeySpace::Apps(std::string_view tag) const { return OrgKey(tag, "apps"); }

std::string KeySpace::AppsSeen(std::string_view tag) const { return OrgKey(tag, "appseen"); }

std::string KeySpace::Incidents(std::string_view tag) const { return OrgKey(tag, "incidents"); }

std::string KeySpace::IncidentIndex(std::string_view tag) const {
  return OrgKey(tag, "incidentidx");
}

std::string KeySpace::IncidentsResolved(std::string_view tag) const {
  return OrgKey(tag, "incidentdone");
}

std::string KeySpace::DeployIndex(std::string_view tag) const { return OrgKey(tag, "deployidx"); }

std::string KeySpace::Audit(std::string_view tag) const { return OrgKey(tag, "audit"); }
std::string KeySpace::Sweep(std::string_view tag) const { return OrgKey(tag, "sweep"); }

std::string KeySpace::Notify(std::string_view tag) const { return OrgKey(tag, "notify"); }

std::string KeySpace::Outbox(std::string_view tag) const { return OrgKey(tag, "outbox"); }

std::string KeySpace::NotifyState(std::string_view tag) const { return OrgKey(tag, "notifystate"); }

std::string KeySpace::Deliveries(std::string_view tag) const { return OrgKey(tag, "deliveries"); }

}  // namespace onep
