// The Redis key layout (docs/redis-layout.md). Every key of an organization
// carries the org as a hash tag, "{org}". The Lua scripts in scripts.cc build
// the same names from the prefix: keep the two in step.
#ifndef ONEP_KEYS_H_
#define ONEP_KEYS_H_

#include <string>
#include <string_view>

namespace onep {

class KeySpace {
 public:
  explicit KeySpace(std::string prefix) : prefix_(std::move(prefix)) {}
  const std::string& prefix() const { return prefix_; }

  // Global keys: a request starts with nothing but a token, a CLI call with an id.
  std::string Token(std::string_view token_hash) const;  // hash: org, cred, until
  std::string CredentialOrg(std::string_view id) const;  // string: org of a credential id
  std::string Orgs() const;                              // set of org slugs

  // Keys of one organization.
  std::string Credential(std::string_view org, std::string_view id) const;  // hash
  std::string OrgCredentials(std::string_view org) const;                   // zset id -> created ms
  std::string DeployApp(std::string_view org, std::string_view app) const;  // string: cred id
  std::string Events(std::string_view org) const;                           // stream
  std::string Apps(std::string_view org) const;                             // set of app slugs seen
  std::string StatsBucket(std::string_view org, long long hour) const;      // hash
  std::string Audit(std::string_view org) const;                            // stream

 private:
  std::string OrgKey(std::string_view org, std::string_view rest) const;
  std::string prefix_;
};

}  // namespace onep

#endif  // ONEP_KEYS_H_
