// SPDX-License-Identifier: Apache-2.0
#include "support/test_redis.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace onep::testing {
namespace {

// The cluster of a cluster run: started by the first test that needs it,
// stopped when the process exits.
RedisCluster* SharedCluster() {
  static std::unique_ptr<RedisCluster> cluster = [] {
    auto started = std::make_unique<RedisCluster>();
    EXPECT_FALSE(::testing::Test::HasFatalFailure()) << "the test cluster did not start";
    return started;
  }();
  return cluster.get();
}

}  // namespace

bool OnCluster() {
  const char* topology = std::getenv("ONEP_TEST_REDIS");
  return topology != nullptr && std::strcmp(topology, "cluster") == 0;
}

TestRedis::TestRedis(std::vector<std::string> extra_config, std::string password) {
  if (!OnCluster()) {
    server_ = std::make_unique<RedisServer>(std::move(extra_config), std::move(password));
    return;
  }
  EXPECT_TRUE(extra_config.empty() && password.empty())
      << "a test that configures its Redis needs ONEP_SINGLE_REDIS_ONLY";
  cluster_ = SharedCluster();
  // Each test starts from an empty cluster with fresh counters.
  cluster_->FlushAll();
  for (int port : cluster_->Ports()) {
    if (auto conn = cluster_->Connect(port)) {
      EXPECT_TRUE(conn->Command({"CONFIG", "RESETSTAT"}).ok());
    }
  }
}

TestRedis::TestRedis(RedisCluster& own) : cluster_(&own) { cluster_->FlushAll(); }

TestRedis::TestRedis(RedisSentinelGroup& own) : sentinel_(&own) { FlushAll(); }

TestRedis::~TestRedis() = default;

std::string TestRedis::url() const {
  if (sentinel_) return sentinel_->url();
  return cluster_ ? cluster_->url() : server_->url();
}

std::unique_ptr<RedisClient> TestRedis::Client() const {
  if (sentinel_) return sentinel_->Client(std::chrono::milliseconds(5000));
  return cluster_ ? cluster_->Client(std::chrono::milliseconds(5000)) : server_->Client();
}

Result<Reply> TestRedis::Command(const std::string& key,
                                 const std::vector<std::string>& argv) const {
  if (!client_) const_cast<TestRedis*>(this)->client_ = Client();
  if (!client_) return Status::Unavailable("no client");
  return client_->Command(key, argv);
}

void TestRedis::FlushAll() {
  if (sentinel_) {
    auto conn = sentinel_->Connect(sentinel_->Primary());
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Command({"FLUSHALL"}).ok());
    return;
  }
  if (cluster_) {
    cluster_->FlushAll();
    return;
  }
  auto conn = server_->Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Command({"FLUSHALL"}).ok());
}

long long TestRedis::CommandCalls(const std::string& command) const {
  if (sentinel_) {
    ADD_FAILURE() << "CommandCalls is not counted on a Sentinel group";
    return -1;
  }
  if (!cluster_) return server_->CommandCalls(command);
  long long calls = 0;
  for (int port : cluster_->Masters()) calls += cluster_->CommandCalls(port, command);
  return calls;
}

std::vector<std::unique_ptr<RedisConnection>> TestRedis::MasterConnections() const {
  std::vector<std::unique_ptr<RedisConnection>> out;
  if (sentinel_) {
    out.push_back(sentinel_->Connect(sentinel_->Primary()));
  } else if (!cluster_) {
    out.push_back(server_->Connect());
  } else {
    for (int port : cluster_->Masters()) out.push_back(cluster_->Connect(port));
  }
  out.erase(std::remove(out.begin(), out.end(), nullptr), out.end());
  return out;
}

std::string TestRedis::DumpAll() const {
  if (sentinel_) {
    auto conn = sentinel_->Connect(sentinel_->Primary());
    return conn ? DumpKeys(*conn) : std::string();
  }
  if (!cluster_) return server_->DumpAll();
  std::string out;
  for (int port : cluster_->Masters()) {
    if (auto conn = cluster_->Connect(port)) out += DumpKeys(*conn);
  }
  return out;
}

RedisServer& TestRedis::server() {
  if (!server_) {
    ADD_FAILURE() << "this test needs a single Redis: mark it ONEP_SINGLE_REDIS_ONLY";
    std::abort();
  }
  return *server_;
}

RedisCluster& TestRedis::cluster() {
  if (cluster_ == nullptr) {
    ADD_FAILURE() << "this test needs the cluster run";
    std::abort();
  }
  return *cluster_;
}

}  // namespace onep::testing
