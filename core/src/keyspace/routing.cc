// SPDX-License-Identifier: Apache-2.0
#include "onep/routing.h"

#include <algorithm>

#include "onep/token.h"

namespace onep {
namespace {

// GET of a global string key holding a routing tag.
Result<std::optional<std::string>> ReadTag(RedisClient& redis, const std::string& key,
                                           const std::vector<std::string>& command,
                                           Deadline until = kNoDeadline) {
  auto reply = redis.Command(key, command, until);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) {
    return Status::Unavailable(command[0] + " " + key + ": " + reply->str,
                               RedisFailure::kCannotServeNow);
  }
  if (reply->type != Reply::Type::kString || !IsValidRoutingTag(reply->str)) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(reply->str);
}

}  // namespace

Result<std::optional<std::string>> OrgRoutingTag(RedisClient& redis, const KeySpace& keys,
                                                 const std::string& org) {
  const std::string key = keys.OrgTags();
  return ReadTag(redis, key, {"HGET", key, org});
}

Result<std::string> ClaimRoutingTag(RedisClient& redis, const KeySpace& keys,
                                    const std::string& org, const std::vector<std::string>& avoid) {
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto known = OrgRoutingTag(redis, keys, org);
    if (!known.ok()) return known.status();
    if (known->has_value()) return **known;
    auto tag = GenerateRoutingTag();
    if (!tag.ok()) return tag.status();
    if (std::find(avoid.begin(), avoid.end(), *tag) != avoid.end()) continue;
    const std::string owner = keys.OrgOwner(*tag);
    auto claimed = redis.Command(owner, {"SET", owner, org, "NX"});
    if (!claimed.ok()) return claimed.status();
    if (claimed->is_error()) {
      return Status::Unavailable("SET " + owner + ": " + claimed->str,
                                 RedisFailure::kCannotServeNow);
    }
    if (claimed->is_nil()) continue;  // another org's tag: draw again
    const std::string directory = keys.OrgTags();
    auto published = redis.Command(directory, {"HSETNX", directory, org, *tag});
    if (!published.ok()) return published.status();
    if (published->is_error()) {
      return Status::Unavailable("HSETNX " + directory + ": " + published->str,
                                 RedisFailure::kCannotServeNow);
    }
  }
  auto known = OrgRoutingTag(redis, keys, org);
  if (!known.ok()) return known.status();
  if (known->has_value()) return **known;
  return Status::Internal("cannot assign a routing tag to org \"" + org + "\"");
}

Result<std::optional<std::string>> CredentialRoutingTag(RedisClient& redis, const KeySpace& keys,
                                                        std::string_view id) {
  switch (ClassifyCredentialId(id)) {
    case CredentialIdForm::kCurrent:
      return std::optional<std::string>(std::string(CredentialIdRoutingTag(id)));
    case CredentialIdForm::kLegacy: {
      const std::string key = keys.LegacyCredential(id);
      return ReadTag(redis, key, {"GET", key});
    }
    case CredentialIdForm::kMalformed:
      break;
  }
  return std::optional<std::string>();
}

Result<std::optional<std::string>> TokenRoutingTagOf(RedisClient& redis, const KeySpace& keys,
                                                     std::string_view token,
                                                     const std::string& token_hash,
                                                     Deadline until) {
  std::string_view tag = TokenRoutingTag(token);
  if (!tag.empty()) return std::optional<std::string>(std::string(tag));
  const std::string key = keys.LegacyToken(token_hash);
  return ReadTag(redis, key, {"GET", key}, until);
}

}  // namespace onep
