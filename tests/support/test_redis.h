// SPDX-License-Identifier: Apache-2.0
// The Redis that a module or CLI test runs against. Normally a fresh
// redis-server of its own (RedisServer). When the suite runs on a cluster
// (environment ONEP_TEST_REDIS=cluster: CTest runs each module and CLI test
// binary once that way, every test in one process), the one Redis Cluster of
// that process, emptied and its statistics reset for each test. So the same
// tests run on both topologies, and a test that needs one server (to stop it,
// pause it, watch its MONITOR) says so with ONEP_SINGLE_REDIS_ONLY.
#ifndef ONEP_TESTS_SUPPORT_TEST_REDIS_H_
#define ONEP_TESTS_SUPPORT_TEST_REDIS_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "onep/redis_client.h"
#include "onep/redis_connection.h"
#include "support/redis_cluster.h"
#include "support/redis_sentinel.h"
#include "support/redis_server.h"

namespace onep::testing {

// True when this process runs its tests on the shared Redis Cluster.
bool OnCluster();

// Skips the rest of the test on a cluster run, saying why.
#define ONEP_SINGLE_REDIS_ONLY(why) \
  if (::onep::testing::OnCluster()) GTEST_SKIP() << "needs a single Redis: " << why

class TestRedis {
 public:
  // A single server with `extra_config` (and `password`); on a cluster run,
  // the shared cluster, which takes neither (a test that needs them is a
  // single-Redis test).
  explicit TestRedis(std::vector<std::string> extra_config = {}, std::string password = "");
  // A cluster of the test's own (for tests that break one), emptied.
  explicit TestRedis(RedisCluster& own);
  // A Sentinel group of the test's own, emptied: every call goes to its
  // current primary.
  explicit TestRedis(RedisSentinelGroup& own);
  ~TestRedis();
  TestRedis(const TestRedis&) = delete;
  TestRedis& operator=(const TestRedis&) = delete;

  bool is_cluster() const { return cluster_ != nullptr; }
  // OnepRedis / onepctl --redis.
  std::string url() const;
  // A RedisClient for url() (fails the test if it cannot be had).
  std::unique_ptr<RedisClient> Client() const;
  // One command on the server that holds `key` (any server for "").
  Result<Reply> Command(const std::string& key, const std::vector<std::string>& argv) const;
  // Empties every server.
  void FlushAll();
  // Calls of `command` (lowercase) in INFO commandstats, summed over masters.
  long long CommandCalls(const std::string& command) const;
  // A connection to each master (to the server on a single Redis).
  std::vector<std::unique_ptr<RedisConnection>> MasterConnections() const;
  // "key => value" lines of every key of every master (RedisServer::DumpAll).
  std::string DumpAll() const;
  // The single server. Precondition: !is_cluster().
  RedisServer& server();
  // The cluster. Precondition: is_cluster().
  RedisCluster& cluster();

 private:
  std::unique_ptr<RedisServer> server_;
  RedisCluster* cluster_ = nullptr;  // the process's shared one
  RedisSentinelGroup* sentinel_ = nullptr;
  std::unique_ptr<RedisClient> client_;
};

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_TEST_REDIS_H_
