// SPDX-License-Identifier: Apache-2.0
#include "support/redis_sentinel.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

constexpr milliseconds kPoll{50};

// A RESP2 map (flat array of name, value, ...) looked up by name.
std::string Field(const Reply& map, const std::string& name) {
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].str == name) return map.elements[i + 1].str;
  }
  return "";
}

std::string Tail(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  for (std::size_t n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

}  // namespace

RedisSentinelGroup::RedisSentinelGroup() : RedisSentinelGroup(Options()) {}

RedisSentinelGroup::RedisSentinelGroup(Options options) : options_(std::move(options)) {
  if (options_.tls != nullptr) {
    RedisTlsSettings settings;
    settings.ca_file = options_.tls->ca;
    settings.cert_file = options_.tls->server_cert;
    settings.key_file = options_.tls->server_key;
    auto context = RedisTls::Create(settings);
    EXPECT_TRUE(context.ok()) << context.status().ToString();
    if (!context.ok()) return;
    tls_ = std::move(context).value();
  }
  Create();
}

RedisSentinelGroup::~RedisSentinelGroup() {
  for (Process& p : sentinels_) Thaw(p.port);
  for (Process& p : nodes_) Thaw(p.port);
  for (Process& p : sentinels_) Stop(p, SIGTERM);
  for (Process& p : nodes_) Stop(p, SIGTERM);
  if (!dir_.empty()) RemoveTree(dir_);
}

RedisOptions RedisSentinelGroup::ConnectOptions(int port, milliseconds timeout) const {
  RedisOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = port;
  options.endpoint.tls = tls_ != nullptr;
  options.tls = tls_;
  options.timeout = timeout;
  bool sentinel = false;
  for (const Process& p : sentinels_) sentinel = sentinel || p.port == port;
  options.endpoint.password = sentinel ? options_.sentinel_password : options_.data_password;
  options.read_clock = !sentinel;
  return options;
}

void RedisSentinelGroup::StartProcess(Process& p) {
  const std::string role = p.sentinel ? "sentinel" : "server";
  ASSERT_TRUE(ProgramInstalled(ServerProgram(role), ServerPackage(role)));
  if (p.sentinel) {
    p.pid = Spawn({ServerProgram("sentinel"), p.dir + "/sentinel.conf"}, p.dir + "/redis.log");
  } else {
    p.pid = Spawn({ServerProgram("server"), p.dir + "/redis.conf"}, p.dir + "/redis.log");
  }
  ASSERT_GT(p.pid, 0) << "cannot start " << (p.sentinel ? "redis-sentinel" : "redis-server");
  const auto deadline = steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    auto conn = RedisConnection::Connect(ConnectOptions(p.port, milliseconds(500)));
    if (conn.ok() && (*conn)->Ping().ok()) return;
    ASSERT_LT(steady_clock::now(), deadline) << "no answer on port " << p.port << "\n" << Logs();
    std::this_thread::sleep_for(kPoll);
  }
}

// The lines that make a process listen on `port` (TLS only with `tls`).
static std::string ListenConfig(int port, const TestCertificates* tls) {
  if (tls == nullptr) return "port " + std::to_string(port) + "\n";
  return TlsOnlyServerConfig(*tls, port) + "tls-replication yes\n";
}

// The data node's configuration: a replica of `primary` unless 0.
static std::string DataConfig(int port, const std::string& dir, int primary,
                              const std::string& password, const TestCertificates* tls) {
  std::ostringstream conf;
  conf << ListenConfig(port, tls) << "bind 127.0.0.1\nprotected-mode yes\ndir " << dir
       << "\ndaemonize no\nsave \"\"\nappendonly no\nlogfile \"\"\n";
  if (!password.empty())
    conf << "requirepass \"" << password << "\"\nmasterauth \"" << password << "\"\n";
  if (primary != 0) conf << "replicaof 127.0.0.1 " << primary << "\n";
  return conf.str();
}

void RedisSentinelGroup::Create() {
  const auto start = steady_clock::now();
  dir_ = MakeTempDir("redis-sentinel");
  std::set<int> taken;
  auto fresh_port = [&] {
    int port;
    do port = FreePort();
    while (!taken.insert(port).second);
    return port;
  };
  for (int i = 0; i <= options_.replicas; ++i) {
    Process p;
    p.port = fresh_port();
    p.dir = dir_ + "/node-" + std::to_string(p.port);
    std::filesystem::create_directories(p.dir);
    WriteFile(p.dir + "/redis.conf", DataConfig(p.port, p.dir, i == 0 ? 0 : nodes_[0].port,
                                                options_.data_password, options_.tls));
    nodes_.push_back(p);
  }
  for (int i = 0; i < options_.sentinels; ++i) {
    Process p;
    p.port = fresh_port();
    p.sentinel = true;
    p.dir = dir_ + "/sentinel-" + std::to_string(p.port);
    std::filesystem::create_directories(p.dir);
    sentinels_.push_back(p);
  }
  for (Process& p : sentinels_) {
    std::ostringstream conf;
    conf << ListenConfig(p.port, options_.tls) << "bind 127.0.0.1\ndaemonize no\nlogfile \"\"\ndir "
         << p.dir << "\nsentinel monitor " << kMasterName << " 127.0.0.1 " << nodes_[0].port << " "
         << (options_.sentinels / 2 + 1) << "\nsentinel down-after-milliseconds " << kMasterName
         << " " << kDownAfter.count() << "\nsentinel failover-timeout " << kMasterName
         << " 10000\nsentinel parallel-syncs " << kMasterName << " 2\n";
    if (!options_.data_password.empty()) {
      conf << "sentinel auth-pass " << kMasterName << " " << options_.data_password << "\n";
    }
    if (!options_.sentinel_password.empty()) {
      conf << "requirepass \"" << options_.sentinel_password << "\"\nsentinel sentinel-pass "
           << options_.sentinel_password << "\n";
    }
    WriteFile(p.dir + "/sentinel.conf", conf.str());
  }
  for (Process& p : nodes_) {
    StartProcess(p);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (Process& p : sentinels_) {
    StartProcess(p);
    if (::testing::Test::HasFatalFailure()) return;
  }
  WaitHealthy();
  startup_seconds_ = std::chrono::duration<double>(steady_clock::now() - start).count();
}

RedisSentinelGroup::Process* RedisSentinelGroup::Find(int port) {
  for (Process& p : nodes_) {
    if (p.port == port) return &p;
  }
  for (Process& p : sentinels_) {
    if (p.port == port) return &p;
  }
  return nullptr;
}

void RedisSentinelGroup::Freeze(int port) {
  Process* p = Find(port);
  ASSERT_NE(p, nullptr) << port;
  ASSERT_GT(p->pid, 0) << port << " is not running";
  ASSERT_EQ(kill(p->pid, SIGSTOP), 0) << port;
  p->frozen = true;
}

void RedisSentinelGroup::Thaw(int port) {
  Process* p = Find(port);
  if (p == nullptr || !p->frozen) return;
  if (p->pid > 0) kill(p->pid, SIGCONT);
  p->frozen = false;
}

void RedisSentinelGroup::Stop(Process& p, int signal) {
  if (p.pid <= 0) return;
  StopSpawned(p.pid, signal);
  p.pid = -1;
}

std::string RedisSentinelGroup::url() const {
  std::string out = tls_ ? "rediss-sentinel://" : "redis-sentinel://";
  if (!options_.data_password.empty()) out += ":" + options_.data_password + "@";
  for (std::size_t i = 0; i < sentinels_.size(); ++i) {
    out += (i == 0 ? "" : ",") + std::string("127.0.0.1:") + std::to_string(sentinels_[i].port);
  }
  out += "/" + std::string(kMasterName) + "/0";
  if (!options_.sentinel_password.empty()) {
    out += "?sentinel_password=" + options_.sentinel_password;
  }
  return out;
}

std::unique_ptr<RedisClient> RedisSentinelGroup::Client(milliseconds timeout, RedisLog log) const {
  return TestClientFor(url(), timeout, std::move(log), tls_);
}

std::unique_ptr<RedisConnection> RedisSentinelGroup::Connect(int port) const {
  return TestConnection(ConnectOptions(port, milliseconds(5000)));
}

int RedisSentinelGroup::AgreedPrimary(std::string* why) const {
  int agreed = 0;
  for (const Process& s : sentinels_) {
    if (s.pid <= 0) continue;
    auto conn = RedisConnection::Connect(ConnectOptions(s.port, milliseconds(1000)));
    if (!conn.ok()) {
      *why = conn.status().ToString();
      return 0;
    }
    auto addr = (*conn)->Command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", kMasterName});
    if (!addr.ok() || addr->elements.size() != 2) {
      *why = "sentinel " + std::to_string(s.port) + " names no primary";
      return 0;
    }
    const int port = std::atoi(addr->elements[1].str.c_str());
    if (agreed != 0 && port != agreed) {
      *why = "sentinels name " + std::to_string(agreed) + " and " + std::to_string(port);
      return 0;
    }
    agreed = port;
  }
  return agreed;
}

int RedisSentinelGroup::Primary() const {
  std::string why;
  const int primary = AgreedPrimary(&why);
  EXPECT_NE(primary, 0) << why << "\n" << Logs();
  return primary;
}

std::vector<int> RedisSentinelGroup::Replicas() const {
  const int primary = Primary();
  std::vector<int> out;
  for (const Process& p : nodes_) {
    if (p.pid > 0 && p.port != primary) out.push_back(p.port);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int> RedisSentinelGroup::Sentinels() const {
  std::vector<int> out;
  for (const Process& p : sentinels_) {
    if (p.pid > 0) out.push_back(p.port);
  }
  return out;
}

bool RedisSentinelGroup::Healthy(std::string* why) const {
  const int primary = AgreedPrimary(why);
  if (primary == 0) return false;
  const std::vector<int> sentinels = Sentinels();
  for (int port : sentinels) {
    auto conn = RedisConnection::Connect(ConnectOptions(port, milliseconds(1000)));
    if (!conn.ok()) return false;
    auto master = (*conn)->Command({"SENTINEL", "MASTER", kMasterName});
    if (!master.ok() || Field(*master, "flags") != "master" ||
        Field(*master, "num-other-sentinels") != std::to_string(sentinels.size() - 1)) {
      *why = "sentinel " + std::to_string(port) + " sees the primary with flags " +
             (master.ok() ? Field(*master, "flags") + ", other sentinels " +
                                Field(*master, "num-other-sentinels")
                          : master.status().ToString());
      return false;
    }
    auto replicas = (*conn)->Command({"SENTINEL", "REPLICAS", kMasterName});
    if (!replicas.ok()) return false;
    for (const Process& node : nodes_) {
      if (node.pid <= 0 || node.port == primary) continue;
      bool good = false;
      for (const Reply& replica : replicas->elements) {
        good = good || (Field(replica, "port") == std::to_string(node.port) &&
                        Field(replica, "flags") == "slave" &&
                        Field(replica, "master-link-status") == "ok" &&
                        Field(replica, "master-port") == std::to_string(primary));
      }
      if (!good) {
        *why = "sentinel " + std::to_string(port) + " does not see replica " +
               std::to_string(node.port) + " up";
        return false;
      }
    }
  }
  for (const Process& node : nodes_) {
    if (node.pid <= 0) continue;
    auto conn = RedisConnection::Connect(ConnectOptions(node.port, milliseconds(1000)));
    if (!conn.ok()) return false;
    auto role = (*conn)->Command({"ROLE"});
    if (!role.ok() || role->elements.empty()) return false;
    const std::string& name = role->elements[0].str;
    if (node.port == primary
            ? name != "master"
            : (name != "slave" || role->elements.size() < 4 ||
               role->elements[2].integer != primary || role->elements[3].str != "connected")) {
      *why = std::to_string(node.port) + " says ROLE " + name + " (primary " +
             std::to_string(primary) + ")";
      return false;
    }
  }
  return true;
}

void RedisSentinelGroup::WaitHealthy(milliseconds bound) {
  const auto deadline = steady_clock::now() + bound;
  std::string why;
  while (!Healthy(&why)) {
    ASSERT_LT(steady_clock::now(), deadline)
        << "Sentinel group not healthy after " << bound.count() << " ms: " << why << "\n"
        << Logs();
    std::this_thread::sleep_for(kPoll);
  }
}

int RedisSentinelGroup::Failover() {
  const int old_primary = Primary();
  auto conn = Connect(Sentinels().at(0));
  if (!conn) return 0;
  auto reply = conn->Command({"SENTINEL", "FAILOVER", kMasterName});
  EXPECT_TRUE(reply.ok() && !reply->is_error()) << (reply.ok() ? reply->str : "") << Logs();
  const auto start = steady_clock::now();
  const auto deadline = start + std::chrono::seconds(60);
  std::string why;
  bool named = false;
  while (true) {
    const int primary = AgreedPrimary(&why);
    if (primary != 0 && primary != old_primary && !named) {
      named = true;
      last_switch_ = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
    }
    if (primary != 0 && primary != old_primary && Healthy(&why)) return primary;
    if (steady_clock::now() > deadline) {
      ADD_FAILURE() << "no failover away from " << old_primary << ": " << why << "\n" << Logs();
      return 0;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

int RedisSentinelGroup::KillPrimary() {
  const int old_primary = Primary();
  for (Process& p : nodes_) {
    if (p.port == old_primary) Stop(p, SIGKILL);
  }
  const auto start = steady_clock::now();
  const auto deadline = start + std::chrono::seconds(60);
  std::string why;
  while (true) {
    const int primary = AgreedPrimary(&why);
    if (primary != 0 && primary != old_primary) {
      last_switch_ = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
      auto conn = RedisConnection::Connect(ConnectOptions(primary, milliseconds(1000)));
      auto role = conn.ok() ? (*conn)->Command({"ROLE"}) : Result<Reply>(conn.status());
      if (role.ok() && !role->elements.empty() && role->elements[0].str == "master") {
        return primary;
      }
    }
    if (steady_clock::now() > deadline) {
      ADD_FAILURE() << "no new primary after killing " << old_primary << ": " << why << "\n"
                    << Logs();
      return 0;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

void RedisSentinelGroup::Restart(int port) {
  Process* node = nullptr;
  for (Process& p : nodes_) {
    if (p.port == port) node = &p;
  }
  ASSERT_NE(node, nullptr) << "no data node on port " << port;
  ASSERT_LE(node->pid, 0) << port << " is running";
  // As a replica of the current primary, as Sentinel would have rewritten
  // its configuration had it been up.
  WriteFile(node->dir + "/redis.conf",
            DataConfig(node->port, node->dir, Primary(), options_.data_password, options_.tls));
  StartProcess(*node);
  if (::testing::Test::HasFatalFailure()) return;
  WaitHealthy();
}

std::string RedisSentinelGroup::Logs() const {
  std::string out;
  for (const auto* group : {&nodes_, &sentinels_}) {
    for (const Process& p : *group) {
      out += std::string("--- ") + (p.sentinel ? "redis-sentinel " : "redis-server ") +
             std::to_string(p.port) + (p.pid > 0 ? "" : " (stopped)") + " ---\n" +
             Tail(ReadFile(p.dir + "/redis.log"), 25);
    }
  }
  return out;
}

}  // namespace onep::testing
