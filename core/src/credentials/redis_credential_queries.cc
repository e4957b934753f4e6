// SPDX-License-Identifier: Apache-2.0
// RedisCredentialStore's reads: one credential, an org's, the orgs, the
// audit trail, and which credential a token authenticates.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <unordered_map>

#include "credentials/credential_replies.h"
#include "onep/clock.h"
#include "onep/layout.h"
#include "onep/parse.h"
#include "onep/redis_credential_store.h"
#include "onep/routing.h"
#include "onep/token.h"
#include "scripts/read_scripts.h"

namespace onep {

using credential_replies::FirstError;
using credential_replies::FromHash;
using credential_replies::OptionalMs;
using credential_replies::Str;
using credential_replies::Unexpected;

Result<std::optional<Credential>> RedisCredentialStore::Get(const std::string& id) {
  auto tag = CredentialTag(id);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return std::optional<Credential>();
  const std::string& t = **tag;
  auto replies = redis_.Pipeline(KeySpace::SlotKey(t), {{"HGETALL", keys_.Credential(t, id)},
                                                        {"HGET", keys_.LastUsed(t), id}});
  if (!replies.ok()) return replies.status();
  if (Status bad = FirstError("reading a credential", *replies); !bad.ok()) return bad;
  return FromHash((*replies)[0], (*replies)[1], t);
}

Result<std::vector<Credential>> RedisCredentialStore::List(const std::string& org) {
  std::vector<Credential> out;
  auto tag = OrgRoutingTag(redis_, keys_, org);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return out;
  const std::string& t = **tag;
  const std::string slot = KeySpace::SlotKey(t);
  auto ids = redis_.Command(slot, {"ZRANGE", keys_.OrgCredentials(t), "0", "-1"});
  if (!ids.ok()) return ids.status();
  if (ids->type != Reply::Type::kArray) return Unexpected("ZRANGE", *ids);
  if (ids->elements.empty()) return out;
  std::vector<std::vector<std::string>> reads;
  reads.reserve(ids->elements.size() + 1);
  std::vector<std::string> last_used = {"HMGET", keys_.LastUsed(t)};
  for (const auto& id : ids->elements) {
    reads.push_back({"HGETALL", keys_.Credential(t, id.str)});
    last_used.push_back(id.str);
  }
  reads.push_back(std::move(last_used));
  auto replies = redis_.Pipeline(slot, reads);
  if (!replies.ok()) return replies.status();
  if (Status bad = FirstError("reading credentials", *replies); !bad.ok()) return bad;
  const Reply& used = replies->back();
  static const Reply kNil;
  out.reserve(ids->elements.size());
  for (size_t i = 0; i < ids->elements.size(); ++i) {
    const Reply& when = i < used.elements.size() ? used.elements[i] : kNil;
    if (auto cred = FromHash((*replies)[i], when, t)) out.push_back(std::move(*cred));
  }
  return out;
}

Result<bool> RedisCredentialStore::OrgExists(const std::string& org) {
  auto tag = OrgRoutingTag(redis_, keys_, org);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return false;
  const std::string& t = **tag;
  auto replies = redis_.Pipeline(KeySpace::SlotKey(t),
                                 {{"ZCARD", keys_.OrgCredentials(t)}, {"EXISTS", keys_.Events(t)}});
  if (!replies.ok()) return replies.status();
  return (*replies)[0].integer > 0 || (*replies)[1].integer > 0;
}

Result<std::vector<OrgSummary>> RedisCredentialStore::Orgs() {
  const std::string directory = keys_.OrgTags();
  auto tags = redis_.Command(directory, {"HGETALL", directory});
  if (!tags.ok()) return tags.status();
  if (tags->type != Reply::Type::kArray) return Unexpected("HGETALL", *tags);
  std::vector<std::pair<std::string, std::string>> orgs;  // slug, tag
  for (size_t i = 0; i + 1 < tags->elements.size(); i += 2) {
    orgs.emplace_back(tags->elements[i].str, tags->elements[i + 1].str);
  }
  std::sort(orgs.begin(), orgs.end());
  std::vector<OrgSummary> out;
  for (const auto& [org, tag] : orgs) {
    // Each org is in its own slot: one round trip each.
    auto replies = redis_.Pipeline(
        KeySpace::SlotKey(tag),
        {{"ZCARD", keys_.OrgCredentials(tag)}, {"XINFO", "STREAM", keys_.Events(tag)}});
    if (!replies.ok()) return replies.status();
    OrgSummary s;
    s.org = org;
    s.credentials = (*replies)[0].integer;
    const Reply& info = (*replies)[1];  // an error reply when the org has no events
    for (size_t j = 0; j + 1 < info.elements.size(); j += 2) {
      // entries-added counts every event ever added (Redis 7); length is the fallback.
      if (info.elements[j].str == "entries-added") s.events = info.elements[j + 1].integer;
      if (info.elements[j].str == "length" && s.events == 0) {
        s.events = info.elements[j + 1].integer;
      }
    }
    // An org exists while it has credentials or events; a tag left by a
    // crash before its first credential is not an org.
    if (s.credentials > 0 || !info.is_error()) out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<AuditEntry>> RedisCredentialStore::Audit(const std::string& org,
                                                            const AuditQuery& query) {
  std::vector<AuditEntry> out;
  auto tag = OrgRoutingTag(redis_, keys_, org);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return out;
  const std::string key = keys_.Audit(**tag);
  // Entry ids are the change's time in ms: the time bounds are id bounds.
  std::string max = query.until_ms ? "(" + std::to_string(*query.until_ms) + "-0" : "+";
  const std::string min = query.since_ms ? std::to_string(*query.since_ms) + "-0" : "-";
  constexpr std::size_t kPage = 1000;
  while (out.size() < query.limit) {
    auto reply = redis_.Command(key, {"XREVRANGE", key, max, min, "COUNT", std::to_string(kPage)});
    if (!reply.ok()) return reply.status();
    if (reply->is_error()) return Unexpected("XREVRANGE", *reply);
    for (const auto& entry : reply->elements) {
      if (entry.elements.size() != 2) continue;
      AuditEntry a;
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        const std::string& name = fields[i].str;
        const std::string& value = fields[i + 1].str;
        if (name == "time") a.time_ms = std::strtoll(value.c_str(), nullptr, 10);
        if (name == "action") a.action = value;
        if (name == "credential") a.credential = value;
        if (name == "actor") a.actor = value;
        if (name == "name") a.name = value;
        if (name == "previous_name") a.previous_name = value;
        if (name == "grace_ms") a.grace_ms = OptionalMs(value);
        if (name == "app") a.app = value;
        if (name == "changes") a.changes = value;
        if (name == "pause") a.pause = value;
        if (name == "expires_at") {
          a.expiry_recorded = true;
          a.expires_at_ms = OptionalMs(value);
        }
      }
      if (!query.credential.empty() && a.credential != query.credential) continue;
      if (out.size() < query.limit) out.push_back(std::move(a));
    }
    if (reply->elements.size() < kPage) break;
    max = "(" + reply->elements.back().elements[0].str;  // continue below
  }
  return out;
}

Result<std::optional<std::string>> RedisCredentialStore::Authenticate(std::string_view token) {
  if (!CheckTokenFormat(token).ok()) return std::optional<std::string>();
  const std::string hash = TokenHash(token);
  auto tag = TokenRoutingTagOf(redis_, keys_, token, hash);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return std::optional<std::string>();
  auto call = scripts::AuthenticateScript().Bind({{"token_key", keys_.Token(**tag, hash)}}, {});
  if (!call.ok()) return call.status();
  auto reply = redis_.Eval(KeySpace::SlotKey(**tag), *call);
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kArray || reply->elements.empty()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(reply->elements[0].str);
}

}  // namespace onep
