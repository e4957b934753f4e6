#include "onep/keys.h"

namespace onep {

std::string KeySpace::Token(std::string_view token_hash) const {
  return prefix_ + "tok:" + std::string(token_hash);
}

std::string KeySpace::CredentialOrg(std::string_view id) const {
  return prefix_ + "cred:" + std::string(id);
}

std::string KeySpace::Orgs() const { return prefix_ + "orgs"; }

std::string KeySpace::OrgKey(std::string_view org, std::string_view rest) const {
  std::string key;
  key.reserve(prefix_.size() + org.size() + rest.size() + 3);
  key.append(prefix_).append("{").append(org).append("}:").append(rest);
  return key;
}

std::string KeySpace::Credential(std::string_view org, std::string_view id) const {
  return OrgKey(org, "cred:" + std::string(id));
}

std::string KeySpace::OrgCredentials(std::string_view org) const { return OrgKey(org, "creds"); }

std::string KeySpace::DeployApp(std::string_view org, std::string_view app) const {
  return OrgKey(org, "deployapp:" + std::string(app));
}

std::string KeySpace::Events(std::string_view org) const { return OrgKey(org, "events"); }

std::string KeySpace::Apps(std::string_view org) const { return OrgKey(org, "apps"); }

std::string KeySpace::StatsBucket(std::string_view org, long long hour) const {
  return OrgKey(org, "stats:" + std::to_string(hour));
}

std::string KeySpace::Audit(std::string_view org) const { return OrgKey(org, "audit"); }

}  // namespace onep
