// SPDX-License-Identifier: Apache-2.0
// rediss-sentinel://: the sentinels and the master they name, all TLS only
// (client certificates required), reached by the module and by onepctl over
// TLS; after a failover, the new master too.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "onep/redis_tls.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/load.h"
#include "support/process.h"
#include "support/redis_sentinel.h"
#include "support/tls_certs.h"

namespace onep::testing {
namespace {

std::string Field(const std::string& json, const char* key) {
  JsonPtr doc(json_loads(json.c_str(), 0, nullptr));
  const char* value = json_string_value(json_object_get(doc.get(), key));
  return value ? value : "";
}

TEST(SentinelTlsTest, TheModuleAndOnepctlReachATlsMasterThroughTlsSentinels) {
  if (!RedisTlsAvailable()) {
    ASSERT_NE(::onep::testing::Run({"/bin/sh", "-c", "pkg-config --exists hiredis_ssl"}).exit_code,
              0)
        << "hiredis_ssl is installed, but this build has no TLS to Redis";
    GTEST_SKIP() << "this build has no TLS to Redis (hiredis without hiredis_ssl)";
  }
  const std::string dir = MakeTempDir("sentinel-tls");
  TestCertificates certs;
  ASSERT_NO_FATAL_FAILURE(certs = MakeTestCertificates(dir));
  {
    RedisSentinelGroup::Options group_options;
    group_options.replicas = 1;
    group_options.data_password = "data-pw";
    group_options.tls = &certs;
    RedisSentinelGroup group(group_options);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    const std::string url = group.url();
    ASSERT_EQ(url.rfind("rediss-sentinel://", 0), 0u) << url;
    const std::map<std::string, std::string> env = {{"ONEP_REDIS_URL", url},
                                                    {"ONEP_REDIS_TLS_CA", certs.ca},
                                                    {"ONEP_REDIS_TLS_CERT", certs.client_cert},
                                                    {"ONEP_REDIS_TLS_KEY", certs.client_key}};
    RunResult created = ::onep::testing::Run(
        {ONEPCTL_PATH, "create", "--org", "acme", "--type", "hits", "--name", "web", "--json"},
        env);
    ASSERT_EQ(created.exit_code, 0) << created.err;
    const std::string token = Field(created.out, "token");

    ApacheOptions o;
    o.server_directives = {
        "OnepRedis " + url,
        "OnepRedisTLS " + certs.ca + " " + certs.client_cert + " " + certs.client_key,
        "OnepRedisTimeout 2s"};
    ApacheServer apache(o);
    ASSERT_TRUE(apache.Start());
    auto before = PostJson(apache.port(), "/onep/hits", token, R"({"app":"web"})");
    ASSERT_EQ(before.status, 202) << before.body << apache.ErrorLog();

    // A new master, named by the sentinels over TLS, reached over TLS.
    ASSERT_NE(group.Failover(), 0);
    int status = 0;
    std::string after_id;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (status != 202 && std::chrono::steady_clock::now() < deadline) {
      auto after = PostJson(apache.port(), "/onep/hits", token, R"({"app":"web"})");
      status = after.status;
      if (status == 202) after_id = after.JsonString("id");
      if (status != 202) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(status, 202) << apache.ErrorLog();

    RunResult events =
        ::onep::testing::Run({ONEPCTL_PATH, "events", "--org", "acme", "--json"}, env);
    ASSERT_EQ(events.exit_code, 0) << events.err;
    EXPECT_NE(events.out.find("\"" + before.JsonString("id") + "\""), std::string::npos)
        << events.out;
    EXPECT_NE(events.out.find("\"" + after_id + "\""), std::string::npos) << events.out;

    // A server name the certificates do not have is refused by the sentinels.
    RunResult refused =
        ::onep::testing::Run({ONEPCTL_PATH, "--tls-sni", "redis.example.com", "orgs"}, env);
    EXPECT_EQ(refused.exit_code, 1) << refused.err;
    EXPECT_NE(refused.err.find("hostname mismatch"), std::string::npos) << refused.err;
    ExpectNoChildCrash(apache);
  }
  RemoveTree(dir);
}

}  // namespace
}  // namespace onep::testing
