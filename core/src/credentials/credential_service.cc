// SPDX-License-Identifier: Apache-2.0
// CredentialService: the admin side's rules on top of any CredentialStore.
#include "onep/credential_service.h"

#include <string>

#include "onep/clock.h"
#include "onep/parse.h"
#include "onep/text.h"
#include "onep/token.h"

namespace onep {
namespace {

Result<StoredToken> NewToken(const std::string& routing_tag, std::string& token) {
  auto generated = GenerateToken(routing_tag);
  if (!generated.ok()) return generated.status();
  token = std::move(generated).value();
  return StoredToken{TokenHash(token), TokenHint(token)};
}

Status CheckExpiry(int64_t expires_in_ms) {
  if (expires_in_ms < 0) return Status::InvalidArgument("expiry must be positive");
  if (expires_in_ms > kMaxDurationMs) {
    return Status::InvalidArgument("expiry must be at most 36500d");
  }
  return Status::Ok();
}

}  // namespace

Status CheckGrace(int64_t grace_ms, std::string_view label) {
  if (grace_ms < 0) return Status::InvalidArgument(std::string(label) + " is negative");
  if (grace_ms > kMaxGraceMs) {
    return Status::InvalidArgument(std::string(label) + " is longer than 7 days");
  }
  return Status::Ok();
}

Status CheckCredentialName(std::string_view name, std::string_view label) {
  Status valid = ValidateName(name);
  if (valid.ok()) return valid;
  return Status::InvalidArgument("invalid " + std::string(label) + ": " + valid.message());
}

Status CheckCreateRequest(const CreateRequest& request, std::string_view label_prefix) {
  const std::string prefix(label_prefix);
  if (!IsValidSlug(request.org)) return InvalidSlug("organization", request.org);
  auto type = ParseCredentialType(request.type);
  if (!type) {
    return Status::InvalidArgument("invalid " + prefix + "type " + QuoteForMessage(request.type) +
                                   ": use hits or deploy");
  }
  if (Status s = CheckCredentialName(request.name, prefix + "name"); !s.ok()) return s;
  if (!request.app.empty() && !IsValidSlug(request.app)) {
    return InvalidSlug(prefix + "app", request.app);
  }
  if (*type == CredentialType::kDeploy && request.app.empty()) {
    // Read on a web page as in a terminal: no option or placeholder.
    return Status::InvalidArgument(
        "a deploy credential needs an application (each application has one deploy credential)");
  }
  return CheckExpiry(request.expires_in_ms);
}

Result<IssuedCredential> CredentialService::Create(const CreateRequest& request) {
  if (Status s = CheckCreateRequest(request); !s.ok()) return s;
  const CredentialType type = *ParseCredentialType(request.type);

  auto tag = store_.AssignRoutingTag(request.org);
  if (!tag.ok()) return tag.status();
  Credential cred;
  auto id = GenerateCredentialId(*tag);
  if (!id.ok()) return id.status();
  cred.id = std::move(id).value();
  cred.org = request.org;
  cred.type = type;
  cred.name = request.name;
  cred.app = request.app;
  cred.routing_tag = *tag;
  IssuedCredential issued;
  auto stored_token = NewToken(*tag, issued.token);
  if (!stored_token.ok()) return stored_token.status();
  auto stored = store_.Create(cred, *stored_token, request.expires_in_ms, actor_);
  if (!stored.ok()) return stored.status();
  issued.credential = std::move(stored).value();
  return issued;
}

Result<IssuedCredential> CredentialService::Rotate(const std::string& id, int64_t grace_ms,
                                                   std::optional<int64_t> expires_in_ms) {
  return Reissue(id, TokenChange{"", grace_ms, expires_in_ms});
}

Result<IssuedCredential> CredentialService::Rename(const std::string& id, const std::string& name,
                                                   int64_t grace_ms,
                                                   std::optional<int64_t> expires_in_ms) {
  if (Status s = CheckCredentialName(name, "name"); !s.ok()) return s;
  return Reissue(id, TokenChange{name, grace_ms, expires_in_ms});
}

Result<Credential> CredentialService::SetExpiry(const std::string& id, int64_t expires_in_ms) {
  if (Status s = CheckExpiry(expires_in_ms); !s.ok()) return s;
  return store_.SetExpiry(id, expires_in_ms, actor_);
}

Result<IssuedCredential> CredentialService::Reissue(const std::string& id, TokenChange change) {
  if (Status s = CheckGrace(change.grace_ms); !s.ok()) return s;
  if (change.expires_in_ms) {
    if (Status s = CheckExpiry(*change.expires_in_ms); !s.ok()) return s;
  }
  auto current = store_.Get(id);
  if (!current.ok()) return current.status();
  if (!current->has_value()) return Status::NotFound("no credential " + id);
  const Credential& cred = **current;
  if (!change.expires_in_ms && std::string_view(cred.State(NowMs())) == "expired") {
    return Status::InvalidArgument("credential " + id + " expired at " +
                                   FormatRfc3339Ms(*cred.expires_at_ms) +
                                   ": a new token would not work; give it a new expiry or none");
  }
  IssuedCredential issued;
  auto stored_token = NewToken(cred.routing_tag, issued.token);
  if (!stored_token.ok()) return stored_token.status();
  auto replaced = store_.ReplaceToken(id, *stored_token, change, actor_);
  if (!replaced.ok()) return replaced.status();
  issued.credential = std::move(replaced).value();
  return issued;
}

Status CredentialService::Delete(const std::string& id) { return store_.Delete(id, actor_); }

}  // namespace onep
