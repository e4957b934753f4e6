// CredentialService: admin-side rules on top of any CredentialStore.
#include <string>

#include "onep/credential.h"
#include "onep/parse.h"
#include "onep/token.h"

namespace onep {
namespace {

// 'text' quoted for a POSIX shell.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

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

Status CheckGrace(int64_t grace_ms) {
  if (grace_ms < 0 || grace_ms > kMaxGraceMs) {
    return Status::InvalidArgument("grace period must be between 0 and 7 days");
  }
  return Status::Ok();
}

}  // namespace

const char* CredentialTypeName(CredentialType type) {
  return type == CredentialType::kDeploy ? "deploy" : "hits";
}

std::optional<CredentialType> ParseCredentialType(std::string_view name) {
  if (name == "hits") return CredentialType::kHits;
  if (name == "deploy") return CredentialType::kDeploy;
  return std::nullopt;
}

const char* Credential::State(int64_t now_ms) const {
  if (expires_at_ms && *expires_at_ms <= now_ms) return "expired";
  return legacy_token ? "legacy" : "active";
}

Result<IssuedCredential> CredentialService::Create(const CreateRequest& request) {
  if (!IsValidSlug(request.org)) {
    return Status::InvalidArgument("org \"" + request.org +
                                   "\" must match ^[a-z0-9][a-z0-9-]{0,62}$");
  }
  auto type = ParseCredentialType(request.type);
  if (!type) return Status::InvalidArgument("type must be hits or deploy");
  if (Status s = ValidateName(request.name); !s.ok()) return s;
  if (!request.app.empty() && !IsValidSlug(request.app)) {
    return Status::InvalidArgument("app \"" + request.app +
                                   "\" must match ^[a-z0-9][a-z0-9-]{0,62}$");
  }
  if (*type == CredentialType::kDeploy && request.app.empty()) {
    return Status::InvalidArgument("a deploy credential needs an app (one per application)");
  }
  if (Status s = CheckExpiry(request.expires_in_ms); !s.ok()) return s;

  auto tag = store_.AssignRoutingTag(request.org);
  if (!tag.ok()) return tag.status();
  Credential cred;
  auto id = GenerateCredentialId(*tag);
  if (!id.ok()) return id.status();
  cred.id = std::move(id).value();
  cred.org = request.org;
  cred.type = *type;
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
  if (Status s = ValidateName(name); !s.ok()) return s;
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

std::string CurlCommand(const Credential& cred, const std::string& token,
                        const std::string& base_url) {
  // The route goes at the end of the path, before any query or fragment.
  const std::size_t tail_at = base_url.find_first_of("?#");
  std::string base = base_url.substr(0, tail_at);
  const std::string tail = tail_at == std::string::npos ? "" : base_url.substr(tail_at);
  while (!base.empty() && base.back() == '/') base.pop_back();
  // A test event, marked as one: never a made-up deploy or application.
  std::string route;
  std::string body;
  if (cred.type == CredentialType::kDeploy) {
    route = "/deploys";
    body = R"({"version":"onepctl-test","environment":"onepctl-test",)"
           R"("description":"onepctl test event"})";
  } else {
    route = "/hits";
    // An unbound hits credential names the app in each event.
    body = cred.app.empty() ? R"({"app":"onepctl-test","count":1,"message":"onepctl test event"})"
                            : R"({"count":1,"message":"onepctl test event"})";
  }
  return "curl -sS -X POST " + ShellQuote(base + route + tail) + " -H " +
         ShellQuote("Authorization: Bearer " + token) + " -H " +
         ShellQuote("Content-Type: application/json") + " --data " + ShellQuote(body);
}

}  // namespace onep
