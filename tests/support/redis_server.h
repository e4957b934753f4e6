// SPDX-License-Identifier: Apache-2.0
// A real redis-server on a free loopback port, in a temporary folder, for the
// lifetime of the object. Stopped by its own pid only.
#ifndef ONEP_TESTS_SUPPORT_REDIS_SERVER_H_
#define ONEP_TESTS_SUPPORT_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "onep/redis_client.h"
#include "onep/redis_connection.h"

namespace onep::testing {

class RedisServer {
 public:
  // Starts redis-server with `extra_config` lines appended to its config.
  // With a `password`, the server requires it (requirepass) and every
  // connection made here authenticates with it. Aborts the test (gtest fatal
  // failure) when it does not come up.
  explicit RedisServer(std::vector<std::string> extra_config = {}, std::string password = "");
  ~RedisServer();

  int port() const { return port_; }
  std::string url() const;  // redis://127.0.0.1:PORT/0, or redis://:PASSWORD@... with one
  const std::string& password() const { return password_; }
  const std::string& dir() const { return dir_; }

  // A new client connection (fails the test if it cannot connect).
  std::unique_ptr<RedisConnection> Connect() const;
  // Connection options for this server with `timeout`.
  RedisOptions Options(std::chrono::milliseconds timeout) const;
  // A RedisClient for url(), as the module and onepctl open one.
  std::unique_ptr<RedisClient> Client() const;

  // Stops the server (SIGTERM, wait) / starts it again on the same port and dir.
  void Stop();
  // SIGKILL: dies at once, with whatever it held unanswered.
  void Kill();
  void Start();

  // Every key and every value in the db as text: "key => value" lines, for
  // tests that look for secrets.
  std::string DumpAll() const;

  // calls of `command` (lowercase, e.g. "evalsha") in INFO commandstats.
  long long CommandCalls(const std::string& command) const;

 private:
  std::vector<std::string> extra_config_;
  std::string password_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A RedisClient for any OnepRedis URL, as the module and onepctl open one
// (`tls` for a rediss* URL); nullptr and a test failure when it cannot be had.
std::unique_ptr<RedisClient> TestClientFor(const std::string& url,
                                           std::chrono::milliseconds timeout, RedisLog log = {},
                                           std::shared_ptr<const RedisTls> tls = nullptr);

// A plain connection with `options`; nullptr and a test failure if none.
std::unique_ptr<RedisConnection> TestConnection(const RedisOptions& options);

// Every key and value of the server `conn` is connected to, as DumpAll does.
std::string DumpKeys(RedisConnection& conn);

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_REDIS_SERVER_H_
