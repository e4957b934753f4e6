// SPDX-License-Identifier: Apache-2.0
// The TLS recipe of docs/operations.md, run for real: a redis-server that
// accepts only TLS (port 0, tls-port, client certificates required), Debian's
// stunnel4 in front of it on a loopback port, and the module and onepctl
// reaching Redis through the tunnel. A dead tunnel is a closed loopback port:
// 503 at once, and service comes back when the tunnel does, without
// restarting Apache.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/load.h"
#include "support/process.h"
#include "support/tls_certs.h"

namespace onep::testing {
namespace {

constexpr char kPassword[] = "tls-pw";

// A process of the test's own, stopped by its pid.
class Daemon {
 public:
  Daemon(std::string what, std::string log) : what_(std::move(what)), log_(std::move(log)) {}
  ~Daemon() {
    Stop();
    PrintLogIfTestFailed(what_, log_, 60);
  }
  void Start(const std::vector<std::string>& argv) { pid_ = Spawn(argv, log_); }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }

 private:
  std::string what_;
  std::string log_;
  pid_t pid_ = -1;
};

// Waits up to 10 s for something to accept connections on `port`.
::testing::AssertionResult Listening(int port, const std::string& log) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (PortAcceptsConnections(port)) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ::testing::AssertionFailure() << "nothing listens on " << port << "; log:\n"
                                       << ReadFile(log);
}

std::string Field(const std::string& json, const char* key) {
  JsonPtr doc(json_loads(json.c_str(), 0, nullptr));
  const char* value = json_string_value(json_object_get(doc.get(), key));
  return value ? value : "";
}

// The folder of the test's certificates, configurations and logs; removed
// last, after the daemons have stopped and printed their logs.
struct Folder {
  std::string path = MakeTempDir("tls");
  ~Folder() { RemoveTree(path); }
};

TEST(ModuleTlsTest, TheModuleAndOnepctlReachATlsOnlyRedisThroughStunnel) {
  ONEP_SINGLE_REDIS_ONLY("it starts its own TLS-only redis-server");
  ASSERT_TRUE(ProgramInstalled(ServerProgram("server"), ServerPackage("server")));
  ASSERT_TRUE(ProgramInstalled("/usr/bin/stunnel4", "stunnel4"));
  Folder folder;
  const std::string& dir = folder.path;
  ASSERT_NO_FATAL_FAILURE(MakeTestCertificates(dir));

  // Redis: TLS only, client certificates required (Redis' default).
  const int tls_port = FreePort();
  WriteFile(dir + "/redis.conf", "port 0\nbind 127.0.0.1\ntls-port " + std::to_string(tls_port) +
                                     "\ndir " + dir + "\ntls-cert-file " + dir +
                                     "/redis.crt\ntls-key-file " + dir +
                                     "/redis.key\ntls-ca-cert-file " + dir +
                                     "/ca.crt\ntls-auth-clients yes\nrequirepass " + kPassword +
                                     "\nsave \"\"\nappendonly no\ndaemonize no\nlogfile \"\"\n");
  Daemon redis("redis-server log", dir + "/redis.log");
  redis.Start({ServerProgram("server"), dir + "/redis.conf"});
  ASSERT_TRUE(Listening(tls_port, dir + "/redis.log"));
  {
    // Plain RESP on the TLS port gets no answer: the tunnel is needed.
    RedisOptions plain;
    plain.endpoint.host = "127.0.0.1";
    plain.endpoint.port = tls_port;
    plain.endpoint.password = kPassword;
    plain.timeout = std::chrono::milliseconds(1000);
    auto conn = RedisConnection::Connect(plain);
    EXPECT_FALSE(conn.ok() && (*conn)->Command({"PING"}).ok());
  }

  // stunnel4, as in docs/operations.md: client mode, the chain and the host
  // name checked, the client certificate presented.
  const int tunnel_port = FreePort();
  WriteFile(dir + "/stunnel.conf", "foreground = yes\npid =\noutput = " + dir +
                                       "/stunnel.log\n[onep-redis]\nclient = yes\naccept = "
                                       "127.0.0.1:" +
                                       std::to_string(tunnel_port) + "\nconnect = 127.0.0.1:" +
                                       std::to_string(tls_port) + "\nCAfile = " + dir +
                                       "/ca.crt\nverifyChain = yes\ncheckHost = localhost\n"
                                       "cert = " +
                                       dir + "/client.crt\nkey = " + dir + "/client.key\n");
  Daemon tunnel("stunnel log", dir + "/stunnel.log");
  tunnel.Start({"/usr/bin/stunnel4", dir + "/stunnel.conf"});
  ASSERT_TRUE(Listening(tunnel_port, dir + "/stunnel.log"));

  const std::string url =
      "redis://:" + std::string(kPassword) + "@127.0.0.1:" + std::to_string(tunnel_port) + "/0";
  const std::map<std::string, std::string> cli = {{"ONEP_REDIS_URL", url}};
  RunResult created = ::onep::testing::Run(
      {ONEPCTL_PATH, "create", "--org", "acme", "--type", "hits", "--name", "web", "--json"}, cli);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string token = Field(created.out, "token");
  ASSERT_FALSE(token.empty()) << created.out;

  ApacheServer apache([&] {
    ApacheOptions o;
    o.server_directives = {"OnepRedis " + url, "OnepKeyPrefix onep:", "OnepRedisTimeout 500ms"};
    return o;
  }());
  ASSERT_TRUE(apache.Start());

  auto accepted = PostJson(apache.port(), "/onep/hits", token, R"({"app":"web","message":"tls"})");
  ASSERT_EQ(accepted.status, 202) << accepted.body << apache.ErrorLog();
  const std::string event_id = accepted.JsonString("id");

  // The event is in the TLS-only Redis: onepctl reads it back through the tunnel.
  RunResult events = ::onep::testing::Run({ONEPCTL_PATH, "events", "--org", "acme", "--json"}, cli);
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_NE(events.out.find("\"" + event_id + "\""), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("\"tls\""), std::string::npos) << events.out;

  // The tunnel goes away: 503 store_unavailable, nothing else.
  tunnel.Stop();
  for (int i = 0; i < 4; ++i) {
    auto refused = PostJson(apache.port(), "/onep/hits", token, R"({"app":"web"})");
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(refused.ErrorCode(), "store_unavailable") << refused.body;
  }

  // It comes back on the same port: so does the service, Apache untouched.
  tunnel.Start({"/usr/bin/stunnel4", dir + "/stunnel.conf"});
  ASSERT_TRUE(Listening(tunnel_port, dir + "/stunnel.log"));
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    status = PostJson(apache.port(), "/onep/hits", token, R"({"app":"web"})").status;
    if (status == 202) break;
    EXPECT_EQ(status, 503);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 202) << apache.ErrorLog();

  RunResult stats = ::onep::testing::Run({ONEPCTL_PATH, "stats", "--org", "acme", "--json"}, cli);
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  JsonPtr rows(json_loads(stats.out.c_str(), 0, nullptr));
  ASSERT_EQ(json_array_size(rows.get()), 1u) << stats.out;
  EXPECT_EQ(json_integer_value(json_object_get(json_array_get(rows.get(), 0), "hits")), 2)
      << stats.out;
  ExpectNoChildCrash(apache);
}

}  // namespace
}  // namespace onep::testing
