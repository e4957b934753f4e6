// SPDX-License-Identifier: Apache-2.0
// Which slot an org's keys are in: its routing tag, from an org slug, a
// credential id or a token (token.h). Current ids and tokens carry the tag,
// so finding it costs nothing; legacy ones (layout 1) and slugs cost one read
// of a global key.
#ifndef ONEP_ROUTING_H_
#define ONEP_ROUTING_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep {

// The routing tag of org `org`; nullopt when it has none. One HGET.
Result<std::optional<std::string>> OrgRoutingTag(RedisClient& redis, const KeySpace& keys,
                                                 const std::string& org);

// The routing tag of org `org`, assigned now when it has none: a fresh
// random tag is first claimed in its own slot (SET NX of its owner key), so
// no two orgs ever share one, then published in the org directory (HSETNX:
// of two concurrent assigners, both end up with the first one's tag). A
// crash in between leaves a claimed tag that no org uses: harmless.
// `avoid` names tags that must not be drawn (e.g. version-1 org slugs that
// look like tags, during a migration).
Result<std::string> ClaimRoutingTag(RedisClient& redis, const KeySpace& keys,
                                    const std::string& org,
                                    const std::vector<std::string>& avoid = {});

// The routing tag of a credential id; nullopt for a malformed id or an
// unknown legacy one. No round trip for a current id.
Result<std::optional<std::string>> CredentialRoutingTag(RedisClient& redis, const KeySpace& keys,
                                                        std::string_view id);

// The routing tag of a well-formed token (CheckTokenFormat); nullopt for an
// unknown legacy one. No round trip for a current token; a legacy token's
// lookup ends by `until`.
Result<std::optional<std::string>> TokenRoutingTagOf(RedisClient& redis, const KeySpace& keys,
                                                     std::string_view token,
                                                     const std::string& token_hash,
                                                     Deadline until = kNoDeadline);

}  // namespace onep

#endif  // ONEP_ROUTING_H_
