// SPDX-License-Identifier: Apache-2.0
// The admin side's rules for credentials on top of any CredentialStore:
// what a new credential must be (CheckCreateRequest, the one place that says
// it, for onepctl, the admin API and the service alike), ids and tokens
// generated here, every change made through the store.
#ifndef ONEP_CREDENTIAL_SERVICE_H_
#define ONEP_CREDENTIAL_SERVICE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "onep/credential.h"
#include "onep/credential_store.h"
#include "onep/status.h"

namespace onep {

// The rules of a new credential, each with its one message: org and app
// slugs, the type, the name, a deploy credential's app, the expiry.
// `label_prefix` is how the caller's user spells an input's name ("--" in
// onepctl, "" in the admin API and the service): "invalid --type ...".
// InvalidArgument, or OK.
Status CheckCreateRequest(const CreateRequest& request, std::string_view label_prefix = "");

// The previous token's grace period: from 0 to 7 days (kMaxGraceMs).
// `label` names it in the message: "<label> is longer than 7 days".
Status CheckGrace(int64_t grace_ms, std::string_view label = "the grace period");

// A credential's name (ValidateName, parse.h), `label` naming the input in
// the message ("invalid NAME: ..."): for create, rename and their callers.
Status CheckCredentialName(std::string_view name, std::string_view label);

// Checks admin requests, generates ids and tokens, and calls the store.
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

}  // namespace onep

#endif  // ONEP_CREDENTIAL_SERVICE_H_
