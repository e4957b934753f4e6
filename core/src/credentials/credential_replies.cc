// SPDX-License-Identifier: Apache-2.0
#include "credentials/credential_replies.h"

#include <cstdlib>
#include <unordered_map>

#include "onep/clock.h"
#include "onep/credential.h"

namespace onep::credential_replies {

std::optional<int64_t> OptionalMs(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return std::strtoll(text.c_str(), nullptr, 10);
}

// A credential from an HGETALL reply and its HGET of last used; nullopt when
// the hash is empty.
std::optional<Credential> FromHash(const Reply& reply, const Reply& last_used,
                                   const std::string& tag) {
  if (reply.type != Reply::Type::kArray || reply.elements.empty()) return std::nullopt;
  std::unordered_map<std::string, std::string> f;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    f[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  Credential c;
  c.id = f["id"];
  c.org = f["org"];
  c.type = ParseCredentialType(f["type"]).value_or(CredentialType::kHits);
  c.name = f["name"];
  c.app = f["app"];
  c.created_at_ms = OptionalMs(f["created_at"]).value_or(0);
  c.rotated_at_ms = OptionalMs(f["rotated_at"]);
  c.last_used_at_ms = OptionalMs(last_used.type == Reply::Type::kString ? last_used.str : "");
  c.expires_at_ms = OptionalMs(f["expires_at"]);
  c.token_hint = f["token_hint"];
  // A grace period that has ended is not shown.
  if (auto until = OptionalMs(f["prev_until"]);
      until && !f["prev_hash"].empty() && *until > NowMs()) {
    c.previous_token_valid_until_ms = until;
  }
  c.routing_tag = tag;
  c.legacy_token = f["token_hash"].size() > 0 && f["legacy"] == f["token_hash"];
  return c;
}

// The first error reply of a pipeline of reads (e.g. NOPERM for an ACL user
// without a right) as Unavailable quoting it: never mistaken for a miss.
Status FirstError(const char* what, const std::vector<Reply>& replies) {
  for (const Reply& reply : replies) {
    if (reply.is_error()) {
      return Status::Unavailable(std::string(what) + ": " + reply.str,
                                 RedisFailure::kCannotServeNow);
    }
  }
  return Status::Ok();
}

Status Unexpected(const char* what, const Reply& reply) {
  return Status::Internal(std::string("unexpected reply to ") + what +
                          (reply.is_error() ? ": " + reply.str : ""));
}

const std::string& Str(const Reply& reply, size_t i) {
  static const std::string kEmpty;
  return i < reply.elements.size() ? reply.elements[i].str : kEmpty;
}

}  // namespace onep::credential_replies
