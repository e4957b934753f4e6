// Which slot an org's keys are in: its routing tag, from an org slug, a
// credential id or a token (token.h). Current ids and tokens carry the tag,
// so finding it costs nothing; legacy ones (layout 1) and slugs cost one read
// of a global key.
#ifndef ONEP_ROUTING_H_
#define ONEP_ROUTING_H_

#include <optional>
#include <string>
#include <string_view>

#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep {

// The routing tag of org `org`; nullopt when it has none. One HGET.
Result<std::optional<std::string>> OrgRoutingTag(RedisClient& redis, const KeySpace& keys,
                                                 const std::string& org);

// The routing tag of a credential id; nullopt for a malformed id or an
// unknown legacy one. No round trip for a current id.
Result<std::optional<std::string>> CredentialRoutingTag(RedisClient& redis, const KeySpace& keys,
                                                        std::string_view id);

// The routing tag of a well-formed token (CheckTokenFormat); nullopt for an
// unknown legacy one. No round trip for a current token.
Result<std::optional<std::string>> TokenRoutingTagOf(RedisClient& redis, const KeySpace& keys,
                                                     std::string_view token,
                                                     const std::string& token_hash);

}  // namespace onep

#endif  // ONEP_ROUTING_H_
