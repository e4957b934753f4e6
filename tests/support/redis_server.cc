// SPDX-License-Identifier: Apache-2.0
#include "support/redis_server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "support/process.h"

namespace onep::testing {
namespace {

void Flatten(const Reply& reply, std::ostringstream& out) {
  switch (reply.type) {
    case Reply::Type::kArray:
      for (const auto& e : reply.elements) Flatten(e, out);
      break;
    case Reply::Type::kInteger:
      out << reply.integer << ' ';
      break;
    case Reply::Type::kNil:
      out << "(nil) ";
      break;
    default:
      out << reply.str << ' ';
  }
}

}  // namespace

RedisServer::RedisServer(std::vector<std::string> extra_config, std::string password)
    : extra_config_(std::move(extra_config)), password_(std::move(password)) {
  dir_ = MakeTempDir("redis");
  port_ = FreePort();
  Start();
}

RedisServer::~RedisServer() {
  Stop();
  PrintLogIfTestFailed("redis-server log", dir_ + "/redis.log", 60);
  RemoveTree(dir_);
}

std::string RedisServer::url() const {
  const std::string auth = password_.empty() ? "" : ":" + password_ + "@";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/0";
}

RedisOptions RedisServer::Options(std::chrono::milliseconds timeout) const {
  RedisOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = port_;
  options.endpoint.password = password_;
  options.timeout = timeout;
  return options;
}

void RedisServer::Start() {
  std::ostringstream conf;
  // Big keys are freed in the background after a DEL, as Valkey 8 does by
  // default: a test that reads used_memory must wait for it on Redis too.
  conf << "port " << port_ << "\nbind 127.0.0.1\nprotected-mode yes\ndir " << dir_
       << "\ndaemonize no\nsave \"\"\nappendonly no\nlogfile \"\"\nlazyfree-lazy-user-del yes\n";
  if (!password_.empty()) conf << "requirepass \"" << password_ << "\"\n";
  for (const auto& line : extra_config_) conf << line << "\n";
  WriteFile(dir_ + "/redis.conf", conf.str());
  ASSERT_TRUE(ProgramInstalled(ServerProgram("server"), ServerPackage("server")));
  pid_ = Spawn({ServerProgram("server"), dir_ + "/redis.conf"}, dir_ + "/redis.log");
  ASSERT_GT(pid_, 0) << "cannot start redis-server";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto conn = RedisConnection::Connect(Options(std::chrono::milliseconds(500)));
    if (conn.ok()) {
      auto pong = (*conn)->Command({"PING"});
      if (pong.ok() && pong->str == "PONG") return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL() << "redis-server did not answer on port " << port_ << "; log:\n"
         << ReadFile(dir_ + "/redis.log");
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::unique_ptr<RedisConnection> RedisServer::Connect() const {
  auto conn = RedisConnection::Connect(Options(std::chrono::milliseconds(5000)));
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  if (!conn.ok()) return nullptr;
  return std::move(conn).value();
}

std::unique_ptr<RedisClient> TestClientFor(const std::string& url,
                                           std::chrono::milliseconds timeout, RedisLog log,
                                           std::shared_ptr<const RedisTls> tls) {
  auto target = ParseRedisTarget(url);
  EXPECT_TRUE(target.ok()) << target.status().ToString();
  if (!target.ok()) return nullptr;
  RedisClientOptions options;
  options.timeout = timeout;
  options.log = std::move(log);
  options.tls = std::move(tls);
  auto client = ConnectRedis(*target, std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

std::unique_ptr<RedisConnection> TestConnection(const RedisOptions& options) {
  auto conn = RedisConnection::Connect(options);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(conn).value() : nullptr;
}

std::unique_ptr<RedisClient> RedisServer::Client() const {
  return TestClientFor(url(), std::chrono::milliseconds(5000));
}

std::string RedisServer::DumpAll() const {
  auto conn = Connect();
  return conn ? DumpKeys(*conn) : std::string();
}

std::string DumpKeys(RedisConnection& connection) {
  RedisConnection* conn = &connection;
  std::ostringstream out;
  std::string cursor = "0";
  do {
    auto page = conn->Command({"SCAN", cursor, "COUNT", "1000"});
    if (!page.ok() || page->elements.size() != 2) break;
    cursor = page->elements[0].str;
    for (const auto& key : page->elements[1].elements) {
      auto type = conn->Command({"TYPE", key.str});
      std::vector<std::string> read;
      if (type->str == "string") read = {"GET", key.str};
      if (type->str == "hash") read = {"HGETALL", key.str};
      if (type->str == "set") read = {"SMEMBERS", key.str};
      if (type->str == "zset") read = {"ZRANGE", key.str, "0", "-1", "WITHSCORES"};
      if (type->str == "list") read = {"LRANGE", key.str, "0", "-1"};
      if (type->str == "stream") read = {"XRANGE", key.str, "-", "+"};
      out << key.str << " => ";
      if (!read.empty()) {
        auto value = conn->Command(read);
        if (value.ok()) Flatten(*value, out);
      }
      out << "\n";
    }
  } while (cursor != "0");
  return out.str();
}

long long RedisServer::CommandCalls(const std::string& command) const {
  auto conn = Connect();
  auto info = conn->Command({"INFO", "commandstats"});
  if (!info.ok()) return -1;
  std::string needle = "cmdstat_" + command + ":calls=";
  auto pos = info->str.find(needle);
  if (pos == std::string::npos) return 0;
  return std::atoll(info->str.c_str() + pos + needle.size());
}

}  // namespace onep::testing
