// SPDX-License-Identifier: Apache-2.0
// Native TLS to Redis (rediss://, rediss-cluster://, OnepRedisTLS, onepctl
// --tls-*), run for real: a TLS-only redis-server (port 0, tls-port, client
// certificates required) and a TLS-only Redis Cluster, the module in a real
// Apache and onepctl reaching them directly, and certificates that must not
// verify refused with a clear reason.
//
// These need a build with TLS (hiredis with hiredis_ssl); a build without it
// skips them, and runs instead the test that such a build refuses rediss://
// with what to do. A build that lacks TLS on a system that has hiredis_ssl
// fails: the skip must not hide a build that lost its TLS.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "onep/redis_tls.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/load.h"
#include "support/process.h"
#include "support/redis_cluster.h"
#include "support/tls_certs.h"

namespace onep::testing {
namespace {

constexpr char kPassword[] = "tls-pw";

using Env = std::map<std::string, std::string>;

bool SystemHasHiredisTls() {
  return ::onep::testing::Run({"/bin/sh", "-c", "pkg-config --exists hiredis_ssl"}).exit_code == 0;
}

// Skips the test in a build without TLS to Redis, unless the system has
// hiredis_ssl: then the build should have found it, and the test fails.
#define ONEP_NEEDS_REDIS_TLS()                                                        \
  if (!RedisTlsAvailable()) {                                                         \
    ASSERT_FALSE(SystemHasHiredisTls())                                               \
        << "hiredis_ssl is installed, but this build has no TLS to Redis (CMake did " \
           "not find it)";                                                            \
    GTEST_SKIP() << "this build has no TLS to Redis (hiredis without hiredis_ssl)";   \
  }

std::string Field(const std::string& json, const char* key) {
  JsonPtr doc(json_loads(json.c_str(), 0, nullptr));
  const char* value = json_string_value(json_object_get(doc.get(), key));
  return value ? value : "";
}

// onepctl's one line on stderr, without its newline.
::testing::AssertionResult OneLine(const RunResult& r) {
  if (r.err.empty() || r.err.find('\n') != r.err.size() - 1) {
    return ::testing::AssertionFailure() << "not one line: " << r.err;
  }
  return ::testing::AssertionSuccess();
}

// The certificates and a TLS-only redis-server with a password, in a folder
// of the test's own; the server stopped by its pid.
class ModuleRedisTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ONEP_SINGLE_REDIS_ONLY("it starts its own TLS-only redis-server");
    ONEP_NEEDS_REDIS_TLS();
    dir_ = MakeTempDir("redis-tls");
    ASSERT_NO_FATAL_FAILURE(certs_ = MakeTestCertificates(dir_));
    ASSERT_NO_FATAL_FAILURE(
        redis_.Start(dir_, certs_, "requirepass " + std::string(kPassword) + "\n"));
    port_ = redis_.port();
  }

  void TearDown() override {
    redis_.Stop();
    if (!dir_.empty()) RemoveTree(dir_);
  }

  std::string Url(const std::string& host = "127.0.0.1") const {
    return "rediss://:" + std::string(kPassword) + "@" + host + ":" + std::to_string(port_) + "/0";
  }

  // onepctl with the URL and `tls` (--tls-* options) before `args`.
  RunResult Ctl(const std::vector<std::string>& tls, const std::vector<std::string>& args,
                const Env& env = {}) const {
    std::vector<std::string> argv = {ONEPCTL_PATH, "--redis", Url()};
    argv.insert(argv.end(), tls.begin(), tls.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return ::onep::testing::Run(argv, env);
  }

  std::vector<std::string> GoodTls() const {
    return {"--tls-ca",         certs_.ca,   "--tls-cert",
            certs_.client_cert, "--tls-key", certs_.client_key};
  }

  // An Apache whose Redis is this one, with `tls_line` (OnepRedisTLS ...).
  std::unique_ptr<ApacheServer> Apache(const std::string& tls_line) const {
    ApacheOptions o;
    o.server_directives = {"OnepRedis " + Url(), tls_line,
                           "OnepKeyPrefix onep:", "OnepRedisTimeout 500ms"};
    return std::make_unique<ApacheServer>(o);
  }

  std::string dir_;
  TestCertificates certs_;
  TlsOnlyRedis redis_;
  int port_ = 0;
};

TEST_F(ModuleRedisTlsTest, TheModuleAndOnepctlUseATlsOnlyRedisOverRediss) {
  // onepctl with the options.
  RunResult created =
      Ctl(GoodTls(), {"create", "--org", "acme", "--type", "hits", "--name", "web", "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string token = Field(created.out, "token");
  ASSERT_FALSE(token.empty()) << created.out;

  auto apache =
      Apache("OnepRedisTLS " + certs_.ca + " " + certs_.client_cert + " " + certs_.client_key);
  ASSERT_TRUE(apache->Start());
  auto accepted =
      PostJson(apache->port(), "/onep/hits", token, R"({"app":"web","message":"over tls"})");
  ASSERT_EQ(accepted.status, 202) << accepted.body << apache->ErrorLog();
  const std::string event_id = accepted.JsonString("id");
  EXPECT_EQ(Get(apache->port(), "/onep/health").status, 200);

  // onepctl with the environment variables instead: the event is there.
  const Env env = {{"ONEP_REDIS_URL", Url()},
                   {"ONEP_REDIS_TLS_CA", certs_.ca},
                   {"ONEP_REDIS_TLS_CERT", certs_.client_cert},
                   {"ONEP_REDIS_TLS_KEY", certs_.client_key}};
  RunResult events = ::onep::testing::Run({ONEPCTL_PATH, "events", "--org", "acme", "--json"}, env);
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_NE(events.out.find("\"" + event_id + "\""), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("\"over tls\""), std::string::npos) << events.out;

  // The server name can be given (the certificate names localhost too).
  RunResult named = ::onep::testing::Run({ONEPCTL_PATH, "--tls-sni", "localhost", "orgs"}, env);
  EXPECT_EQ(named.exit_code, 0) << named.err;
  ExpectNoChildCrash(*apache);
}

// What must not verify is refused: onepctl exits 1 with one line naming the
// reason, the module answers 503 store_unavailable and logs the reason.
TEST_F(ModuleRedisTlsTest, ACertificateThatDoesNotVerifyIsRefused) {
  RunResult created =
      Ctl(GoodTls(), {"create", "--org", "acme", "--type", "hits", "--name", "web", "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string token = Field(created.out, "token");

  struct Case {
    std::string what;
    std::vector<std::string> cli;  // --tls-* options
    std::string directive;         // OnepRedisTLS ...
    std::string reason;            // in onepctl's line and the error log
  };
  const std::string client = certs_.client_cert + " " + certs_.client_key;
  const std::vector<Case> cases = {
      {"a CA that did not sign Redis' certificate",
       {"--tls-ca", certs_.other_ca, "--tls-cert", certs_.client_cert, "--tls-key",
        certs_.client_key},
       "OnepRedisTLS " + certs_.other_ca + " " + client,
       "certificate verify failed ("},
      {"a server name the certificate does not have",
       {"--tls-ca", certs_.ca, "--tls-cert", certs_.client_cert, "--tls-key", certs_.client_key,
        "--tls-sni", "redis.example.com"},
       "OnepRedisTLS " + certs_.ca + " " + client + " redis.example.com",
       "certificate verify failed (hostname mismatch)"},
      {"no client certificate",
       {"--tls-ca", certs_.ca},
       "OnepRedisTLS " + certs_.ca,
       "Redis asked for a client certificate, and none is configured"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    RunResult refused = Ctl(c.cli, {"orgs"});
    EXPECT_EQ(refused.exit_code, 1) << refused.err;
    EXPECT_TRUE(OneLine(refused));
    EXPECT_NE(refused.err.find(c.reason), std::string::npos) << refused.err;
    EXPECT_EQ(refused.err.find(kPassword), std::string::npos) << refused.err;

    auto apache = Apache(c.directive);
    ASSERT_TRUE(apache->Start());
    for (int i = 0; i < 2; ++i) {
      auto response = PostJson(apache->port(), "/onep/hits", token, R"({"app":"web"})");
      EXPECT_EQ(response.status, 503) << response.body;
      EXPECT_EQ(response.ErrorCode(), "store_unavailable") << response.body;
    }
    EXPECT_EQ(Get(apache->port(), "/onep/health").status, 503);
    EXPECT_NE(apache->ErrorLog().find(c.reason), std::string::npos) << apache->ErrorLog();
    ExpectNoChildCrash(*apache);
  }
  // Nothing refused was recorded.
  RunResult events = Ctl(GoodTls(), {"events", "--org", "acme", "--json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  JsonPtr list(json_loads(events.out.c_str(), 0, nullptr));
  EXPECT_EQ(json_array_size(list.get()), 0u) << events.out;
}

// OnepRedisTLS reads its files when Apache reads its configuration: one that
// cannot be used stops `apache2 -t`, naming the directive and the file.
TEST(ModuleRedisTlsConfigTest, FilesThatCannotBeUsedStopTheConfigCheck) {
  ONEP_NEEDS_REDIS_TLS();
  const std::string dir = MakeTempDir("redis-tls-conf");
  TestCertificates certs;
  ASSERT_NO_FATAL_FAILURE(certs = MakeTestCertificates(dir));
  WriteFile(dir + "/not-pem.crt", "not a certificate\n");
  auto check = [](const std::string& tls_line) {
    ApacheOptions o;
    o.server_directives = {"OnepRedis rediss://127.0.0.1:6380/0", tls_line};
    return ApacheConfigTest(o);
  };
  struct Case {
    std::string directive;
    std::string message;
  };
  const std::vector<Case> bad = {
      {"OnepRedisTLS " + dir + "/missing.crt",
       "OnepRedisTLS: cannot use the CA file " + dir + "/missing.crt: No such file or directory"},
      {"OnepRedisTLS " + dir + "/not-pem.crt",
       "OnepRedisTLS: cannot use the CA file " + dir + "/not-pem.crt"},
      {"OnepRedisTLS " + certs.ca + " " + dir + "/missing.crt " + certs.client_key,
       "OnepRedisTLS: cannot use the certificate file " + dir + "/missing.crt"},
      {"OnepRedisTLS " + certs.ca + " " + certs.client_cert + " " + certs.server_key,
       "OnepRedisTLS: the key file " + certs.server_key + " is not the key of the certificate " +
           certs.client_cert},
      {"OnepRedisTLS " + certs.ca + " a b c d",
       "OnepRedisTLS: takes CAFILE [CERTFILE KEYFILE] [SNI]"},
  };
  for (const Case& c : bad) {
    RunResult r = check(c.directive);
    EXPECT_NE(r.exit_code, 0) << c.directive;
    EXPECT_NE((r.out + r.err).find(c.message), std::string::npos) << c.directive << "\n"
                                                                  << r.out << r.err;
  }
  for (const std::string& good :
       {"OnepRedisTLS " + certs.ca, "OnepRedisTLS " + certs.ca + " localhost",
        "OnepRedisTLS " + certs.ca + " " + certs.client_cert + " " + certs.client_key,
        "OnepRedisTLS " + certs.ca + " " + certs.client_cert + " " + certs.client_key +
            " localhost"}) {
    RunResult r = check(good);
    EXPECT_EQ(r.exit_code, 0) << good << "\n" << r.out << r.err;
  }
  RemoveTree(dir);
}

// A build without TLS (hiredis 0.14) says what to do instead, at config
// check time and in onepctl.
TEST(ModuleRedisTlsConfigTest, WithoutTlsRedissIsRefusedWithWhatToDo) {
  if (RedisTlsAvailable()) GTEST_SKIP() << "this build has TLS to Redis";
  const std::string todo =
      " needs hiredis with TLS (libhiredis-dev 1.x, as in Debian 13); on this system use the "
      "stunnel recipe in docs/operations.md (redis:// to a local stunnel)";
  for (const std::string url : {"rediss://127.0.0.1:6380/0", "rediss-cluster://127.0.0.1:7000",
                                "rediss-sentinel://127.0.0.1:26379/mymaster"}) {
    const std::string scheme = url.substr(0, url.find("://") + 3);
    ApacheOptions o;
    o.server_directives = {"OnepRedis " + url};
    RunResult r = ApacheConfigTest(o);
    EXPECT_NE(r.exit_code, 0) << url;
    EXPECT_NE((r.out + r.err).find("OnepRedis: " + scheme + todo), std::string::npos)
        << r.out << r.err;

    RunResult ctl = ::onep::testing::Run({ONEPCTL_PATH, "--redis", url, "orgs"});
    EXPECT_EQ(ctl.exit_code, 2) << ctl.err;
    EXPECT_EQ(ctl.err, "onepctl: " + scheme + todo + "\n");
  }
  ApacheOptions o;
  o.server_directives = {"OnepRedisTLS /etc/ssl/certs/ca-certificates.crt"};
  RunResult r = ApacheConfigTest(o);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("OnepRedisTLS: TLS to Redis" + todo), std::string::npos)
      << r.out << r.err;
  // The stunnel recipe's plain URL is still fine.
  o.server_directives = {"OnepRedis redis://127.0.0.1:6380/0"};
  EXPECT_EQ(ApacheConfigTest(o).exit_code, 0);
}

// A TLS-only Redis Cluster (TLS between the nodes too), given by one seed:
// the other masters are learnt from CLUSTER SHARDS and reached over TLS, by
// the module and by onepctl, for organizations whose keys live on each.
TEST(ModuleRedisTlsClusterTest, TheModuleAndOnepctlUseATlsCluster) {
  ONEP_SINGLE_REDIS_ONLY("it starts its own TLS cluster");
  ONEP_NEEDS_REDIS_TLS();
  const std::string dir = MakeTempDir("redis-tls-cluster");
  TestCertificates certs;
  ASSERT_NO_FATAL_FAILURE(certs = MakeTestCertificates(dir));
  {
    RedisCluster cluster(&certs);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    ASSERT_EQ(cluster.url().rfind("rediss-cluster://", 0), 0u) << cluster.url();
    const std::string url = "rediss-cluster://127.0.0.1:" + std::to_string(cluster.Masters()[0]);
    const Env env = {{"ONEP_REDIS_URL", url},
                     {"ONEP_REDIS_TLS_CA", certs.ca},
                     {"ONEP_REDIS_TLS_CERT", certs.client_cert},
                     {"ONEP_REDIS_TLS_KEY", certs.client_key}};
    ApacheOptions o;
    o.server_directives = {
        "OnepRedis " + url,
        "OnepRedisTLS " + certs.ca + " " + certs.client_cert + " " + certs.client_key,
        "OnepRedisTimeout 2s"};
    ApacheServer apache(o);
    ASSERT_TRUE(apache.Start());
    // Enough organizations (each a random routing tag) that every master
    // holds one, with odds of missing one below 1e-10.
    std::map<std::string, std::string> events;  // org -> event id
    for (int i = 0; i < 24; ++i) {
      const std::string org = "org" + std::to_string(i);
      RunResult created = ::onep::testing::Run(
          {ONEPCTL_PATH, "create", "--org", org, "--type", "hits", "--name", "web", "--json"}, env);
      ASSERT_EQ(created.exit_code, 0) << created.err;
      auto accepted =
          PostJson(apache.port(), "/onep/hits", Field(created.out, "token"), R"({"app":"web"})");
      ASSERT_EQ(accepted.status, 202) << accepted.body << apache.ErrorLog();
      events[org] = accepted.JsonString("id");
    }
    for (const auto& [org, id] : events) {
      RunResult listed =
          ::onep::testing::Run({ONEPCTL_PATH, "events", "--org", org, "--json"}, env);
      ASSERT_EQ(listed.exit_code, 0) << listed.err;
      EXPECT_NE(listed.out.find("\"" + id + "\""), std::string::npos) << org << listed.out;
    }
    // Every master took writes over TLS.
    for (int master : cluster.Masters()) {
      EXPECT_GT(cluster.CommandCalls(master, "evalsha") + cluster.CommandCalls(master, "eval"), 0)
          << master;
    }
    // The wrong CA is refused by every node alike.
    RunResult refused =
        ::onep::testing::Run({ONEPCTL_PATH, "--tls-ca", certs.other_ca, "orgs"}, env);
    EXPECT_EQ(refused.exit_code, 1) << refused.err;
    EXPECT_NE(refused.err.find("certificate verify failed"), std::string::npos) << refused.err;
    ExpectNoChildCrash(apache);
  }
  RemoveTree(dir);
}

}  // namespace
}  // namespace onep::testing
