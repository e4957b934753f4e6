// SPDX-License-Identifier: Apache-2.0
#include "support/redis_cluster.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "support/process.h"
#include "support/redis_server.h"

namespace onep::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kMasters = 3;
constexpr int kNodes = 6;
constexpr milliseconds kPoll{50};

RedisOptions NodeOptions(const std::shared_ptr<const RedisTls>& tls, int port,
                         milliseconds timeout) {
  RedisOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = port;
  options.endpoint.tls = tls != nullptr;
  options.tls = tls;
  options.timeout = timeout;
  return options;
}

// The value of `name:` in an INFO-style text ("name:value\r\n"); empty when absent.
std::string InfoField(const std::string& info, const std::string& name) {
  const std::string needle = name + ":";
  std::size_t pos = 0;
  while ((pos = info.find(needle, pos)) != std::string::npos) {
    if (pos == 0 || info[pos - 1] == '\n') {
      const std::size_t start = pos + needle.size();
      return info.substr(start, info.find_first_of("\r\n", start) - start);
    }
    pos += needle.size();
  }
  return "";
}

// "key=value" out of a commandstats line "calls=3,usec=...,rejected_calls=0".
long long StatValue(const std::string& line, const std::string& key) {
  const std::string needle = key + "=";
  std::size_t pos = 0;
  while ((pos = line.find(needle, pos)) != std::string::npos) {
    if (pos == 0 || line[pos - 1] == ',') return std::atoll(line.c_str() + pos + needle.size());
    pos += needle.size();
  }
  return 0;
}

// CLUSTER SLOTS as "start-end:port" ranges, sorted: one node's view of who
// serves what.
std::string SlotView(const Reply& slots) {
  std::vector<std::string> ranges;
  for (const Reply& range : slots.elements) {
    if (range.elements.size() < 3 || range.elements[2].elements.size() < 2) continue;
    ranges.push_back(std::to_string(range.elements[0].integer) + "-" +
                     std::to_string(range.elements[1].integer) + ":" +
                     std::to_string(range.elements[2].elements[1].integer));
  }
  std::sort(ranges.begin(), ranges.end());
  std::string out;
  for (const auto& r : ranges) out += r + " ";
  return out;
}

std::string Tail(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  for (std::size_t n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

}  // namespace

RedisCluster::RedisCluster(const TestCertificates* tls) {
  if (tls != nullptr) {
    RedisTlsSettings settings;
    settings.ca_file = tls->ca;
    settings.cert_file = tls->server_cert;
    settings.key_file = tls->server_key;
    auto context = RedisTls::Create(settings);
    EXPECT_TRUE(context.ok()) << context.status().ToString();
    if (!context.ok()) return;
    tls_ = std::move(context).value();
    cli_tls_ = {"--tls", "--cacert", tls->ca, "--cert", tls->server_cert, "--key", tls->server_key};
  }
  Create();
}

void RedisCluster::Create() {
  const auto start = steady_clock::now();
  dir_ = MakeTempDir("redis-cluster");
  // Client and bus ports all distinct: the bus port is set (cluster-port)
  // rather than port + 10000, which may be past 65535 for an ephemeral port.
  std::set<int> taken;
  auto fresh_port = [&] {
    int port;
    do port = FreePort();
    while (!taken.insert(port).second);
    return port;
  };
  ASSERT_TRUE(ProgramInstalled(ServerProgram("server"), ServerPackage("server")));
  for (int i = 0; i < kNodes; ++i) {
    Node node;
    node.port = fresh_port();
    node.bus_port = fresh_port();
    node.dir = dir_ + "/" + std::to_string(node.port);
    std::filesystem::create_directories(node.dir);
    std::ostringstream conf;
    if (tls_) {
      const RedisTlsSettings& files = tls_->settings();
      conf << "port 0\ntls-port " << node.port << "\ntls-cluster yes\ntls-replication yes\n"
           << "tls-cert-file " << files.cert_file << "\ntls-key-file " << files.key_file
           << "\ntls-ca-cert-file " << files.ca_file << "\ntls-auth-clients yes\n";
    } else {
      conf << "port " << node.port << "\n";
    }
    conf << "bind 127.0.0.1\nprotected-mode yes\ndir " << node.dir
         << "\ndaemonize no\nsave \"\"\nappendonly no\nlogfile \"\"\n"
         << "cluster-enabled yes\ncluster-config-file " << node.dir << "/nodes.conf\n"
         << "cluster-port " << node.bus_port << "\ncluster-node-timeout " << kNodeTimeout.count()
         << "\n"
         // A replica left alone after KillMaster must stay where the test
         // put it.
         << "cluster-allow-replica-migration no\n";
    WriteFile(node.dir + "/redis.conf", conf.str());
    node.pid = Spawn({ServerProgram("server"), node.dir + "/redis.conf"}, node.dir + "/redis.log");
    ASSERT_GT(node.pid, 0) << "cannot start redis-server";
    nodes_.push_back(node);
  }
  for (const Node& node : nodes_) {
    const auto deadline = steady_clock::now() + std::chrono::seconds(10);
    bool up = false;
    while (!up && steady_clock::now() < deadline) {
      auto conn = RedisConnection::Connect(NodeOptions(tls_, node.port, milliseconds(500)));
      up = conn.ok() && (*conn)->Ping().ok();
      if (!up) std::this_thread::sleep_for(kPoll);
    }
    ASSERT_TRUE(up) << "redis-server did not answer on port " << node.port << "\n" << Logs();
  }
  ASSERT_TRUE(ProgramInstalled(ServerProgram("cli"), ServerPackage("cli")));
  std::vector<std::string> create = {ServerProgram("cli")};
  create.insert(create.end(), cli_tls_.begin(), cli_tls_.end());
  create.insert(create.end(), {"--cluster", "create"});
  for (const Node& node : nodes_) create.push_back("127.0.0.1:" + std::to_string(node.port));
  create.insert(create.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  RunResult created = Run(create);
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err << Logs();
  // redis-cli makes the first kMasters nodes the masters.
  for (int i = 0; i < kMasters; ++i) seeds_.push_back(nodes_[i].port);
  WaitHealthy();
  startup_seconds_ = std::chrono::duration<double>(steady_clock::now() - start).count();
}

RedisCluster::~RedisCluster() {
  for (Node& node : nodes_) Thaw(node.port);
  for (Node& node : nodes_) Stop(node, SIGTERM);
  if (!dir_.empty()) RemoveTree(dir_);
}

void RedisCluster::Stop(Node& node, int signal) {
  if (node.pid <= 0) return;
  StopSpawned(node.pid, signal);
  node.pid = -1;
}

void RedisCluster::Freeze(int port) {
  auto* node = const_cast<Node*>(Find(port));
  ASSERT_NE(node, nullptr) << port;
  ASSERT_GT(node->pid, 0) << port << " is not running";
  ASSERT_EQ(kill(node->pid, SIGSTOP), 0) << port;
  node->frozen = true;
}

void RedisCluster::Thaw(int port) {
  auto* node = const_cast<Node*>(Find(port));
  if (node == nullptr || !node->frozen) return;
  if (node->pid > 0) kill(node->pid, SIGCONT);
  node->frozen = false;
}

const RedisCluster::Node* RedisCluster::Find(int port) const {
  for (const Node& node : nodes_) {
    if (node.port == port) return &node;
  }
  return nullptr;
}

std::string RedisCluster::url() const {
  std::string out = tls_ ? "rediss-cluster://" : "redis-cluster://";
  for (std::size_t i = 0; i < seeds_.size(); ++i) {
    out += (i == 0 ? "" : ",") + std::string("127.0.0.1:") + std::to_string(seeds_[i]);
  }
  return out;
}

std::unique_ptr<RedisClient> RedisCluster::Client(milliseconds timeout, RedisLog log) const {
  return TestClientFor(url(), timeout, std::move(log), tls_);
}

std::unique_ptr<RedisConnection> RedisCluster::Connect(int port) const {
  return TestConnection(NodeOptions(tls_, port, milliseconds(5000)));
}

std::vector<int> RedisCluster::Ports() const {
  std::vector<int> ports;
  for (const Node& node : nodes_) {
    if (node.pid > 0) ports.push_back(node.port);
  }
  std::sort(ports.begin(), ports.end());
  return ports;
}

std::vector<int> RedisCluster::Masters() const {
  // Any live node's CLUSTER SLOTS; WaitHealthy made them agree.
  for (int port : Ports()) {
    auto conn = RedisConnection::Connect(NodeOptions(tls_, port, milliseconds(2000)));
    if (!conn.ok()) continue;
    auto slots = (*conn)->Command({"CLUSTER", "SLOTS"});
    if (!slots.ok() || slots->is_error()) continue;
    std::vector<std::pair<long long, int>> firsts;
    for (const Reply& range : slots->elements) {
      firsts.emplace_back(range.elements[0].integer,
                          static_cast<int>(range.elements[2].elements[1].integer));
    }
    std::sort(firsts.begin(), firsts.end());
    std::vector<int> masters;
    for (const auto& [first, master] : firsts) {
      if (std::find(masters.begin(), masters.end(), master) == masters.end()) {
        masters.push_back(master);
      }
    }
    return masters;
  }
  ADD_FAILURE() << "no node answers CLUSTER SLOTS\n" << Logs();
  return {};
}

std::vector<int> RedisCluster::Replicas() const {
  const std::vector<int> masters = Masters();
  std::vector<int> replicas;
  for (int port : Ports()) {
    if (std::find(masters.begin(), masters.end(), port) == masters.end()) {
      replicas.push_back(port);
    }
  }
  return replicas;
}

int RedisCluster::MasterOfSlot(int slot) const {
  for (int port : Ports()) {
    auto conn = RedisConnection::Connect(NodeOptions(tls_, port, milliseconds(2000)));
    if (!conn.ok()) continue;
    auto slots = (*conn)->Command({"CLUSTER", "SLOTS"});
    if (!slots.ok() || slots->is_error()) continue;
    for (const Reply& range : slots->elements) {
      if (range.elements[0].integer <= slot && slot <= range.elements[1].integer) {
        return static_cast<int>(range.elements[2].elements[1].integer);
      }
    }
  }
  ADD_FAILURE() << "no node knows the master of slot " << slot << "\n" << Logs();
  return 0;
}

int RedisCluster::ReplicaOf(int master_port) const {
  // Asked of the replicas (the master they replicate), not of the master (the
  // replicas connected now): one whose link is down is still its replica.
  for (const Node& node : nodes_) {
    if (node.pid <= 0 || node.port == master_port) continue;
    auto conn = Connect(node.port);
    if (!conn) continue;
    auto info = conn->Command({"INFO", "replication"});
    if (info.ok() && InfoField(info->str, "role") == "slave" &&
        InfoField(info->str, "master_port") == std::to_string(master_port)) {
      return node.port;
    }
  }
  return 0;
}

std::string RedisCluster::NodeId(int port) const {
  auto conn = Connect(port);
  if (!conn) return "";
  auto id = conn->Command({"CLUSTER", "MYID"});
  EXPECT_TRUE(id.ok() && !id->is_error());
  return id.ok() ? id->str : "";
}

RedisCluster::CommandStats RedisCluster::CommandStat(int port, const std::string& command) const {
  CommandStats stats;
  auto conn = Connect(port);
  if (!conn) return stats;
  auto info = conn->Command({"INFO", "commandstats"});
  if (!info.ok() || info->is_error()) return stats;
  const std::string line = InfoField(info->str, "cmdstat_" + command);
  stats.calls = StatValue(line, "calls");
  stats.rejected_calls = StatValue(line, "rejected_calls");
  stats.failed_calls = StatValue(line, "failed_calls");
  return stats;
}

long long RedisCluster::CommandCalls(int port, const std::string& command) const {
  return CommandStat(port, command).calls;
}

long long RedisCluster::AllCallsButLooks(int port) const {
  auto conn = Connect(port);
  if (!conn) return -1;
  auto info = conn->Command({"INFO", "commandstats"});
  if (!info.ok() || info->is_error()) return -1;
  long long total = 0;
  std::istringstream lines(info->str);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("cmdstat_", 0) != 0 || line.rfind("cmdstat_info:", 0) == 0 ||
        line.rfind("cmdstat_time:", 0) == 0 || line.rfind("cmdstat_replconf:", 0) == 0) {
      continue;
    }
    const std::string stats = line.substr(line.find(':') + 1);
    total += StatValue(stats, "calls") + StatValue(stats, "rejected_calls");
  }
  return total;
}

void RedisCluster::FlushAll() {
  for (int port : Masters()) {
    auto conn = Connect(port);
    ASSERT_TRUE(conn);
    auto reply = conn->Command({"FLUSHALL"});
    ASSERT_TRUE(reply.ok() && !reply->is_error()) << port;
  }
}

void RedisCluster::BeginMigration(int slot, int to_port) {
  const int from_port = MasterOfSlot(slot);
  ASSERT_NE(from_port, to_port) << "slot " << slot << " is already on " << to_port;
  const std::string s = std::to_string(slot);
  auto to = Connect(to_port);
  auto from = Connect(from_port);
  ASSERT_TRUE(to && from);
  // Importing first, so that no ASK ever points at a node that would refuse it.
  auto importing = to->Command({"CLUSTER", "SETSLOT", s, "IMPORTING", NodeId(from_port)});
  ASSERT_TRUE(importing.ok() && !importing->is_error()) << importing->str;
  auto migrating = from->Command({"CLUSTER", "SETSLOT", s, "MIGRATING", NodeId(to_port)});
  ASSERT_TRUE(migrating.ok() && !migrating->is_error()) << migrating->str;
  migrating_from_[slot] = from_port;
}

void RedisCluster::MoveKeys(int slot, int to_port, std::size_t max_keys) {
  auto it = migrating_from_.find(slot);
  const int from_port = it != migrating_from_.end() ? it->second : MasterOfSlot(slot);
  auto from = Connect(from_port);
  ASSERT_TRUE(from);
  std::size_t moved = 0;
  while (moved < max_keys) {
    const std::size_t batch = std::min<std::size_t>(100, max_keys - moved);
    auto keys =
        from->Command({"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), std::to_string(batch)});
    ASSERT_TRUE(keys.ok() && !keys->is_error());
    if (keys->elements.empty()) return;
    std::vector<std::string> migrate = {"MIGRATE", "127.0.0.1", std::to_string(to_port), "", "0",
                                        "5000",    "KEYS"};
    for (const Reply& key : keys->elements) migrate.push_back(key.str);
    auto reply = from->Command(migrate);
    ASSERT_TRUE(reply.ok() && !reply->is_error()) << (reply.ok() ? reply->str : "");
    moved += keys->elements.size();
  }
}

void RedisCluster::FinishMigration(int slot, int to_port) {
  MoveKeys(slot, to_port);
  if (::testing::Test::HasFatalFailure()) return;
  auto it = migrating_from_.find(slot);
  const int from_port = it != migrating_from_.end() ? it->second : MasterOfSlot(slot);
  const std::string to_id = NodeId(to_port);
  std::vector<int> order = {to_port, from_port};
  for (int port : Masters()) {
    if (port != to_port && port != from_port) order.push_back(port);
  }
  for (int port : order) {
    auto conn = Connect(port);
    ASSERT_TRUE(conn);
    auto reply = conn->Command({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", to_id});
    ASSERT_TRUE(reply.ok() && !reply->is_error()) << port << ": " << reply->str;
  }
  migrating_from_.erase(slot);
  WaitHealthy();
}

void RedisCluster::MigrateSlot(int slot, int to_port) {
  BeginMigration(slot, to_port);
  if (::testing::Test::HasFatalFailure()) return;
  FinishMigration(slot, to_port);
}

void RedisCluster::AbortMigration(int slot) {
  for (int port : Masters()) {
    auto conn = Connect(port);
    ASSERT_TRUE(conn);
    auto reply = conn->Command({"CLUSTER", "SETSLOT", std::to_string(slot), "STABLE"});
    ASSERT_TRUE(reply.ok() && !reply->is_error());
  }
  migrating_from_.erase(slot);
}

void RedisCluster::Failover(int replica_port) {
  auto conn = Connect(replica_port);
  ASSERT_TRUE(conn);
  auto reply = conn->Command({"CLUSTER", "FAILOVER"});
  ASSERT_TRUE(reply.ok() && !reply->is_error()) << (reply.ok() ? reply->str : "");
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    auto info = conn->Command({"INFO", "replication"});
    if (info.ok() && InfoField(info->str, "role") == "master") break;
    ASSERT_LT(steady_clock::now(), deadline) << replica_port << " did not take over\n" << Logs();
    std::this_thread::sleep_for(kPoll);
  }
  WaitHealthy();
}

void RedisCluster::KillMaster(int port) {
  const int replica = ReplicaOf(port);
  ASSERT_NE(replica, 0) << port << " has no live replica to take over";
  Node* node = const_cast<Node*>(Find(port));
  ASSERT_NE(node, nullptr);
  Stop(*node, SIGKILL);
  auto conn = Connect(replica);
  ASSERT_TRUE(conn);
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    auto info = conn->Command({"INFO", "replication"});
    if (info.ok() && InfoField(info->str, "role") == "master") break;
    ASSERT_LT(steady_clock::now(), deadline) << replica << " did not take over\n" << Logs();
    std::this_thread::sleep_for(kPoll);
  }
  WaitHealthy();
}

void RedisCluster::Restart(int port) {
  Node* node = nullptr;
  for (Node& n : nodes_) {
    if (n.port == port) node = &n;
  }
  ASSERT_NE(node, nullptr) << "no node on port " << port;
  ASSERT_LE(node->pid, 0) << port << " is running";
  node->pid = Spawn({ServerProgram("server"), node->dir + "/redis.conf"}, node->dir + "/redis.log");
  ASSERT_GT(node->pid, 0) << "cannot start redis-server";
  WaitHealthy();
}

bool RedisCluster::Healthy(std::string* why) const {
  std::string reference;
  int masters = 0;
  for (int port : Ports()) {
    auto conn = RedisConnection::Connect(NodeOptions(tls_, port, milliseconds(1000)));
    if (!conn.ok()) {
      *why = conn.status().ToString();
      return false;
    }
    auto info = (*conn)->Command({"CLUSTER", "INFO"});
    if (!info.ok() || InfoField(info->str, "cluster_state") != "ok" ||
        InfoField(info->str, "cluster_slots_ok") != "16384") {
      *why = std::to_string(port) + ": " + (info.ok() ? info->str : info.status().ToString());
      return false;
    }
    auto replication = (*conn)->Command({"INFO", "replication"});
    if (!replication.ok()) return false;
    const std::string role = InfoField(replication->str, "role");
    if (role == "master") {
      ++masters;
    } else if (InfoField(replication->str, "master_link_status") != "up") {
      *why = std::to_string(port) + ": replica link not up";
      return false;
    }
    auto slots = (*conn)->Command({"CLUSTER", "SLOTS"});
    if (!slots.ok() || slots->is_error()) return false;
    const std::string view = SlotView(*slots);
    if (reference.empty()) reference = view;
    if (view != reference) {
      *why = std::to_string(port) + " sees " + view + "; another node " + reference;
      return false;
    }
  }
  if (masters != kMasters) {
    *why = std::to_string(masters) + " nodes say they are masters";
    return false;
  }
  return true;
}

void RedisCluster::WaitHealthy(milliseconds bound) {
  const auto deadline = steady_clock::now() + bound;
  std::string why;
  while (!Healthy(&why)) {
    ASSERT_LT(steady_clock::now(), deadline)
        << "cluster not healthy after " << bound.count() << " ms: " << why << "\n"
        << Logs();
    std::this_thread::sleep_for(kPoll);
  }
}

std::string RedisCluster::Logs() const {
  std::string out;
  for (const Node& node : nodes_) {
    out += "--- redis-server " + std::to_string(node.port) + (node.pid > 0 ? "" : " (stopped)") +
           " ---\n" + Tail(ReadFile(node.dir + "/redis.log"), 30);
  }
  return out;
}

}  // namespace onep::testing
