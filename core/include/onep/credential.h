// Webhook credentials: the record, the narrow store interface, and the
// service that validates admin requests and issues tokens on top of a store.
//
// The store is the only part that talks to Redis (RedisCredentialStore in
// redis_credential_store.h); the service is tested against a fake store too.
#ifndef ONEP_CREDENTIAL_H_
#define ONEP_CREDENTIAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onep/status.h"

namespace onep {

enum class CredentialType { kHits, kDeploy };

const char* CredentialTypeName(CredentialType type);  // "hits", "deploy"
std::optional<CredentialType> ParseCredentialType(std::string_view name);

inline constexpr int64_t kMaxGraceMs = 7LL * 24 * 3600 * 1000;
// Entries kept in an org's audit stream (MAXLEN ~).
inline constexpr int64_t kAuditMaxLen = 10000;

struct Credential {
  std::string id;
  std::string org;
  CredentialType type = CredentialType::kHits;
  std::string name;
  std::string app;  // empty: not bound to an application (hits only)
  int64_t created_at_ms = 0;
  std::optional<int64_t> rotated_at_ms;
  std::optional<int64_t> last_used_at_ms;
  std::optional<int64_t> expires_at_ms;
  std::string token_hint;  // "…WXYZ"
  // While the previous token is in its grace period: when it ends.
  std::optional<int64_t> previous_token_valid_until_ms;
  std::string routing_tag;  // the org's (token.h); set by the store
  // The current token was issued before routing tags (layout 1): it works
  // until the credential is rotated, which gives it a current token.
  bool legacy_token = false;

  // "expired" once expires_at has passed, else "legacy" while the current
  // token is a legacy one, else "active".
  const char* State(int64_t now_ms) const;
};

// A token as the store sees it: never the token itself.
struct StoredToken {
  std::string hash;  // TokenHash(token)
  std::string hint;  // TokenHint(token)
};

struct AuditEntry {
  int64_t time_ms = 0;
  std::string action;      // create, rotate, rename, expire, delete
  std::string credential;  // credential id
  std::string actor;       // the user who made the change
  // What changed, when the entry says (entries from onep 0.1 do not):
  std::string name;                      // the credential's name after the change
  std::string previous_name;             // rename: the name before
  std::optional<int64_t> grace_ms;       // rotate, rename: the old token's grace period
  std::optional<int64_t> expires_at_ms;  // create, rotate, rename, expire: the expiry after
  bool expiry_recorded = false;          // false: the entry does not say (0.1)
};

// Which audit entries to read. The trail keeps the newest kAuditMaxLen
// entries of an org (about: it is trimmed by whole stream nodes).
struct AuditQuery {
  std::size_t limit = 100;
  std::optional<int64_t> since_ms;  // at or after
  std::optional<int64_t> until_ms;  // before
  std::string credential;           // empty: all
};

struct OrgSummary {
  std::string org;
  int64_t credentials = 0;
  int64_t events = 0;  // events ever recorded for the org
};

// What a rotation or a rename changes besides the token.
struct TokenChange {
  std::string new_name;                  // empty: keep the name
  int64_t grace_ms = 0;                  // the previous token's grace period
  std::optional<int64_t> expires_in_ms;  // nullopt: keep the expiry; 0: none
};

// Thread-safety: implementations are used by one thread at a time.
// Every mutating call is atomic: it happens whole or not at all.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;

  // The org's routing tag, assigned now (at random, once and for all) when
  // the org has none yet.
  virtual Result<std::string> AssignRoutingTag(const std::string& org) = 0;

  // Stores a new credential of the org whose routing tag is cred.routing_tag;
  // the store sets created_at_ms (its clock) and, when expires_in_ms > 0,
  // expires_at_ms. Conflict when the id exists or, for a deploy credential,
  // the app already has one.
  virtual Result<Credential> Create(const Credential& cred, const StoredToken& token,
                                    int64_t expires_in_ms, const std::string& actor) = 0;

  // nullopt when there is no such credential.
  virtual Result<std::optional<Credential>> Get(const std::string& id) = 0;

  // The org's credentials, oldest first; empty when the org has none.
  virtual Result<std::vector<Credential>> List(const std::string& org) = 0;

  // True while the org has credentials or events.
  virtual Result<bool> OrgExists(const std::string& org) = 0;

  // Makes `token` the only current token; the previous one stays valid for
  // change.grace_ms (0: stops now). Any earlier grace period ends now.
  // Renames too when change.new_name is non-empty; sets a new expiry when
  // change.expires_in_ms is given (0: none). NotFound when there is no such
  // credential.
  virtual Result<Credential> ReplaceToken(const std::string& id, const StoredToken& token,
                                          const TokenChange& change, const std::string& actor) = 0;

  // A new expiry without a new token: expires_in_ms from now, or none (0).
  // NotFound when there is no such credential.
  virtual Result<Credential> SetExpiry(const std::string& id, int64_t expires_in_ms,
                                       const std::string& actor) = 0;

  // Removes the credential and every token of it; its events stay.
  // NotFound when there is no such credential.
  virtual Status Delete(const std::string& id, const std::string& actor) = 0;

  // The orgs that have credentials or events, by slug.
  virtual Result<std::vector<OrgSummary>> Orgs() = 0;

  // Newest first, at most query.limit, matching the query.
  virtual Result<std::vector<AuditEntry>> Audit(const std::string& org,
                                                const AuditQuery& query) = 0;

  // The id of the credential `token` authenticates right now (current token,
  // or previous token within its grace period, not expired); nullopt
  // otherwise, a malformed token included. Writes nothing.
  virtual Result<std::optional<std::string>> Authenticate(std::string_view token) = 0;
};

struct CreateRequest {
  std::string org;
  std::string type;  // "hits" | "deploy"
  std::string name;
  std::string app;            // required for deploy
  int64_t expires_in_ms = 0;  // 0: never
};

// A credential with its token, as create/rotate/rename return it: the only
// time a token exists outside the caller's hands.
struct IssuedCredential {
  Credential credential;
  std::string token;
};

// Validates admin input, generates ids and tokens, and calls the store.
// InvalidArgument names the bad input; NotFound for an unknown id.
class CredentialService {
 public:
  CredentialService(CredentialStore& store, std::string actor)
      : store_(store), actor_(std::move(actor)) {}

  Result<IssuedCredential> Create(const CreateRequest& request);
  // A rotation or rename of an expired credential needs a new expiry
  // (`expires_in_ms`, 0: none): InvalidArgument otherwise, so that no token
  // is issued that is refused from its first use.
  Result<IssuedCredential> Rotate(const std::string& id, int64_t grace_ms,
                                  std::optional<int64_t> expires_in_ms = std::nullopt);
  Result<IssuedCredential> Rename(const std::string& id, const std::string& name, int64_t grace_ms,
                                  std::optional<int64_t> expires_in_ms = std::nullopt);
  // A new expiry (0: none), the same token.
  Result<Credential> SetExpiry(const std::string& id, int64_t expires_in_ms);
  Status Delete(const std::string& id);

 private:
  Result<IssuedCredential> Reissue(const std::string& id, TokenChange change);
  CredentialStore& store_;
  std::string actor_;
};

// A curl command that posts a first event with this credential, safe to paste
// in a POSIX shell. base_url like "http://localhost/onep" (no trailing slash needed).
std::string CurlCommand(const Credential& cred, const std::string& token,
                        const std::string& base_url);

}  // namespace onep

#endif  // ONEP_CREDENTIAL_H_
