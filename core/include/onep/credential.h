// SPDX-License-Identifier: Apache-2.0
// A webhook credential as a value: the record, its type, its tokens as a
// store sees them (hashes and hints), its audit entries, and the requests
// that create or change one. The store interface is in credential_store.h,
// the service that checks requests and issues tokens in
// credential_service.h, the curl command for a first event in
// curl_command.h.
//
// Thread-safety: plain values.
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
  // monitor (credential empty): the app, the settings given as a JSON
  // object, and "1" (paused), "0" (resumed) or "".
  std::string app;
  std::string changes;
  std::string pause;
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

}  // namespace onep

#endif  // ONEP_CREDENTIAL_H_
