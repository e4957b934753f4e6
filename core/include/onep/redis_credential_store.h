// SPDX-License-Identifier: Apache-2.0
// CredentialStore on Redis (layout 2, keys.h). Each change of a credential
// is one script on the org's slot, hence atomic; the global org directory is
// written by its own commands first (docs/redis-layout.md says in which
// order, and what a crash between them can leave).
#ifndef ONEP_REDIS_CREDENTIAL_STORE_H_
#define ONEP_REDIS_CREDENTIAL_STORE_H_

#include <optional>
#include <string>

#include "onep/credential_store.h"
#include "onep/keys.h"
#include "onep/redis_client.h"

namespace onep {

// Borrows `redis`, which must outlive the store. Unavailable when Redis fails.
class RedisCredentialStore : public CredentialStore {
 public:
  RedisCredentialStore(RedisClient& redis, KeySpace keys) : redis_(redis), keys_(std::move(keys)) {}

  Result<std::string> AssignRoutingTag(const std::string& org) override;
  Result<Credential> Create(const Credential& cred, const StoredToken& token, int64_t expires_in_ms,
                            const std::string& actor) override;
  Result<std::optional<Credential>> Get(const std::string& id) override;
  Result<std::vector<Credential>> List(const std::string& org) override;
  Result<bool> OrgExists(const std::string& org) override;
  Result<Credential> ReplaceToken(const std::string& id, const StoredToken& token,
                                  const TokenChange& change, const std::string& actor) override;
  Result<Credential> SetExpiry(const std::string& id, int64_t expires_in_ms,
                               const std::string& actor) override;
  Status Delete(const std::string& id, const std::string& actor) override;
  Result<std::vector<OrgSummary>> Orgs() override;
  Result<std::vector<AuditEntry>> Audit(const std::string& org, const AuditQuery& query) override;
  Result<std::optional<std::string>> Authenticate(std::string_view token) override;

 private:
  // The routing tag of credential `id`: inside a current id, looked up for a
  // legacy one; nullopt when there is none.
  Result<std::optional<std::string>> CredentialTag(const std::string& id);
  // The same for a change: NotFound when there is no such credential.
  Result<std::string> TagOfExisting(const std::string& id);
  // The credential as a change left it; NotFound when it is gone.
  Result<Credential> Reread(const std::string& id);

  RedisClient& redis_;
  KeySpace keys_;
};

}  // namespace onep

#endif  // ONEP_REDIS_CREDENTIAL_STORE_H_
