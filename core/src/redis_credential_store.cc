#include "onep/redis_credential_store.h"

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "scripts.h"

namespace onep {
namespace {

std::optional<int64_t> OptionalMs(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return std::strtoll(text.c_str(), nullptr, 10);
}

// A credential from an HGETALL reply; nullopt when the hash is empty.
std::optional<Credential> FromHash(const Reply& reply) {
  if (reply.type != Reply::Type::kArray || reply.elements.empty()) return std::nullopt;
  std::unordered_map<std::string, std::string> f;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    f[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  Credential c;
  c.id = f["id"];
  c.org = f["org"];
  c.type = ParseCredentialType(f["type"]).value_or(CredentialType::kHits);
  c.name = f["name"];
  c.app = f["app"];
  c.created_at_ms = OptionalMs(f["created_at"]).value_or(0);
  c.rotated_at_ms = OptionalMs(f["rotated_at"]);
  c.last_used_at_ms = OptionalMs(f["last_used_at"]);
  c.expires_at_ms = OptionalMs(f["expires_at"]);
  c.token_hint = f["token_hint"];
  return c;
}

Status Unexpected(const char* what, const Reply& reply) {
  return Status::Internal(std::string("unexpected reply to ") + what +
                          (reply.is_error() ? ": " + reply.str : ""));
}

const std::string& Str(const Reply& reply, size_t i) {
  static const std::string kEmpty;
  return i < reply.elements.size() ? reply.elements[i].str : kEmpty;
}

}  // namespace

Result<Credential> RedisCredentialStore::Create(const Credential& cred, const StoredToken& token,
                                                int64_t expires_in_ms, const std::string& actor) {
  const std::string type = CredentialTypeName(cred.type);
  auto reply =
      conn_.Eval(scripts::CreateCredential(),
                 {keys_.CredentialOrg(cred.id), keys_.Credential(cred.org, cred.id),
                  keys_.Token(token.hash), keys_.OrgCredentials(cred.org),
                  keys_.DeployApp(cred.org, cred.app), keys_.Orgs(), keys_.Audit(cred.org)},
                 {cred.id, cred.org, type, cred.name, cred.app, token.hash, token.hint,
                  std::to_string(expires_in_ms), actor});
  if (!reply.ok()) return reply.status();
  const std::string& kind = Str(*reply, 0);
  if (kind == "conflict") {
    if (!Str(*reply, 1).empty()) {
      return Status::Conflict("app \"" + cred.app + "\" of org \"" + cred.org +
                              "\" already has a deploy credential (" + Str(*reply, 1) + ")");
    }
    return Status::Conflict("credential id or token already exists");
  }
  if (kind != "ok") return Unexpected("create", *reply);
  Credential stored = cred;
  stored.token_hint = token.hint;
  stored.created_at_ms = OptionalMs(Str(*reply, 1)).value_or(0);
  stored.expires_at_ms = OptionalMs(Str(*reply, 2));
  return stored;
}

Result<std::optional<Credential>> RedisCredentialStore::Get(const std::string& id) {
  auto org = conn_.Command({"GET", keys_.CredentialOrg(id)});
  if (!org.ok()) return org.status();
  if (org->is_nil()) return std::optional<Credential>();
  if (org->type != Reply::Type::kString) return Unexpected("GET", *org);
  auto hash = conn_.Command({"HGETALL", keys_.Credential(org->str, id)});
  if (!hash.ok()) return hash.status();
  return FromHash(*hash);
}

Result<std::vector<Credential>> RedisCredentialStore::List(const std::string& org) {
  auto ids = conn_.Command({"ZRANGE", keys_.OrgCredentials(org), "0", "-1"});
  if (!ids.ok()) return ids.status();
  if (ids->type != Reply::Type::kArray) return Unexpected("ZRANGE", *ids);
  std::vector<std::vector<std::string>> reads;
  reads.reserve(ids->elements.size());
  for (const auto& id : ids->elements) reads.push_back({"HGETALL", keys_.Credential(org, id.str)});
  std::vector<Credential> out;
  if (reads.empty()) return out;
  auto hashes = conn_.Pipeline(reads);
  if (!hashes.ok()) return hashes.status();
  out.reserve(hashes->size());
  for (const auto& hash : *hashes) {
    if (auto cred = FromHash(hash)) out.push_back(std::move(*cred));
  }
  return out;
}

Result<bool> RedisCredentialStore::OrgExists(const std::string& org) {
  auto reply = conn_.Command({"SISMEMBER", keys_.Orgs(), org});
  if (!reply.ok()) return reply.status();
  return reply->integer == 1;
}

Result<Credential> RedisCredentialStore::ReplaceToken(const std::string& id,
                                                      const StoredToken& token,
                                                      const std::string& new_name, int64_t grace_ms,
                                                      const std::string& actor) {
  auto reply =
      conn_.Eval(scripts::ReplaceToken(), {keys_.CredentialOrg(id)},
                 {keys_.prefix(), id, token.hash, token.hint, new_name, std::to_string(grace_ms),
                  actor, new_name.empty() ? "rotate" : "rename"});
  if (!reply.ok()) return reply.status();
  const std::string& kind = Str(*reply, 0);
  if (kind == "not_found") return Status::NotFound("no credential " + id);
  if (kind == "conflict") return Status::Conflict("token already exists");
  if (kind != "ok") return Unexpected("rotate", *reply);
  auto cred = Get(id);
  if (!cred.ok()) return cred.status();
  if (!cred->has_value()) return Status::NotFound("no credential " + id);
  return std::move(**cred);
}

Status RedisCredentialStore::Delete(const std::string& id, const std::string& actor) {
  auto reply = conn_.Eval(scripts::DeleteCredential(), {keys_.CredentialOrg(id)},
                          {keys_.prefix(), id, actor});
  if (!reply.ok()) return reply.status();
  if (Str(*reply, 0) == "not_found") return Status::NotFound("no credential " + id);
  if (Str(*reply, 0) != "ok") return Unexpected("delete", *reply);
  return Status::Ok();
}

Result<std::vector<OrgSummary>> RedisCredentialStore::Orgs() {
  auto orgs = conn_.Command({"SMEMBERS", keys_.Orgs()});
  if (!orgs.ok()) return orgs.status();
  std::vector<std::string> names;
  for (const auto& e : orgs->elements) names.push_back(e.str);
  std::sort(names.begin(), names.end());
  std::vector<OrgSummary> out;
  if (names.empty()) return out;
  std::vector<std::vector<std::string>> reads;
  for (const auto& org : names) {
    reads.push_back({"ZCARD", keys_.OrgCredentials(org)});
    reads.push_back({"XINFO", "STREAM", keys_.Events(org)});
  }
  auto replies = conn_.Pipeline(reads);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < names.size(); ++i) {
    OrgSummary s;
    s.org = names[i];
    s.credentials = (*replies)[2 * i].integer;
    const Reply& info = (*replies)[2 * i + 1];  // an error reply when the org has no events
    for (size_t j = 0; j + 1 < info.elements.size(); j += 2) {
      // entries-added counts every event ever added (Redis 7); length is the fallback.
      if (info.elements[j].str == "entries-added") s.events = info.elements[j + 1].integer;
      if (info.elements[j].str == "length" && s.events == 0)
        s.events = info.elements[j + 1].integer;
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<AuditEntry>> RedisCredentialStore::Audit(const std::string& org,
                                                            std::size_t limit) {
  auto reply =
      conn_.Command({"XREVRANGE", keys_.Audit(org), "+", "-", "COUNT", std::to_string(limit)});
  if (!reply.ok()) return reply.status();
  std::vector<AuditEntry> out;
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
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::optional<std::string>> RedisCredentialStore::Authenticate(
    const std::string& token_hash) {
  auto reply = conn_.Eval(scripts::Authenticate(), {keys_.Token(token_hash)}, {keys_.prefix()});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kString) return std::optional<std::string>();
  return std::optional<std::string>(reply->str);
}

}  // namespace onep
