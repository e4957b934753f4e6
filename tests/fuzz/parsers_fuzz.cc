// SPDX-License-Identifier: Apache-2.0
// The small parsers users type into: durations, sizes, slugs, names, times,
// Redis URLs. No crash, and the invariants each one promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "onep/parse.h"
#include "onep/redis_url.h"
#include "onep/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto duration = onep::ParseDurationMs(text);
  if (duration.ok() && *duration <= 0) abort();
  auto bytes = onep::ParseByteSize(text);
  if (bytes.ok() && *bytes == 0) abort();
  onep::ParseUint(text, 10000);

  if (onep::IsValidSlug(text) && (text.empty() || text.size() > 63)) abort();
  if (onep::ValidateName(text).ok() && !onep::IsValidUtf8(text)) abort();

  auto ms = onep::ParseRfc3339Ms(text);
  if (ms.ok()) {
    // Formatting and parsing again gives the same instant.
    auto again = onep::ParseRfc3339Ms(onep::FormatRfc3339Ms(*ms));
    if (!again.ok() || *again != *ms) abort();
  }

  auto url = onep::ParseRedisUrl(text);
  if (url.ok()) {
    // The redacted form is a URL for the same server whose password is "***".
    auto again = onep::ParseRedisUrl(url->Redacted());
    if (!again.ok() || again->host != url->host || again->port != url->port ||
        again->path != url->path || again->db != url->db || again->is_unix != url->is_unix) {
      abort();
    }
    if (again->password != (url->password.empty() ? "" : "***")) abort();
    if (again->user != url->user) abort();
  }

  auto target = onep::ParseRedisTarget(text);
  if (target.ok()) {
    // Every form: the redacted URL names the same topology and servers.
    auto again = onep::ParseRedisTarget(target->Redacted());
    if (!again.ok() || again->topology != target->topology ||
        again->nodes.size() != target->nodes.size() || again->master_name != target->master_name ||
        again->sentinel_user != target->sentinel_user ||
        again->sentinel_password != (target->sentinel_password.empty() ? "" : "***")) {
      abort();
    }
    for (std::size_t i = 0; i < target->nodes.size(); ++i) {
      const auto& a = target->nodes[i];
      const auto& b = again->nodes[i];
      if (a.host != b.host || a.port != b.port || a.path != b.path || a.db != b.db ||
          a.user != b.user || b.password != (a.password.empty() ? "" : "***")) {
        abort();
      }
    }
  }
  return 0;
}
