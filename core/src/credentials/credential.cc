// SPDX-License-Identifier: Apache-2.0
#include "onep/credential.h"

namespace onep {

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

}  // namespace onep
