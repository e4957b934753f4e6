// SPDX-License-Identifier: Apache-2.0
#include "onep/redis_url.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace onep {
namespace {

struct UrlCase {
  std::string url;
  bool is_unix;
  std::string host_or_path;
  int port;
  std::string password;
  int db;
  std::string redacted;
};

TEST(RedisUrlTest, ParsesValidUrls) {
  const std::vector<UrlCase> cases = {
      {"redis://127.0.0.1:6379/0", false, "127.0.0.1", 6379, "", 0, "redis://127.0.0.1:6379/0"},
      {"redis://localhost", false, "localhost", 6379, "", 0, "redis://localhost:6379/0"},
      {"redis://localhost/", false, "localhost", 6379, "", 0, "redis://localhost:6379/0"},
      {"redis://localhost:6380", false, "localhost", 6380, "", 0, "redis://localhost:6380/0"},
      {"redis://redis.internal:1/15", false, "redis.internal", 1, "", 15,
       "redis://redis.internal:1/15"},
      {"redis://h:65535/1000", false, "h", 65535, "", 1000, "redis://h:65535/1000"},
      {"REDIS://Host_1:6379/2", false, "Host_1", 6379, "", 2, "redis://Host_1:6379/2"},
      {"redis://:s3cret@10.0.0.5:6379/3", false, "10.0.0.5", 6379, "s3cret", 3,
       "redis://:***@10.0.0.5:6379/3"},
      {"redis://s3cret@host", false, "host", 6379, "s3cret", 0, "redis://:***@host:6379/0"},
      // Everything before the last '@' is the password, ':' and '/' included.
      {"redis://:p@ss:w/rd@host:7000/1", false, "host", 7000, "p@ss:w/rd", 1,
       "redis://:***@host:7000/1"},
      {"redis://:p%40ss%25@host", false, "host", 6379, "p@ss%", 0, "redis://:***@host:6379/0"},
      {"redis://:@host", false, "host", 6379, "", 0, "redis://host:6379/0"},
      {"redis://[::1]:6379/0", false, "::1", 6379, "", 0, "redis://[::1]:6379/0"},
      {"redis://[::1]", false, "::1", 6379, "", 0, "redis://[::1]:6379/0"},
      {"redis://:pw@[2001:db8::7]:6390/4", false, "2001:db8::7", 6390, "pw", 4,
       "redis://:***@[2001:db8::7]:6390/4"},
      {"unix:///run/redis/redis.sock", true, "/run/redis/redis.sock", 0, "", 0,
       "unix:///run/redis/redis.sock?db=0"},
      {"unix:///tmp/r.sock?db=7", true, "/tmp/r.sock", 0, "", 7, "unix:///tmp/r.sock?db=7"},
      {"UNIX:///tmp/r.sock?db=0", true, "/tmp/r.sock", 0, "", 0, "unix:///tmp/r.sock?db=0"},
  };
  for (const UrlCase& c : cases) {
    auto ep = ParseRedisUrl(c.url);
    ASSERT_TRUE(ep.ok()) << c.url << ": " << ep.status().ToString();
    EXPECT_EQ(ep->is_unix, c.is_unix) << c.url;
    if (c.is_unix) {
      EXPECT_EQ(ep->path, c.host_or_path) << c.url;
      EXPECT_TRUE(ep->host.empty()) << c.url;
    } else {
      EXPECT_EQ(ep->host, c.host_or_path) << c.url;
      EXPECT_EQ(ep->port, c.port) << c.url;
      EXPECT_TRUE(ep->path.empty()) << c.url;
    }
    EXPECT_EQ(ep->password, c.password) << c.url;
    EXPECT_EQ(ep->db, c.db) << c.url;
    EXPECT_EQ(ep->Redacted(), c.redacted) << c.url;
  }
}

TEST(RedisUrlTest, DefaultUrlParsesAndRedactsToItself) {
  auto ep = ParseRedisUrl(kDefaultRedisUrl);
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->Redacted(), kDefaultRedisUrl);
}

TEST(RedisUrlTest, RedactedUrlParsesBackWithoutTheSecret) {
  auto ep = ParseRedisUrl("redis://:hunter2@cache:6379/2");
  ASSERT_TRUE(ep.ok());
  std::string redacted = ep->Redacted();
  EXPECT_EQ(redacted.find("hunter2"), std::string::npos);
  auto back = ParseRedisUrl(redacted);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->host, "cache");
  EXPECT_EQ(back->password, "***");
}

TEST(RedisUrlTest, RedactsAPasswordSetOnAUnixEndpoint) {
  RedisEndpoint ep;
  ep.is_unix = true;
  ep.path = "/tmp/r.sock";
  ep.password = "hunter2";
  EXPECT_EQ(ep.Redacted().find("hunter2"), std::string::npos);
  EXPECT_NE(ep.Redacted().find("***"), std::string::npos);
}

struct BadUrl {
  std::string url;
  std::string reason;  // a part of the message
};

TEST(RedisUrlTest, RejectsMalformedUrlsNamingTheProblem) {
  const std::vector<BadUrl> cases = {
      {"", "scheme"},
      {"127.0.0.1:6379", "scheme"},
      {"http://localhost:6379", "scheme"},
      {"rediss://", "host"},
      {"rediss://host:0", "port"},
      {"rediss-cluster://host", "scheme"},  // one server here: no topology
      {"redis://", "host"},
      {"redis:///0", "host"},
      {"redis://:6379", "host"},
      {"redis://:pw@", "host"},
      {"redis://:pw@:6379/0", "host"},
      {"redis://local host", "host"},
      {"redis://host?x=1", "host"},
      {"redis://host:", "port"},
      {"redis://host:0", "port"},
      {"redis://host:65536", "port"},
      {"redis://host:-1", "port"},
      {"redis://host:63x9", "port"},
      {"redis://host:6379:1", "port"},
      {"redis://host:6379/x", "database"},
      {"redis://host:6379/-1", "database"},
      {"redis://host:6379/1001", "database"},
      {"redis://host:6379/0/1", "database"},
      {"redis://host:6379/0?timeout=1", "database"},
      {"redis://[::1", "]"},
      {"redis://[]:6379", "host"},
      {"redis://[fe80::1%eth0]:6379", "IPv6"},
      {"redis://[::1]6379", "IPv6"},
      {"redis://[127.0.0.1]:6379", "IPv6"},
      {"redis://:%zz@host", "%"},
      {"redis://:abc%4@host", "%"},
      {"unix://", "absolute"},
      {"unix://relative.sock", "absolute"},
      {"unix:///tmp/r.sock?db=x", "database"},
      {"unix:///tmp/r.sock?db=1001", "database"},
      {"unix:///tmp/r.sock?database=1", "db=N"},
      {"unix:///tmp/r.sock?", "db=N"},
      {"unix:///" + std::string(120, 'a'), "longer"},
  };
  for (const BadUrl& c : cases) {
    auto ep = ParseRedisUrl(c.url);
    ASSERT_EQ(ep.status().code(), Code::kInvalidArgument) << "accepted: " << c.url;
    EXPECT_NE(ep.status().message().find(c.reason), std::string::npos)
        << c.url << " -> " << ep.status().message();
  }
}

TEST(RedisUrlTest, ErrorsNeverEchoThePassword) {
  for (const char* url : {"redis://:topsecret@host:99999/0", "redis://:topsecret@host:6379/abc",
                          "redis://:topsecret@bad host", "redis://:topsecret%zz@host",
                          "rediss://:topsecret@host:0"}) {
    auto ep = ParseRedisUrl(url);
    ASSERT_FALSE(ep.ok()) << url;
    EXPECT_EQ(ep.status().message().find("topsecret"), std::string::npos) << ep.status().message();
  }
}

TEST(RedisUrlTest, AclUsersAndTheirRedaction) {
  auto ep = ParseRedisUrl("redis://onep-module:s%3Acret@cache:6380/1");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->user, "onep-module");
  EXPECT_EQ(ep->password, "s:cret");
  EXPECT_EQ(ep->Redacted(), "redis://onep-module:***@cache:6380/1");
  // ":password@" and "password@" stay the default user's password.
  EXPECT_EQ(ParseRedisUrl("redis://:a:b@h")->user, "");
  EXPECT_EQ(ParseRedisUrl("redis://:a:b@h")->password, "a:b");
  EXPECT_EQ(ParseRedisUrl("redis://pw@h")->user, "");
  EXPECT_EQ(ParseRedisUrl("redis://pw@h")->password, "pw");
  // A user without a password, and one with characters a URL must escape,
  // survive the redaction.
  auto bare = ParseRedisUrl("redis://u:@h");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->user, "u");
  EXPECT_EQ(ParseRedisUrl(bare->Redacted())->user, "u");
  EXPECT_EQ(ParseRedisUrl(bare->Redacted())->password, "");
  auto odd = ParseRedisUrl("redis://a%40b%3Ac:pw@h");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->user, "a@b:c");
  EXPECT_EQ(ParseRedisUrl(odd->Redacted())->user, "a@b:c");
  EXPECT_EQ(ParseRedisUrl("redis://a%zz:pw@h").status().code(), Code::kInvalidArgument);
}

TEST(RedisTargetTest, EveryTopology) {
  auto single = ParseRedisTarget("redis://:pw@cache:6380/2");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->topology, RedisTopology::kSingle);
  ASSERT_EQ(single->nodes.size(), 1u);
  EXPECT_EQ(single->Redacted(), "redis://:***@cache:6380/2");

  auto cluster = ParseRedisTarget("REDIS-CLUSTER://u:pw@a:7000,b:7001,[::1]:7002");
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  EXPECT_EQ(cluster->topology, RedisTopology::kCluster);
  ASSERT_EQ(cluster->nodes.size(), 3u);
  EXPECT_EQ(cluster->nodes[1].host, "b");
  EXPECT_EQ(cluster->nodes[1].port, 7001);
  EXPECT_EQ(cluster->nodes[2].host, "::1");
  for (const auto& node : cluster->nodes) {
    EXPECT_EQ(node.user, "u");
    EXPECT_EQ(node.password, "pw");
    EXPECT_EQ(node.db, 0);
  }
  EXPECT_EQ(cluster->Redacted(), "redis-cluster://u:***@a:7000,b:7001,[::1]:7002");
  EXPECT_EQ(ParseRedisTarget("redis-cluster://a").value().nodes[0].port, 6379);

  auto sentinel = ParseRedisTarget("redis-sentinel://:pw@s1:26379,s2:26380/mymaster/3");
  ASSERT_TRUE(sentinel.ok()) << sentinel.status().ToString();
  EXPECT_EQ(sentinel->topology, RedisTopology::kSentinel);
  EXPECT_EQ(sentinel->master_name, "mymaster");
  EXPECT_EQ(sentinel->nodes.size(), 2u);
  EXPECT_EQ(sentinel->nodes[0].db, 3);
  EXPECT_EQ(sentinel->Redacted(), "redis-sentinel://:***@s1:26379,s2:26380/mymaster/3");

  for (const char* bad :
       {"redis-cluster://", "redis-cluster://a:7000,", "redis-cluster://a:7000,:7001",
        "redis-cluster://a:7000/1", "redis-cluster://a:0", "redis-sentinel://s1:26379",
        "redis-sentinel://s1:26379/", "redis-sentinel://s1/m a", "redis-sentinel://s1/m/x",
        "http://a", "rediss-cluster://a:7000/1", "rediss-sentinel://s1:26379", "redisss://a",
        "rediss+cluster://a"}) {
    auto target = ParseRedisTarget(bad);
    EXPECT_FALSE(target.ok()) << bad;
    if (!target.ok()) {
      EXPECT_EQ(target.status().code(), Code::kInvalidArgument) << bad;
    }
  }
  // The password never shows in an error.
  auto refused = ParseRedisTarget("redis-cluster://u:topsecret@a:99999");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message().find("topsecret"), std::string::npos);
}

// rediss*: the same URLs over TLS. Every node carries the flag (the cluster
// client copies a seed's settings to the nodes it learns, the Sentinel
// client the master's to the data nodes), and the redacted URL keeps the
// scheme, so that it parses back to a TLS target.
TEST(RedisTargetTest, TlsSchemesAreTheSameUrlsOverTls) {
  auto single = ParseRedisTarget("rediss://u:pw@cache.internal:6380/2");
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(single->topology, RedisTopology::kSingle);
  EXPECT_TRUE(single->tls());
  ASSERT_EQ(single->nodes.size(), 1u);
  EXPECT_TRUE(single->nodes[0].tls);
  EXPECT_EQ(single->nodes[0].host, "cache.internal");
  EXPECT_EQ(single->nodes[0].port, 6380);
  EXPECT_EQ(single->nodes[0].db, 2);
  EXPECT_EQ(single->Redacted(), "rediss://u:***@cache.internal:6380/2");
  EXPECT_EQ(ParseRedisUrl("REDISS://h")->Redacted(), "rediss://h:6379/0");
  EXPECT_TRUE(ParseRedisUrl("rediss://h")->tls);

  auto cluster = ParseRedisTarget("rediss-cluster://:pw@a:7000,[::1]:7001");
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  EXPECT_EQ(cluster->topology, RedisTopology::kCluster);
  ASSERT_EQ(cluster->nodes.size(), 2u);
  for (const auto& node : cluster->nodes) EXPECT_TRUE(node.tls) << node.host;
  EXPECT_EQ(cluster->Redacted(), "rediss-cluster://:***@a:7000,[::1]:7001");

  auto sentinel = ParseRedisTarget(
      "Rediss-Sentinel://:pw@s1:26379,s2/mymaster/1?sentinel_user=sen&sentinel_password=spw");
  ASSERT_TRUE(sentinel.ok()) << sentinel.status().ToString();
  EXPECT_EQ(sentinel->topology, RedisTopology::kSentinel);
  EXPECT_EQ(sentinel->master_name, "mymaster");
  ASSERT_EQ(sentinel->nodes.size(), 2u);
  for (const auto& node : sentinel->nodes) EXPECT_TRUE(node.tls) << node.host;
  EXPECT_EQ(sentinel->Redacted(),
            "rediss-sentinel://:***@s1:26379,s2:6379/mymaster/1?sentinel_user=sen&"
            "sentinel_password=***");

  // The plain schemes stay plain, and every redacted URL parses back to the
  // same transport.
  for (const char* url :
       {"redis://h", "redis-cluster://a:7000", "redis-sentinel://s/m", "unix:///r.sock",
        "rediss://h", "rediss-cluster://a:7000", "rediss-sentinel://s/m"}) {
    auto target = ParseRedisTarget(url);
    ASSERT_TRUE(target.ok()) << url << ": " << target.status().ToString();
    EXPECT_EQ(target->tls(), std::string(url).rfind("rediss", 0) == 0) << url;
    auto again = ParseRedisTarget(target->Redacted());
    ASSERT_TRUE(again.ok()) << target->Redacted();
    EXPECT_EQ(again->tls(), target->tls()) << url;
    EXPECT_EQ(again->topology, target->topology) << url;
  }
  // The same rules as the plain schemes, the password never echoed.
  for (const char* bad :
       {"rediss://:topsecret@h:0", "rediss-cluster://:topsecret@a:7000/1",
        "rediss-sentinel://:topsecret@s1:26379", "rediss-sentinel://:topsecret@s1/m a"}) {
    auto target = ParseRedisTarget(bad);
    ASSERT_EQ(target.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(target.status().message().find("topsecret"), std::string::npos)
        << target.status().message();
  }
}

// The userinfo is the master's; the sentinels' own credentials are query
// parameters, and the sentinels get no AUTH without them.
TEST(RedisTargetTest, SentinelCredentialsAreQueryParameters) {
  auto plain = ParseRedisTarget("redis-sentinel://u:pw@s1:26379/mymaster");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->nodes[0].user, "u");
  EXPECT_EQ(plain->nodes[0].password, "pw");
  EXPECT_EQ(plain->sentinel_user, "");
  EXPECT_EQ(plain->sentinel_password, "");

  auto both = ParseRedisTarget(
      "redis-sentinel://u:p%3Fw@s1:26379,s2:26380/mymaster/2"
      "?sentinel_user=watch%2Der&sentinel_password=s%40c%26ret");
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->nodes.size(), 2u);
  EXPECT_EQ(both->nodes[1].password, "p?w");
  EXPECT_EQ(both->nodes[1].db, 2);
  EXPECT_EQ(both->master_name, "mymaster");
  EXPECT_EQ(both->sentinel_password, "s@c&ret");
  EXPECT_EQ(both->sentinel_user, "watch-er");

  auto only_password = ParseRedisTarget("redis-sentinel://s1:26379/m?sentinel_password=sp");
  ASSERT_TRUE(only_password.ok()) << only_password.status().ToString();
  EXPECT_EQ(only_password->sentinel_password, "sp");
  EXPECT_EQ(only_password->nodes[0].password, "");
  EXPECT_EQ(only_password->Redacted(), "redis-sentinel://s1:26379/m/0?sentinel_password=***");

  auto named =
      ParseRedisTarget("redis-sentinel://:pw@s1:26379/m?sentinel_user=w&sentinel_password=sp");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->Redacted(),
            "redis-sentinel://:***@s1:26379/m/0?sentinel_user=w&sentinel_password=***");
  // The redacted form parses back to the same sentinels and user.
  auto again = ParseRedisTarget(named->Redacted());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->sentinel_user, "w");
  EXPECT_EQ(again->sentinel_password, "***");

  for (const char* bad :
       {"redis-sentinel://s1/m?db=1", "redis-sentinel://s1/m?sentinel_password",
        "redis-sentinel://s1/m?sentinel_password=a&sentinel_password=b",
        "redis-sentinel://s1/m?sentinel_user=w", "redis-sentinel://s1/m?sentinel_password=%zz"}) {
    auto target = ParseRedisTarget(bad);
    EXPECT_FALSE(target.ok()) << bad;
  }
  auto refused = ParseRedisTarget("redis-sentinel://s1/m?sentinel_password=topsecret&x=1");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message().find("topsecret"), std::string::npos);
}

TEST(KeyPrefixTest, Validation) {
  for (const std::string& ok : {std::string("onep:"), std::string("a"), std::string("x:y:z/"),
                                std::string(64, 'p'), std::string("~!@#$%^&*()_+-=[]|;'\",.<>?")}) {
    EXPECT_TRUE(ValidateKeyPrefix(ok).ok()) << ok;
  }
  EXPECT_EQ(kDefaultKeyPrefix, "onep:");
  EXPECT_TRUE(ValidateKeyPrefix(kDefaultKeyPrefix).ok());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "1 to 64"},          {std::string(65, 'p'), "1 to 64"},
      {"on ep:", "space"},      {"onep{x}:", "'{'"},
      {"onep}:", "'}'"},        {"onep:\n", "printable"},
      {"onep:\t", "printable"}, {"onep:\x7F", "printable"},
      {"onép:", "printable"},   {std::string("on\0ep", 5), "printable"},
  };
  for (const auto& [prefix, reason] : bad) {
    Status st = ValidateKeyPrefix(prefix);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << "accepted: " << prefix;
    EXPECT_NE(st.message().find("prefix"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(reason), std::string::npos) << prefix << " -> " << st.message();
  }
}

}  // namespace
}  // namespace onep
