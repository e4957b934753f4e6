// SPDX-License-Identifier: Apache-2.0
// What a notification looks like on the wire (webhook_message.h), which
// addresses the deliverer refuses (webhook_sender.h) and its retry delays
// (notify_deliverer.h). No server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

#include "onep/notify_deliverer.h"
#include "onep/secret_box.h"
#include "onep/text.h"
#include "onep/webhook_message.h"
#include "onep/webhook_sender.h"

namespace onep {
namespace {

// The example of the Standard Webhooks specification's reference tests (its
// secret is 24 bytes, shorter than onep's 32: decoded here directly).
TEST(WebhookSignatureTest, MatchesTheStandardWebhooksExample) {
  auto key = Base64Decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(
      WebhookSignature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookMessageTest, WebhookIdIsEndpointAndOutboxId) {
  EXPECT_EQ(WebhookId("ne_abcdefgh123456789012", "1700000000000-0"),
            "msg_ne_abcdefgh123456789012_1700000000000-0");
}

TEST(WebhookMessageTest, BodiesOfEachType) {
  OutboxEntry opened = OutboxEntryFromFields(
      "1-0", {"type", "incident_opened", "org", "acme", "app", "shop", "incident",
              R"({"id":"in_1","org":"acme","app":"shop","cause":"failures","severity":"sev2",)"
              R"("opened_at":1700000584000,"detected_at":1700000590000,"failures":3})",
              "time", "1700000590000"});
  auto body = WebhookBody(opened, 1700000600000);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body,
            R"({"type":"incident.opened","timestamp":"2023-11-14T22:23:20.000Z","org":"acme",)"
            R"("app":"shop","incident":{"id":"in_1","org":"acme","app":"shop","cause":"failures",)"
            R"("severity":"sev2","opened_at":"2023-11-14T22:23:04.000Z",)"
            R"("detected_at":"2023-11-14T22:23:10.000Z","resolved_at":null,"duration_s":null,)"
            R"("failures":3,"first_error":null,"deploy":null},)"
            "\"text\":\"\xF0\x9F\x94\xB4 acme/shop is down: 3 failures since 22:23:04 UTC "
            "(incident in_1)\"}");

  OutboxEntry resolved = OutboxEntryFromFields(
      "2-0", {"type", "incident_resolved", "org", "acme", "app", "shop", "incident",
              R"({"id":"in_1","opened_at":1700000584000,"resolved_at":1700000884000,)"
              R"("duration_s":300})"});
  body = WebhookBody(resolved, 1700000900000);
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find("\"type\":\"incident.resolved\""), std::string::npos);
  EXPECT_NE(body->find("\"text\":\"\xE2\x9C\x85 acme/shop recovered after 5m\""), std::string::npos)
      << *body;

  OutboxEntry test = OutboxEntryFromFields(
      "3-0", {"type", "test", "org", "acme", "app", "", "incident", "{}", "endpoint", "ne_x"});
  body = WebhookBody(test, 1700000900000);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, R"({"type":"test","timestamp":"2023-11-14T22:28:20.000Z","org":"acme","app":"",)"
                   R"("incident":null,"text":"onep test notification for acme"})");
  EXPECT_TRUE(OutboxEntryIsFor(test, "ne_x"));
  EXPECT_FALSE(OutboxEntryIsFor(test, "ne_y"));
  EXPECT_TRUE(OutboxEntryIsFor(opened, "ne_y"));

  OutboxEntry unknown = OutboxEntryFromFields("4-0", {"type", "deploy"});
  EXPECT_FALSE(WebhookBody(unknown, 0).ok());
}

// A dotted quad from its numbers: private ranges are named by their
// numbers here, never written out as an address.
std::string Dotted(int a, int b, int c, int d) {
  return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c) + "." +
         std::to_string(d);
}

std::string KindOf(const std::string& text) {
  if (text.find(':') != std::string::npos) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), &a.sin6_addr), 1) << text;
    return NonPublicAddressKind(reinterpret_cast<sockaddr*>(&a));
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  EXPECT_EQ(inet_pton(AF_INET, text.c_str(), &a.sin_addr), 1) << text;
  return NonPublicAddressKind(reinterpret_cast<sockaddr*>(&a));
}

TEST(WebhookAddressTest, EveryNonPublicRangeIsNamed) {
  EXPECT_EQ(KindOf("127.0.0.1"), "a loopback address");
  EXPECT_EQ(KindOf("127.255.0.9"), "a loopback address");
  EXPECT_EQ(KindOf("0.0.0.0"), "an unspecified address");
  EXPECT_EQ(KindOf(Dotted(10, 1, 2, 3)), "a private address");
  EXPECT_EQ(KindOf(Dotted(172, 16, 0, 1)), "a private address");
  EXPECT_EQ(KindOf(Dotted(172, 31, 255, 255)), "a private address");
  EXPECT_EQ(KindOf(Dotted(192, 168, 1, 1)), "a private address");
  EXPECT_EQ(KindOf("100.64.0.1"), "a private address");
  EXPECT_EQ(KindOf("169.254.169.254"), "a link-local address");
  EXPECT_EQ(KindOf("224.0.0.1"), "a multicast address");
  EXPECT_EQ(KindOf("255.255.255.255"), "a reserved address");
  EXPECT_EQ(KindOf("::"), "an unspecified address");
  EXPECT_EQ(KindOf("::1"), "a loopback address");
  EXPECT_EQ(KindOf("fe80::1"), "a link-local address");
  EXPECT_EQ(KindOf("fc00::1"), "a unique-local address");
  EXPECT_EQ(KindOf("fd12:3456::1"), "a unique-local address");
  EXPECT_EQ(KindOf("ff02::1"), "a multicast address");
  EXPECT_EQ(KindOf("::ffff:127.0.0.1"), "a loopback address");
  EXPECT_EQ(KindOf("::ffff:" + Dotted(10, 0, 0, 1)), "a private address");
  EXPECT_EQ(KindOf("64:ff9b::a9fe:a9fe"), "a link-local address");
  // Public: documentation ranges stand in for any public address.
  EXPECT_EQ(KindOf("192.0.2.10"), "");
  EXPECT_EQ(KindOf("172.32.0.1"), "");
  EXPECT_EQ(KindOf("2001:db8::1"), "");
  EXPECT_EQ(KindOf("::ffff:192.0.2.10"), "");
}

TEST(WebhookAddressTest, RefusalsAreFinalAndSayWhatAllowsThem) {
  WebhookPolicy strict;
  auto http = ResolveWebhookTarget("http://192.0.2.10/hook", strict);
  ASSERT_FALSE(http.ok());
  EXPECT_EQ(http.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(http.status().message(),
            "refused: http:// is not encrypted; OnepNotifyAllowHttp On allows it");
  auto loopback = ResolveWebhookTarget("https://127.0.0.1:8443/hook", strict);
  ASSERT_FALSE(loopback.ok());
  EXPECT_EQ(loopback.status().message(),
            "refused: 127.0.0.1 is a loopback address; OnepNotifyAllowPrivate On allows it");
  auto v6 = ResolveWebhookTarget("https://[::ffff:" + Dotted(10, 0, 0, 1) + "]/hook", strict);
  ASSERT_FALSE(v6.ok());
  EXPECT_EQ(v6.status().code(), Code::kInvalidArgument);
  auto other = ResolveWebhookTarget("ftp://192.0.2.10/hook", strict);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Code::kInvalidArgument);

  WebhookPolicy open;
  open.allow_private = true;
  open.allow_http = true;
  auto allowed = ResolveWebhookTarget("http://127.0.0.1:8080/hook", open);
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  EXPECT_EQ(allowed->address, "127.0.0.1");
  EXPECT_EQ(allowed->port, 8080);
  auto public_v4 = ResolveWebhookTarget("https://192.0.2.10/hook", WebhookPolicy{});
  ASSERT_TRUE(public_v4.ok());
  EXPECT_EQ(public_v4->port, 443);
}

TEST(NotifyRetryTest, DelaysDoubleWithJitterUpToTheCap) {
  NotifyDelivererOptions options;  // 5 s base, 1 h cap
  EXPECT_EQ(NotifyDeliverer::RetryDelayMs(options, 1, 0.5), 5000);
  EXPECT_EQ(NotifyDeliverer::RetryDelayMs(options, 2, 0.5), 10000);
  EXPECT_EQ(NotifyDeliverer::RetryDelayMs(options, 4, 0.5), 40000);
  EXPECT_EQ(NotifyDeliverer::RetryDelayMs(options, 1, 0.0), 4000);
  EXPECT_EQ(NotifyDeliverer::RetryDelayMs(options, 1, 1.0), 6000);
  EXPECT_EQ(NotifyDeliverer::RetryDelayMs(options, 20, 0.5), 3600 * 1000);
  EXPECT_EQ(NotifyDeliverer::RetryDelayMs(options, 200, 1.0), 3600 * 1200);
}

}  // namespace
}  // namespace onep
