// SPDX-License-Identifier: Apache-2.0
// The admin API's CSRF token (onep/csrf.h): bound to its user, location,
// realm and hour; accepted in its hour and the next only.
#include "onep/csrf.h"

#include <gtest/gtest.h>

#include <string>

namespace onep {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr CsrfScope kAlice = {"alice", "/onep-admin", "onep admin"};
// 2026-01-01T10:30:00Z: half way through its hour.
constexpr int64_t kNow = 1767263400000;

TEST(CsrfTest, WindowsAreWholeHoursFromTheEpoch) {
  EXPECT_EQ(CsrfWindow(0), 0);
  EXPECT_EQ(CsrfWindow(kCsrfWindowMs - 1), 0);
  EXPECT_EQ(CsrfWindow(kCsrfWindowMs), 1);
  EXPECT_EQ(CsrfWindow(kNow), kNow / 3600000);
  EXPECT_EQ(CsrfWindow(kNow - 1800000), CsrfWindow(kNow));      // 10:00:00
  EXPECT_EQ(CsrfWindow(kNow - 1800001), CsrfWindow(kNow) - 1);  // 09:59:59.999
  EXPECT_EQ(CsrfWindow(-1), -1);
}

TEST(CsrfTest, ATokenIsAcceptedInItsHourAndTheNextOnly) {
  const std::string token = CsrfToken(kSecret, kAlice, CsrfWindow(kNow));
  EXPECT_EQ(token.size(), 43u);  // 32 bytes, base64url, no padding
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_TRUE(CsrfTokenAccepted(kSecret, kAlice, token, kNow));
  // Made at 10:00:00.000, used at 11:59:59.999: accepted; at 12:00: refused.
  const int64_t hour_start = kNow - 1800000;
  EXPECT_TRUE(CsrfTokenAccepted(kSecret, kAlice, token, hour_start + 2 * kCsrfWindowMs - 1));
  EXPECT_FALSE(CsrfTokenAccepted(kSecret, kAlice, token, hour_start + 2 * kCsrfWindowMs));
  // A token of two hours ago, or of the next hour, is refused.
  EXPECT_FALSE(
      CsrfTokenAccepted(kSecret, kAlice, CsrfToken(kSecret, kAlice, CsrfWindow(kNow) - 2), kNow));
  EXPECT_TRUE(
      CsrfTokenAccepted(kSecret, kAlice, CsrfToken(kSecret, kAlice, CsrfWindow(kNow) - 1), kNow));
  EXPECT_FALSE(
      CsrfTokenAccepted(kSecret, kAlice, CsrfToken(kSecret, kAlice, CsrfWindow(kNow) + 1), kNow));
  EXPECT_FALSE(CsrfTokenAccepted(kSecret, kAlice, "", kNow));
  EXPECT_FALSE(CsrfTokenAccepted(kSecret, kAlice, token.substr(1), kNow));
}

TEST(CsrfTest, ATokenHoldsForItsUserLocationRealmAndSecretOnly) {
  const std::string token = CsrfToken(kSecret, kAlice, CsrfWindow(kNow));
  for (const CsrfScope& other : {
           CsrfScope{"bob", "/onep-admin", "onep admin"},
           CsrfScope{"alice", "/other-admin", "onep admin"},
           CsrfScope{"alice", "/onep-admin", "another realm"},
           CsrfScope{"alice", "/onep-admin", ""},
           // Fields do not run into each other.
           CsrfScope{"alice/onep-admin", "", "onep admin"},
           CsrfScope{"alic", "e/onep-admin", "onep admin"},
       }) {
    EXPECT_FALSE(CsrfTokenAccepted(kSecret, other, token, kNow))
        << other.user << " " << other.location << " " << other.realm;
  }
  EXPECT_FALSE(CsrfTokenAccepted("another secret, after a restart.", kAlice, token, kNow));
}

}  // namespace
}  // namespace onep
