// SPDX-License-Identifier: Apache-2.0
// The admin API's CSRF token: what a change must carry in X-CSRF-Token,
// as GET api/session gives it.
//
// A token is HMAC-SHA256, under a secret of the server's generation, of the
// authenticated user, the admin location (its <Location> path) and the
// authentication realm (AuthName), and of the hour it was made in (windows
// of kCsrfWindowMs counted from the Unix epoch), base64url without padding.
// A token is accepted in its own hour and the next one, so it lives one to
// two hours; it is never accepted for another user, location or realm, and
// a restart (a new secret) ends every token. The console fetches a new one
// when a change is refused with 403 "csrf".
//
// Thread-safety: pure functions.
#ifndef ONEP_CSRF_H_
#define ONEP_CSRF_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace onep {

inline constexpr int64_t kCsrfWindowMs = 3600 * 1000;

// Whom, where and when a token is for.
struct CsrfScope {
  std::string_view user;
  std::string_view location;  // the admin <Location> path, e.g. "/onep-admin"
  std::string_view realm;     // AuthName, "" when none
};

// The window `now_ms` falls in (floor of now_ms / kCsrfWindowMs).
int64_t CsrfWindow(int64_t now_ms);

// The token of `scope` in window `window`, under `secret`.
std::string CsrfToken(std::string_view secret, const CsrfScope& scope, int64_t window);

// True when `sent` is the token of `scope` in the window of `now_ms` or in
// the one before it. Compares in constant time.
bool CsrfTokenAccepted(std::string_view secret, const CsrfScope& scope, std::string_view sent,
                       int64_t now_ms);

}  // namespace onep

#endif  // ONEP_CSRF_H_
