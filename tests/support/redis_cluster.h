// SPDX-License-Identifier: Apache-2.0
// A real Redis Cluster for tests: 3 masters and 3 replicas (Debian's
// redis-server), on free loopback ports, in one temporary folder, for the
// lifetime of the object. Every process is stopped by its own pid.
//
// Every method waits, with a bound and by polling, until the cluster is
// healthy again: every live node says cluster_state:ok with all 16384 slots
// served, every replica's link to its master is up, and every live node
// reports the same owner for every slot. A method that cannot get there
// records a gtest failure (fatal where it can) with the nodes' logs.
//
// Thread-safety: none; one test thread drives it.
#ifndef ONEP_TESTS_SUPPORT_REDIS_CLUSTER_H_
#define ONEP_TESTS_SUPPORT_REDIS_CLUSTER_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "onep/redis_client.h"
#include "onep/redis_connection.h"
#include "support/tls_certs.h"

namespace onep::testing {

class RedisCluster {
 public:
  // How long a node may be silent before the others mark it failed. Short,
  // so that KillMaster takes seconds, not the default 15 s; long enough that
  // a busy 2-core machine never fails a node by mistake.
  static constexpr std::chrono::milliseconds kNodeTimeout{2000};

  // Starts the 6 nodes and creates the cluster (redis-cli --cluster create).
  // On failure, a fatal gtest failure: check ::testing::Test::HasFatalFailure().
  // With `tls`: TLS only (port 0, tls-port), between the nodes too
  // (tls-cluster, tls-replication), client certificates required; the
  // helpers below connect with the server certificate as theirs.
  explicit RedisCluster(const TestCertificates* tls = nullptr);
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // "redis-cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3": the masters as
  // they were created (seeds; they stay valid after a failover);
  // rediss-cluster:// with TLS.
  std::string url() const;
  // The TLS context the helpers use (null without TLS).
  const std::shared_ptr<const RedisTls>& tls() const { return tls_; }
  // A client for url(), as the stores get one from ConnectRedis.
  std::unique_ptr<RedisClient> Client(std::chrono::milliseconds timeout = std::chrono::seconds(2),
                                      RedisLog log = {}) const;

  // Ports of the live masters, in the order of their first slot; of the live
  // replicas, ascending; of every live node, ascending.
  std::vector<int> Masters() const;
  std::vector<int> Replicas() const;
  std::vector<int> Ports() const;
  // The master serving `slot`; a live replica of `master_port`, its link up
  // or not (0: none).
  int MasterOfSlot(int slot) const;
  int ReplicaOf(int master_port) const;
  // CLUSTER MYID of the node.
  std::string NodeId(int port) const;

  // A plain connection to one node (nullptr and a test failure if none).
  std::unique_ptr<RedisConnection> Connect(int port) const;

  // INFO commandstats of one node for `command` (lowercase, e.g. "evalsha",
  // "cluster|shards"): calls run, calls rejected before running (MOVED, ASK,
  // CLUSTERDOWN, ...), calls that failed while running. Zeros when unseen.
  struct CommandStats {
    long long calls = 0;
    long long rejected_calls = 0;
    long long failed_calls = 0;
  };
  CommandStats CommandStat(int port, const std::string& command) const;
  long long CommandCalls(int port, const std::string& command) const;
  // Every command the node saw (calls + rejected_calls), except INFO and
  // TIME, which every look (a new connection) costs, and REPLCONF, which
  // replicas send on their own.
  long long AllCallsButLooks(int port) const;

  // FLUSHALL on every master.
  void FlushAll();

  // Moving `slot` to the master `to_port`, in the steps of the Redis Cluster
  // specification, so that a test can run commands between them:
  // SETSLOT IMPORTING on the target and MIGRATING on the source; MIGRATE of
  // at most `max_keys` of the slot's keys (all by default); MIGRATE of what
  // is left, then SETSLOT NODE on the target, the source and the other
  // masters, and a wait until every node agrees.
  void BeginMigration(int slot, int to_port);
  void MoveKeys(int slot, int to_port, std::size_t max_keys = static_cast<std::size_t>(-1));
  void FinishMigration(int slot, int to_port);
  void MigrateSlot(int slot, int to_port);
  // SETSLOT STABLE on every master: drops a half-done migration.
  void AbortMigration(int slot);

  // CLUSTER FAILOVER on a replica; waits until it is master and the cluster
  // is healthy.
  void Failover(int replica_port);
  // SIGKILL of a master; waits until its replica took over and the cluster
  // is healthy. The node stays down.
  void KillMaster(int port);

  // SIGSTOP of one node, by its pid: a node that hangs. Its socket still
  // accepts connections (the kernel does), but it answers nothing. After
  // kNodeTimeout the other nodes mark it failed: freeze replicas (which
  // serve no slot), or a master for less than that. Thaw (SIGCONT) undoes it;
  // so does the destructor. Call no other method while a node is frozen:
  // each looks at every live node.
  void Freeze(int port);
  void Thaw(int port);

  // Starts a node stopped by KillMaster again, with its configuration and
  // nodes.conf: it rejoins as a replica of the master that replaced it.
  // Waits until the cluster is healthy (its replica link up).
  void Restart(int port);

  // Waits (with a bound) until the cluster is healthy (see above).
  void WaitHealthy(std::chrono::milliseconds bound = std::chrono::seconds(30));

  // The last lines of every node's log, for failure messages.
  std::string Logs() const;

  // Seconds the constructor took, start to healthy cluster.
  double startup_seconds() const { return startup_seconds_; }

 private:
  struct Node {
    int port = 0;
    int bus_port = 0;
    std::string dir;
    pid_t pid = -1;
    bool frozen = false;  // SIGSTOPped by Freeze
  };
  // The constructor's work (gtest's ASSERTs need a void function).
  void Create();
  bool Healthy(std::string* why) const;
  const Node* Find(int port) const;
  void Stop(Node& node, int signal);

  std::string dir_;
  std::shared_ptr<const RedisTls> tls_;
  std::vector<std::string> cli_tls_;  // redis-cli's --tls options, or none
  std::vector<Node> nodes_;
  std::vector<int> seeds_;
  std::map<int, int> migrating_from_;  // slot -> source port, between Begin and Finish
  double startup_seconds_ = 0;
};

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_REDIS_CLUSTER_H_
