// SPDX-License-Identifier: Apache-2.0
// A notification endpoint's URL (onep/notify_store.h): https with a host,
// no user or password, at most 2048 characters; http only when allowed.
#include <gtest/gtest.h>

#include <string>

#include "onep/notify_store.h"

namespace onep {
namespace {

TEST(NotifyUrlTest, HttpsWithAHostIsAccepted) {
  for (const char* url : {"https://hooks.example.com/onep", "https://hooks.example.com",
                          "HTTPS://hooks.example.com:8443/a?b=c#d", "https://192.0.2.10/x",
                          "https://[2001:db8::1]:443/x", "https://[2001:db8::1]"}) {
    EXPECT_TRUE(ValidateNotifyUrl(url, false).ok()) << url;
  }
}

TEST(NotifyUrlTest, HttpIsAcceptedOnlyWhenAllowed) {
  const Status refused = ValidateNotifyUrl("http://hooks.example.com/", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), Code::kInvalidArgument);
  EXPECT_NE(refused.message().find("OnepNotifyAllowHttp"), std::string::npos);
  EXPECT_TRUE(ValidateNotifyUrl("http://hooks.example.com/", true).ok());
}

TEST(NotifyUrlTest, OtherUrlsAreRefusedWithTheReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "required"},
      {"ftp://example.com/", "must start with https://"},
      {"hooks.example.com/x", "must start with https://"},
      {"https:///path", "no host"},
      {"https://", "no host"},
      {"https://user:pw@example.com/", "user or password"},
      {"https://user@example.com/", "user or password"},
      {"https://example.com:/", "invalid port"},
      {"https://example.com:99999/", "invalid port"},
      {"https://example.com:8x/", "invalid port"},
      {"https://[::1/", "no valid host"},
      {"https://exa mple.com/", "printable ASCII"},
      {"https://example.com/\n", "printable ASCII"},
      {"https://example.com/" + std::string(2048, 'a'), "longer than 2048"},
  };
  for (const auto& [url, why] : cases) {
    const Status s = ValidateNotifyUrl(url, true);
    ASSERT_FALSE(s.ok()) << url;
    EXPECT_NE(s.message().find(why), std::string::npos) << url << ": " << s.message();
  }
  // 2048 exactly is fine.
  const std::string prefix = "https://example.com/";
  EXPECT_TRUE(ValidateNotifyUrl(prefix + std::string(2048 - prefix.size(), 'a'), false).ok());
}

TEST(NotifyUrlTest, AnEndpointIdCarriesItsOrgsRoutingTag) {
  EXPECT_EQ(NotifyEndpointRoutingTag("ne_AbCdEfGh123456789012"), "AbCdEfGh");
  EXPECT_EQ(NotifyEndpointRoutingTag("ne_AbCdEfGh12345678901"), "");
  EXPECT_EQ(NotifyEndpointRoutingTag("wh_AbCdEfGh123456789012"), "");
  EXPECT_EQ(NotifyEndpointRoutingTag("ne_AbCdEfGh12345678901!"), "");
}

}  // namespace
}  // namespace onep
