// SPDX-License-Identifier: Apache-2.0
// A real /usr/sbin/apache2 loading the built mod_onep, on a free loopback
// port, with a generated configuration in a temporary folder of its own (its
// own ServerRoot, PidFile, Mutex dir and ErrorLog; /etc/apache2 is never
// read). Stopped by the PID in its PidFile only.
#ifndef ONEP_TESTS_SUPPORT_APACHE_SERVER_H_
#define ONEP_TESTS_SUPPORT_APACHE_SERVER_H_

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/redis_client.h"
#include "onep/redis_connection.h"
#include "onep/redis_credential_store.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/test_redis.h"

namespace onep::testing {

struct ApacheOptions {
  std::string module_path;    // default: MOD_ONEP_PATH when the test defines it
  std::string mpm = "event";  // event, worker or prefork
  // Processes and threads: several of each by default, so that tests see
  // more than one child and more than one thread per child.
  int start_servers = 2;
  int server_limit = 2;
  int threads_per_child = 4;
  std::string log_level = "warn onep:debug";
  std::string location = "/onep";
  // Lines at server level (e.g. "OnepRedis redis://127.0.0.1:1234/0").
  std::vector<std::string> server_directives;
  // Lines inside the <Location> block, after "SetHandler onep".
  std::vector<std::string> location_directives;
  // Free text appended at the end of the configuration (extra sections).
  std::string extra_config;
};

class ApacheServer {
 public:
  explicit ApacheServer(ApacheOptions options);
  ~ApacheServer();  // stops the server if it runs and removes its folder
  ApacheServer(const ApacheServer&) = delete;
  ApacheServer& operator=(const ApacheServer&) = delete;

  // Writes the configuration and starts Apache; succeeds once the PidFile is
  // written and the port answers. On failure the message holds the error log.
  ::testing::AssertionResult Start();
  // SIGTERM to the PID in the PidFile, then waits for the server to exit.
  void Stop();
  // A crash: SIGKILL to every child, then to the parent, which is reaped;
  // returns once every one of them is gone. Start() may follow.
  void Kill();

  // The options, to change before Start() (e.g. a directive that names a
  // port known only once the stack exists).
  ApacheOptions& options() { return options_; }

  // Runs `apache2 -t -f <conf>` on the generated configuration.
  RunResult ConfigTest() const;

  // The parent process (from the PidFile; -1 when not running) and its
  // children, the processes that serve requests.
  pid_t ParentPid() const;
  std::vector<pid_t> ChildPids() const;

  // `apache2 -f <conf> -k graceful`, as `apachectl -k graceful` does: the
  // parent re-reads the configuration, old children finish their requests
  // and new ones take over. Returns once the command has signalled the parent.
  ::testing::AssertionResult Graceful();
  // graceful-stop: SIGWINCH to the parent, which closes its listeners, lets
  // the children finish the requests they have and then exits. Returns at
  // once; WaitForExit() waits for the end.
  ::testing::AssertionResult SignalGracefulStop();
  // Waits up to `limit` for the parent started by Start() to exit, and reaps
  // it. True when it has exited (then Stop() has nothing left to do).
  bool WaitForExit(std::chrono::milliseconds limit);

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string conf_path() const { return dir_ + "/httpd.conf"; }
  // http://127.0.0.1:PORT/onep (the location, no trailing slash)
  std::string base_url() const;
  std::string ErrorLog() const;
  // The PIDs of the processes whose error log lines contain `needle`.
  std::vector<long> PidsInLog(const std::string& needle) const;
  // Waits, polling, up to `bound` until every child (ChildPids()) has written
  // a line containing `needle`. True when each has.
  bool WaitUntilEveryChildLogged(const std::string& needle, std::chrono::milliseconds bound) const;

  // The configuration text that Start() writes.
  std::string ConfigText() const;

 private:
  ApacheOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t spawned_pid_ = -1;
};

// `apache2 -t` on a configuration built from `options` (in a fresh temporary
// folder): exit code and output.
RunResult ApacheConfigTest(const ApacheOptions& options);

// What most module tests need: a Redis, an Apache whose OnepRedis points at
// it, and an admin connection with the core services to create credentials
// and read events (as onepctl would).
class OnepStack {
 public:
  // With a `redis_password`, Redis requires it and OnepRedis carries it.
  explicit OnepStack(ApacheOptions options = {}, std::vector<std::string> redis_config = {},
                     std::string key_prefix = "onep:", std::string redis_password = "");
  // On a Redis Cluster of the test's own.
  OnepStack(ApacheOptions options, RedisCluster& own_cluster);
  // On a Redis Sentinel group of the test's own.
  OnepStack(ApacheOptions options, RedisSentinelGroup& own_group);

  // Starts Apache (Redis is already up); the server config starts with
  // "OnepRedis <redis url>" and "OnepKeyPrefix <key_prefix>".
  ::testing::AssertionResult Start();

  TestRedis& redis() { return redis_; }
  ApacheServer& apache() { return *apache_; }
  int port() const { return apache_->port(); }
  // "/onep" + route
  std::string path(const std::string& route) const { return location_ + route; }

  // A raw connection to the single Redis server (reconnects after a
  // restart). Single-Redis tests only.
  RedisConnection& conn();
  // The admin side, as onepctl has it: a client and the core services on it.
  RedisClient& client();
  CredentialService& service();
  IssuedCredential Create(const std::string& org, const std::string& type,
                          const std::string& app = "");
  std::vector<StoredEvent> Events(const std::string& org, std::size_t limit = 1000);
  // The routing tag of an org that has one ("" otherwise): its keys are
  // "<prefix>{<tag>}:...".
  std::string Tag(const std::string& org);
  // Drops the admin connection (e.g. before Redis is stopped).
  void Disconnect();

  // INFO stats counters of the Redis server, e.g. "total_commands_processed".
  long long Stat(const std::string& name);

 private:
  TestRedis redis_;
  std::unique_ptr<ApacheServer> apache_;
  std::string location_;
  KeySpace keys_;
  std::unique_ptr<RedisConnection> conn_;
  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<RedisCredentialStore> store_;
  std::unique_ptr<CredentialService> service_;
};

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_APACHE_SERVER_H_
