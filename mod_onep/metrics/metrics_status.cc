// SPDX-License-Identifier: Apache-2.0
// mod_status' section of mod_onep.
#include "metrics/metrics_status.h"

#include <cstring>
#include <string>

// metrics_status.h above includes httpd.h, which the other Apache headers need.
// clang-format off
#include "http_log.h"
#include "http_protocol.h"
#include "metrics/metrics.h"
#include "metrics/metrics_snapshot.h"
#include "mod_status.h"
// clang-format on

APLOG_USE_MODULE(onep);

namespace onep::module {

int StatusHook(request_rec* r, int flags) {
  try {
    uint64_t accepted = 0, duplicate = 0, refused = 0, unavailable = 0, errors = 0, calls = 0;
    const auto snapshot = Snapshot();
    for (const auto& [label, t] : snapshot) {
      for (int route = 0; route < kNumRoutes; ++route) {
        for (int code = 0; code < kNumCodes; ++code) {
          const uint64_t n = t.requests[route][code];
          if (code == 0)
            accepted += n;
          else if (code == 1)
            duplicate += n;
          else if (strcmp(kCodes[code], "store_unavailable") == 0)
            unavailable += n;
          else if (code != 2)
            refused += n;
        }
      }
      for (uint64_t n : t.redis_errors) errors += n;
      calls += t.LatencyCount();
    }
    const uint64_t open = RedisConnectionsOpen();
    // APR's printf has no %llu: numbers go through std::to_string.
    auto n = [](uint64_t v) { return std::to_string(v); };
    if (flags & AP_STATUS_SHORT) {
      const std::string lines =
          "OnepAccepted: " + n(accepted) + "\nOnepDuplicate: " + n(duplicate) +
          "\nOnepRefused: " + n(refused) + "\nOnepUnavailable: " + n(unavailable) +
          "\nOnepRedisCalls: " + n(calls) + "\nOnepRedisErrors: " + n(errors) +
          "\nOnepRedisConnectionsOpen: " + n(open) + "\n";
      ap_rputs(lines.c_str(), r);
      return OK;
    }
    std::string html =
        "<hr />\n<h2>onep (mod_onep)</h2>\n<table border=\"1\">\n"
        "<tr><th>server</th><th>route</th><th>code</th><th>requests</th></tr>\n";
    for (const auto& [label, t] : snapshot) {
      for (int route = 0; route < kNumRoutes; ++route) {
        for (int code = 0; code < kNumCodes; ++code) {
          if (t.requests[route][code] == 0) continue;
          html += std::string("<tr><td>") + ap_escape_html(r->pool, label.c_str()) + "</td><td>" +
                  kRoutes[route] + "</td><td>" + kCodes[code] + "</td><td>" +
                  n(t.requests[route][code]) + "</td></tr>\n";
        }
      }
    }
    html += "</table>\n<p>accepted " + n(accepted) + ", duplicate " + n(duplicate) + ", refused " +
            n(refused) + ", unavailable " + n(unavailable) + "; Redis round trips " + n(calls) +
            ", Redis errors " + n(errors) + "; Redis connections open " + n(open) + "</p>\n";
    ap_rputs(html.c_str(), r);
  } catch (...) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0201: cannot write the server-status section");
  }
  return OK;
}

}  // namespace onep::module
