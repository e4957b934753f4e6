// SPDX-License-Identifier: Apache-2.0
// The narrow interface in front of the credentials' storage. The Redis
// implementation (RedisCredentialStore, redis_credential_store.h) is the only
// part that talks to Redis; the service above it (credential_service.h) is
// tested against a fake store too.
#ifndef ONEP_CREDENTIAL_STORE_H_
#define ONEP_CREDENTIAL_STORE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onep/credential.h"
#include "onep/status.h"

namespace onep {

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
  // otherwise, a malformed token included. Writes nothing: what
  // `onepctl verify` asks (the module records with the record script).
  virtual Result<std::optional<std::string>> Authenticate(std::string_view token) = 0;
};

}  // namespace onep

#endif  // ONEP_CREDENTIAL_STORE_H_
