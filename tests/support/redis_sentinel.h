// SPDX-License-Identifier: Apache-2.0
// A real Redis Sentinel deployment for tests: one primary, `replicas`
// replicas and `sentinels` redis-sentinel processes (Debian's redis-server
// and redis-sentinel), on free loopback ports, in one temporary folder, for
// the lifetime of the object. Every process is stopped by its own pid.
//
// Every method that changes the group waits, with a bound and by polling,
// until it is healthy again: every live sentinel names the same primary,
// sees it as a plain master (not down, no failover in progress), knows the
// other sentinels and sees every live replica with its link up; the primary
// says ROLE master and every live replica replicates it. A method that
// cannot get there records a fatal gtest failure with every process's log.
//
// Thread-safety: none; one test thread drives it.
#ifndef ONEP_TESTS_SUPPORT_REDIS_SENTINEL_H_
#define ONEP_TESTS_SUPPORT_REDIS_SENTINEL_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "onep/redis_client.h"
#include "onep/redis_connection.h"
#include "support/tls_certs.h"

namespace onep::testing {

class RedisSentinelGroup {
 public:
  // How long the primary may be silent before a sentinel thinks it down:
  // short, so that KillPrimary takes seconds, not the default 30 s; long
  // enough that a busy 2-core machine never fails it over by mistake.
  static constexpr std::chrono::milliseconds kDownAfter{1000};
  static constexpr const char* kMasterName = "onep-primary";

  struct Options {
    int replicas = 2;
    int sentinels = 3;
    // requirepass of the data nodes (masterauth and sentinel auth-pass too).
    std::string data_password;
    // requirepass of the sentinels (and sentinel sentinel-pass).
    std::string sentinel_password;
    // When set: every process TLS only (port 0, tls-port), replication and
    // the sentinels' connections too (tls-replication), client certificates
    // required; the helpers connect with the server certificate as theirs.
    const TestCertificates* tls = nullptr;
  };

  // Starts the processes and waits until the group is healthy. On failure, a
  // fatal gtest failure: check ::testing::Test::HasFatalFailure().
  RedisSentinelGroup();
  explicit RedisSentinelGroup(Options options);
  ~RedisSentinelGroup();
  RedisSentinelGroup(const RedisSentinelGroup&) = delete;
  RedisSentinelGroup& operator=(const RedisSentinelGroup&) = delete;

  // redis-sentinel://[:DATA_PASSWORD@]127.0.0.1:S1,...,127.0.0.1:Sn/onep-primary/0
  // [?sentinel_password=SENTINEL_PASSWORD]; rediss-sentinel:// with TLS.
  std::string url() const;
  // The TLS context the helpers use (null without TLS).
  const std::shared_ptr<const RedisTls>& tls() const { return tls_; }
  // A client for url(), as the stores get one from ConnectRedis.
  std::unique_ptr<RedisClient> Client(std::chrono::milliseconds timeout = std::chrono::seconds(2),
                                      RedisLog log = {}) const;

  // The port of the primary the sentinels name; of the live replicas,
  // ascending; of the live sentinels.
  int Primary() const;
  std::vector<int> Replicas() const;
  std::vector<int> Sentinels() const;

  // A plain connection to one data node or sentinel (nullptr and a test
  // failure if none), authenticated as the group requires.
  std::unique_ptr<RedisConnection> Connect(int port) const;

  // SENTINEL FAILOVER on a sentinel; waits until the sentinels name another
  // primary and the group is healthy, the old primary a replica of the new.
  // Returns the new primary's port (0 on failure).
  int Failover();
  // SIGKILL of the primary; waits until the sentinels agree on a new primary
  // that says ROLE master. The old primary stays down. Returns the new
  // primary's port (0 on failure).
  int KillPrimary();
  // Starts a data node stopped by KillPrimary again, with its first
  // configuration; the sentinels make it a replica of the current primary.
  // Waits until the group is healthy.
  void Restart(int port);

  // SIGSTOP of one data node or sentinel, by its pid: a process that hangs.
  // Its socket still accepts connections (the kernel does), but it answers
  // nothing. Thaw (SIGCONT) undoes it; so does the destructor. Call no other
  // method while a process is frozen: each looks at every live one.
  void Freeze(int port);
  void Thaw(int port);

  // Waits (with a bound) until the group is healthy (see above).
  void WaitHealthy(std::chrono::milliseconds bound = std::chrono::seconds(60));

  // The last lines of every process's log, for failure messages.
  std::string Logs() const;

  double startup_seconds() const { return startup_seconds_; }
  // How long the last Failover or KillPrimary took until every sentinel
  // named the new primary (the rest of the call waits for health).
  std::chrono::milliseconds last_switch() const { return last_switch_; }

 private:
  struct Process {
    int port = 0;
    bool sentinel = false;
    std::string dir;
    pid_t pid = -1;
    bool frozen = false;  // SIGSTOPped by Freeze
  };
  void Create();
  Process* Find(int port);
  void StartProcess(Process& p);
  void Stop(Process& p, int signal);
  bool Healthy(std::string* why) const;
  // The primary every live sentinel names (0 if they disagree or cannot say).
  int AgreedPrimary(std::string* why) const;
  RedisOptions ConnectOptions(int port, std::chrono::milliseconds timeout) const;

  Options options_;
  std::shared_ptr<const RedisTls> tls_;
  std::string dir_;
  std::vector<Process> nodes_;  // data nodes; nodes_[0] was the first primary
  std::vector<Process> sentinels_;
  double startup_seconds_ = 0;
  std::chrono::milliseconds last_switch_{0};
};

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_REDIS_SENTINEL_H_
