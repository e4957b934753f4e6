// CredentialStore on Redis. Each change is one Lua script, hence atomic.
#ifndef ONEP_REDIS_CREDENTIAL_STORE_H_
#define ONEP_REDIS_CREDENTIAL_STORE_H_

#include "onep/credential.h"
#include "onep/keys.h"
#include "onep/redis.h"

namespace onep {

// Borrows `conn`, which must outlive the store. Unavailable when Redis fails.
class RedisCredentialStore : public CredentialStore {
 public:
  RedisCredentialStore(RedisConnection& conn, KeySpace keys)
      : conn_(conn), keys_(std::move(keys)) {}

  Result<Credential> Create(const Credential& cred, const StoredToken& token, int64_t expires_in_ms,
                            const std::string& actor) override;
  Result<std::optional<Credential>> Get(const std::string& id) override;
  Result<std::vector<Credential>> List(const std::string& org) override;
  Result<bool> OrgExists(const std::string& org) override;
  Result<Credential> ReplaceToken(const std::string& id, const StoredToken& token,
                                  const std::string& new_name, int64_t grace_ms,
                                  const std::string& actor) override;
  Status Delete(const std::string& id, const std::string& actor) override;
  Result<std::vector<OrgSummary>> Orgs() override;
  Result<std::vector<AuditEntry>> Audit(const std::string& org, std::size_t limit) override;
  Result<std::optional<std::string>> Authenticate(const std::string& token_hash) override;

 private:
  RedisConnection& conn_;
  KeySpace keys_;
};

}  // namespace onep

#endif  // ONEP_REDIS_CREDENTIAL_STORE_H_
