// SPDX-License-Identifier: Apache-2.0
// Redis MONITOR on a raw socket, for tests that count the commands a client
// sends to one server.
#ifndef ONEP_TESTS_SUPPORT_REDIS_MONITOR_H_
#define ONEP_TESTS_SUPPORT_REDIS_MONITOR_H_

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "support/http_client.h"

namespace onep::testing {

// Redis MONITOR on a raw socket: the commands clients send, one line each
// ("+1764237600.123456 [0 127.0.0.1:5555] \"EVALSHA\" ..."); commands run by
// a script show as "[0 lua]" and are not round trips.
class RedisMonitor {
 public:
  explicit RedisMonitor(int port) {
    std::string error;
    fd_ = ConnectLoopback(port, &error);
    EXPECT_GE(fd_, 0) << error;
    const std::string monitor = "*1\r\n$7\r\nMONITOR\r\n";
    EXPECT_EQ(send(fd_, monitor.data(), monitor.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(monitor.size()));
    EXPECT_EQ(ReadFor(fd_, 500, "\r\n").rfind("+OK", 0), 0u);
  }
  ~RedisMonitor() { close(fd_); }
  RedisMonitor(const RedisMonitor&) = delete;
  RedisMonitor& operator=(const RedisMonitor&) = delete;

  // The client commands seen so far (waits a moment for stragglers), less
  // what a new connection sends once, in one write (the TIME that measures
  // the clock offset and the SCRIPT LOAD of the record script), and the GET
  // of the layout version each child makes once (docs/design.md): a request
  // that lands on a child with no connection yet pays those once
  // (RedisConnectionsAreReused bounds how often); and the background work of
  // one child per server, on connections of its own: the notification
  // deliverer's look for orgs with endpoints (each second) and the silence
  // sweep's look for orgs due (docs/operations.md).
  std::vector<std::string> ClientCommands() {
    std::vector<std::string> commands;
    std::string data = ReadFor(fd_, 200);
    std::size_t start = 0;
    while (start < data.size()) {
      std::size_t end = data.find("\r\n", start);
      if (end == std::string::npos) break;
      std::string line = data.substr(start, end - start);
      const bool in_script = line.find(" lua] ") != std::string::npos;
      const bool connect_time =
          line.size() >= 7 && line.compare(line.size() - 7, 7, " \"TIME\"") == 0;
      const bool connect_load = line.find("] \"SCRIPT\" \"LOAD\" ") != std::string::npos;
      const bool layout_check = line.find("\"GET\" \"onep:layout\"") != std::string::npos;
      const bool background =
          line.find("\"SMEMBERS\" \"onep:notifyorgs\"") != std::string::npos ||
          line.find("\"ZRANGEBYSCORE\" \"onep:sweeporgs\"") != std::string::npos;
      if (!in_script && !connect_time && !connect_load && !layout_check && !background) {
        commands.push_back(line);
      }
      start = end + 2;
    }
    return commands;
  }

 private:
  int fd_ = -1;
};

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_REDIS_MONITOR_H_
