// SPDX-License-Identifier: Apache-2.0
// The base URL of the webhook routes that a curl command names
// (admin::CheckBaseUrl): onepctl's --url, the admin API's "url",
// OnepPublicURL.
#include <gtest/gtest.h>

#include <string>

#include "onep/admin.h"

namespace onep {
namespace {

TEST(BaseUrlTest, AcceptsHttpAndHttpsUrlsWithAHost) {
  for (const char* url : {
           "https://example.com/onep",
           "http://127.0.0.1:8080/hooks/",
           "HTTPS://Example.COM",
           "https://hooks.example.com:443",
           "http://[::1]:8080/onep",
           "http://[2001:db8::1]/onep",
           "https://xn--bcher-kva.example/onep",
           "https://example.com/a%20b/~c-d_e.f",
       }) {
    const Status st = admin::CheckBaseUrl("url", url);
    EXPECT_TRUE(st.ok()) << url << ": " << st.ToString();
  }
}

TEST(BaseUrlTest, RefusesAnythingElseSayingWhy) {
  for (const auto& [url, why] : std::vector<std::pair<std::string, std::string>>{
           {"ftp://example.com", "is not an http:// or https:// URL"},
           {"javascript:alert(1)", "is not an http:// or https:// URL"},
           {"example.com/onep", "is not an http:// or https:// URL"},
           {"", "is not an http:// or https:// URL"},
           {"https://example.com/onep\nX-Evil: 1", "printable ASCII"},
           {"https://example.com/onep\r", "printable ASCII"},
           {"https://example.com/a b", "printable ASCII"},
           {"https://example.com/\x7F", "printable ASCII"},
           {"https://exa\xE2\x80\x8Bmple.com", "printable ASCII"},  // zero width space
           {"https://ex\xC3\xA4mple.com", "printable ASCII"},
           {"https://user:pw@example.com/onep", "user name or password"},
           {"https://user@example.com", "user name or password"},
           {"https://example.com/onep#frag", "fragment"},
           {"https://example.com/onep?x=1", "query"},
           {"https:///onep", "has no host"},
           {"https://", "has no host"},
           {"https://:8080/onep", "has no host"},
           {"https://exa_mple.com", "not a DNS name"},
           {"https://example.com:0", "port"},
           {"https://example.com:65536", "port"},
           {"https://example.com:", "port"},
           {"https://example.com:8o", "port"},
           {"https://[::1", "IPv6"},
           {"https://[]/", "IPv6"},
           {"https://[::g]/", "IPv6"},
           {"https://[::1]x/", "IPv6"},
       }) {
    const Status st = admin::CheckBaseUrl("url", url);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << "accepted: " << url;
    EXPECT_NE(st.message().find(why), std::string::npos) << url << " -> " << st.message();
    EXPECT_EQ(st.message().rfind("url ", 0), 0u) << st.message();
  }
}

}  // namespace
}  // namespace onep
