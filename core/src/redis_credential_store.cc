#include "onep/redis_credential_store.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <unordered_map>

#include "onep/clock.h"
#include "onep/layout.h"
#include "onep/parse.h"
#include "onep/routing.h"
#include "onep/token.h"
#include "scripts.h"

namespace onep {
namespace {

// A change that found the credential changed since its tokens were read
// (a concurrent rotation) reads them again; more than this many in a row is
// reported rather than looped on.
constexpr int kMaxRetries = 8;

std::optional<int64_t> OptionalMs(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return std::strtoll(text.c_str(), nullptr, 10);
}

// A credential from an HGETALL reply and its HGET of last used; nullopt when
// the hash is empty.
std::optional<Credential> FromHash(const Reply& reply, const Reply& last_used,
                                   const std::string& tag) {
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
  c.last_used_at_ms = OptionalMs(last_used.type == Reply::Type::kString ? last_used.str : "");
  c.expires_at_ms = OptionalMs(f["expires_at"]);
  c.token_hint = f["token_hint"];
  // A grace period that has ended is not shown.
  if (auto until = OptionalMs(f["prev_until"]);
      until && !f["prev_hash"].empty() && *until > NowMs()) {
    c.previous_token_valid_until_ms = until;
  }
  c.routing_tag = tag;
  c.legacy_token = f["token_hash"].size() > 0 && f["legacy"] == f["token_hash"];
  return c;
}

// The first error reply of a pipeline of reads (e.g. NOPERM for an ACL user
// without a right) as Unavailable quoting it: never mistaken for a miss.
Status FirstError(const char* what, const std::vector<Reply>& replies) {
  for (const Reply& reply : replies) {
    if (reply.is_error()) return Status::Unavailable(std::string(what) + ": " + reply.str);
  }
  return Status::Ok();
}

Status Unexpected(const char* what, const Reply& reply) {
  return Status::Internal(std::string("unexpected reply to ") + what +
                          (reply.is_error() ? ": " + reply.str : ""));
}

const std::string& Str(const Reply& reply, size_t i) {
  static const std::string kEmpty;
  return i < reply.elements.size() ? reply.elements[i].str : kEmpty;
}

// What a change needs to know of a credential before its script runs: the
// hashes of its tokens and its app, which name keys of the script.
struct TokenState {
  std::string current_hash;
  std::string previous_hash;
  std::string app;
  std::string legacy_hash;  // the current hash, if it is a legacy token
};

}  // namespace

Result<std::string> RedisCredentialStore::AssignRoutingTag(const std::string& org) {
  auto known = OrgRoutingTag(redis_, keys_, org);
  if (!known.ok()) return known.status();
  if (known->has_value()) return **known;
  // The first write to a keyspace marks it as layout 2 (layout.h).
  if (Status stamped = StampLayout(redis_, keys_); !stamped.ok()) return stamped;
  return ClaimRoutingTag(redis_, keys_, org);
}

Result<Credential> RedisCredentialStore::Create(const Credential& cred, const StoredToken& token,
                                                int64_t expires_in_ms, const std::string& actor) {
  const std::string& tag = cred.routing_tag;
  auto call = scripts::CreateCredential().Bind({{"owner_key", keys_.OrgOwner(tag)},
                                                {"credential_key", keys_.Credential(tag, cred.id)},
                                                {"token_key", keys_.Token(tag, token.hash)},
                                                {"credentials_key", keys_.OrgCredentials(tag)},
                                                {"deploy_app_key", keys_.DeployApp(tag, cred.app)},
                                                {"audit_key", keys_.Audit(tag)}},
                                               {{"org", cred.org},
                                                {"id", cred.id},
                                                {"credential_type", CredentialTypeName(cred.type)},
                                                {"name", cred.name},
                                                {"app", cred.app},
                                                {"token_hash", token.hash},
                                                {"token_hint", token.hint},
                                                {"expires_in_ms", std::to_string(expires_in_ms)},
                                                {"actor", actor},
                                                {"audit_max_len", std::to_string(kAuditMaxLen)}});
  if (!call.ok()) return call.status();
  auto reply = redis_.Eval(KeySpace::SlotKey(tag), *call);
  if (!reply.ok()) return reply.status();
  const std::string& kind = Str(*reply, 0);
  if (kind == "conflict") {
    if (!Str(*reply, 1).empty()) {
      return Status::Conflict("app \"" + cred.app + "\" of org \"" + cred.org +
                              "\" already has a deploy credential (" + Str(*reply, 1) + ")");
    }
    return Status::Conflict("credential id or token already exists");
  }
  if (kind == "tag_taken") {
    return Status::Internal("routing tag " + tag + " belongs to another org");
  }
  if (kind != "ok") return Unexpected("create", *reply);
  Credential stored = cred;
  stored.token_hint = token.hint;
  stored.created_at_ms = OptionalMs(Str(*reply, 1)).value_or(0);
  stored.expires_at_ms = OptionalMs(Str(*reply, 2));
  return stored;
}

Result<std::optional<std::string>> RedisCredentialStore::CredentialTag(const std::string& id) {
  return CredentialRoutingTag(redis_, keys_, id);
}

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

namespace {

// The token hashes and app of credential `id`, read before a change.
Result<std::optional<TokenState>> ReadTokenState(RedisClient& redis, const KeySpace& keys,
                                                 const std::string& tag, const std::string& id) {
  auto reply = redis.Command(KeySpace::SlotKey(tag), {"HMGET", keys.Credential(tag, id),
                                                      "token_hash", "prev_hash", "app", "legacy"});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kArray || reply->elements.size() != 4) {
    return Unexpected("HMGET", *reply);
  }
  if (reply->elements[0].type != Reply::Type::kString) return std::optional<TokenState>();
  TokenState state;
  state.current_hash = reply->elements[0].str;
  state.previous_hash = reply->elements[1].str;
  state.app = reply->elements[2].str;
  if (reply->elements[3].str == state.current_hash) state.legacy_hash = state.current_hash;
  return std::optional<TokenState>(std::move(state));
}

// A change of credential `id` by a script that names its token keys: reads
// them, runs the call `bind` makes of them, and again while the script
// answers "retry" (a concurrent change got there first). NotFound for
// "not_found"; any other reply is returned with the state it was made for.
struct ChangeDone {
  Reply reply;
  TokenState state;
};
using Binder = std::function<Result<ScriptCall>(const TokenState&)>;

Result<ChangeDone> RunChange(RedisClient& redis, const KeySpace& keys, const std::string& tag,
                             const std::string& id, const Binder& bind) {
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    auto state = ReadTokenState(redis, keys, tag, id);
    if (!state.ok()) return state.status();
    if (!state->has_value()) return Status::NotFound("no credential " + id);
    auto call = bind(**state);
    if (!call.ok()) return call.status();
    auto reply = redis.Eval(KeySpace::SlotKey(tag), *call);
    if (!reply.ok()) return reply.status();
    const std::string& kind = Str(*reply, 0);
    if (kind == "retry") continue;
    if (kind == "not_found") return Status::NotFound("no credential " + id);
    return ChangeDone{std::move(reply).value(), std::move(**state)};
  }
  return Status::Unavailable("credential " + id + " kept changing under concurrent changes");
}

}  // namespace

Result<Credential> RedisCredentialStore::ReplaceToken(const std::string& id,
                                                      const StoredToken& token,
                                                      const TokenChange& change,
                                                      const std::string& actor) {
  auto tag = CredentialTag(id);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return Status::NotFound("no credential " + id);
  const std::string& t = **tag;
  auto done = RunChange(redis_, keys_, t, id, [&](const TokenState& s) {
    return scripts::ReplaceToken().Bind(
        {{"credential_key", keys_.Credential(t, id)},
         {"new_token_key", keys_.Token(t, token.hash)},
         {"current_token_key", keys_.Token(t, s.current_hash)},
         {"previous_token_key", keys_.Token(t, s.previous_hash)},
         {"audit_key", keys_.Audit(t)}},
        {{"id", id},
         {"current_hash", s.current_hash},
         {"previous_hash", s.previous_hash},
         {"new_hash", token.hash},
         {"new_hint", token.hint},
         {"new_name", change.new_name},
         {"grace_ms", std::to_string(change.grace_ms)},
         {"new_expires_in_ms",
          change.expires_in_ms ? std::to_string(*change.expires_in_ms) : std::string()},
         {"actor", actor},
         {"action", change.new_name.empty() ? "rotate" : "rename"},
         {"audit_max_len", std::to_string(kAuditMaxLen)}});
  });
  if (!done.ok()) return done.status();
  const std::string& kind = Str(done->reply, 0);
  if (kind == "conflict") return Status::Conflict("token already exists");
  if (kind != "ok") return Unexpected("rotate", done->reply);
  if (!done->state.legacy_hash.empty() && change.grace_ms == 0) {
    // The legacy index of the replaced token: a leftover that no reader
    // trusts (its token key is gone), removed as soon as it is useless.
    const std::string legacy = keys_.LegacyToken(done->state.legacy_hash);
    (void)redis_.Command(legacy, {"DEL", legacy});
  }
  auto cred = Get(id);
  if (!cred.ok()) return cred.status();
  if (!cred->has_value()) return Status::NotFound("no credential " + id);
  return std::move(**cred);
}

Result<Credential> RedisCredentialStore::SetExpiry(const std::string& id, int64_t expires_in_ms,
                                                   const std::string& actor) {
  auto tag = CredentialTag(id);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return Status::NotFound("no credential " + id);
  const std::string& t = **tag;
  auto done = RunChange(redis_, keys_, t, id, [&](const TokenState& s) {
    return scripts::SetExpiry().Bind({{"credential_key", keys_.Credential(t, id)},
                                      {"current_token_key", keys_.Token(t, s.current_hash)},
                                      {"previous_token_key", keys_.Token(t, s.previous_hash)},
                                      {"audit_key", keys_.Audit(t)}},
                                     {{"id", id},
                                      {"current_hash", s.current_hash},
                                      {"previous_hash", s.previous_hash},
                                      {"expires_in_ms", std::to_string(expires_in_ms)},
                                      {"actor", actor},
                                      {"audit_max_len", std::to_string(kAuditMaxLen)}});
  });
  if (!done.ok()) return done.status();
  if (Str(done->reply, 0) != "ok") return Unexpected("expire", done->reply);
  auto cred = Get(id);
  if (!cred.ok()) return cred.status();
  if (!cred->has_value()) return Status::NotFound("no credential " + id);
  return std::move(**cred);
}

Status RedisCredentialStore::Delete(const std::string& id, const std::string& actor) {
  auto tag = CredentialTag(id);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return Status::NotFound("no credential " + id);
  const std::string& t = **tag;
  auto done = RunChange(redis_, keys_, t, id, [&](const TokenState& s) {
    return scripts::DeleteCredential().Bind(
        {{"credential_key", keys_.Credential(t, id)},
         {"current_token_key", keys_.Token(t, s.current_hash)},
         {"previous_token_key", keys_.Token(t, s.previous_hash)},
         {"deploy_app_key", keys_.DeployApp(t, s.app)},
         {"credentials_key", keys_.OrgCredentials(t)},
         {"last_used_key", keys_.LastUsed(t)},
         {"audit_key", keys_.Audit(t)}},
        {{"id", id},
         {"current_hash", s.current_hash},
         {"previous_hash", s.previous_hash},
         {"app", s.app},
         {"actor", actor},
         {"audit_max_len", std::to_string(kAuditMaxLen)}});
  });
  if (!done.ok()) return done.status();
  if (Str(done->reply, 0) != "ok") return Unexpected("delete", done->reply);
  if (ClassifyCredentialId(id) == CredentialIdForm::kLegacy) {
    // Legacy indexes of a deleted credential: leftovers no reader trusts
    // (their keys are gone), removed now.
    std::vector<std::string> legacy = {keys_.LegacyCredential(id)};
    for (const std::string& hash : {done->state.current_hash, done->state.previous_hash}) {
      if (!hash.empty()) legacy.push_back(keys_.LegacyToken(hash));
    }
    for (const std::string& key : legacy) (void)redis_.Command(key, {"DEL", key});
  }
  return Status::Ok();
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
  auto call = scripts::Authenticate().Bind({{"token_key", keys_.Token(**tag, hash)}}, {});
  if (!call.ok()) return call.status();
  auto reply = redis_.Eval(KeySpace::SlotKey(**tag), *call);
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kArray || reply->elements.empty()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(reply->elements[0].str);
}

}  // namespace onep
