// SPDX-License-Identifier: Apache-2.0
#include "onep/redis_credential_store.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <unordered_map>

#include "credentials/credential_replies.h"
#include "onep/clock.h"
#include "onep/layout.h"
#include "onep/parse.h"
#include "onep/routing.h"
#include "onep/text.h"
#include "onep/token.h"
#include "scripts/credential_scripts.h"

namespace onep {

using credential_replies::OptionalMs;
using credential_replies::Str;
using credential_replies::Unexpected;

namespace {

// A change that found the credential changed since its tokens were read
// (a concurrent rotation) reads them again; more than this many in a row is
// reported rather than looped on.
constexpr int kMaxRetries = 8;

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
  auto call =
      scripts::CreateCredentialScript().Bind({{"owner_key", keys_.OrgOwner(tag)},
                                              {"credential_key", keys_.Credential(tag, cred.id)},
                                              {"token_key", keys_.Token(tag, token.hash)},
                                              {"credentials_key", keys_.OrgCredentials(tag)},
                                              {"deploy_app_key", keys_.DeployApp(tag, cred.app)},
                                              {"audit_key", keys_.Audit(tag)},
                                              {"apps_key", keys_.Apps(tag)}},
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
    if (const std::string& holder = Str(*reply, 1); !holder.empty()) {
      // The other credential by its name and id: one more read, on this
      // refusal only (gone meanwhile: by its id alone).
      std::string other = holder;
      if (auto held = Get(holder); held.ok() && held->has_value()) {
        other = QuoteForMessage((*held)->name) + " (" + holder + ")";
      }
      return Status::Conflict("the application " + QuoteForMessage(cred.app) +
                              " already has a deploy credential: " + other);
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

Result<Credential> RedisCredentialStore::Reread(const std::string& id) {
  auto cred = Get(id);
  if (!cred.ok()) return cred.status();
  if (!cred->has_value()) return Status::NotFound("no credential " + id);
  return std::move(**cred);
}

Result<std::string> RedisCredentialStore::TagOfExisting(const std::string& id) {
  auto tag = CredentialTag(id);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return Status::NotFound("no credential " + id);
  return **tag;
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

// A change of credential `id` (whose routing tag is `tag`, NotFound when it
// has none) by a script that names its token keys: reads them, runs the call
// `bind` makes of them, and again while the script answers "retry" (a
// concurrent change got there first). NotFound for "not_found"; any other
// reply is returned with the state it was made for.
struct ChangeDone {
  Reply reply;
  TokenState state;
};
using Binder = std::function<Result<ScriptCall>(const std::string& tag, const TokenState&)>;

Result<ChangeDone> RunChange(RedisClient& redis, const KeySpace& keys,
                             const Result<std::string>& found_tag, const std::string& id,
                             const Binder& bind) {
  if (!found_tag.ok()) return found_tag.status();
  const std::string& tag = *found_tag;
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    auto state = ReadTokenState(redis, keys, tag, id);
    if (!state.ok()) return state.status();
    if (!state->has_value()) return Status::NotFound("no credential " + id);
    auto call = bind(tag, **state);
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
  auto done = RunChange(
      redis_, keys_, TagOfExisting(id), id, [&](const std::string& t, const TokenState& s) {
        return scripts::ReplaceTokenScript().Bind(
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
  return Reread(id);
}

Result<Credential> RedisCredentialStore::SetExpiry(const std::string& id, int64_t expires_in_ms,
                                                   const std::string& actor) {
  auto done = RunChange(redis_, keys_, TagOfExisting(id), id,
                        [&](const std::string& t, const TokenState& s) {
                          return scripts::SetExpiryScript().Bind(
                              {{"credential_key", keys_.Credential(t, id)},
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
  return Reread(id);
}

Status RedisCredentialStore::Delete(const std::string& id, const std::string& actor) {
  auto done = RunChange(redis_, keys_, TagOfExisting(id), id,
                        [&](const std::string& t, const TokenState& s) {
                          return scripts::DeleteCredentialScript().Bind(
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

}  // namespace onep
