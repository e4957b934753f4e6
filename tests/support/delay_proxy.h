// SPDX-License-Identifier: Apache-2.0
// A TCP relay on loopback that holds every chunk of data, in both
// directions, for a fixed time before passing it on: a Redis that is slow to
// answer every command (a slow disk under appendfsync always, a distant
// link), with the real server behind it. With no delay, it counts how many
// writes the clients made.
#ifndef ONEP_TESTS_SUPPORT_DELAY_PROXY_H_
#define ONEP_TESTS_SUPPORT_DELAY_PROXY_H_

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace onep::testing {

class DelayProxy {
 public:
  // Listens on a free loopback port and relays to 127.0.0.1:target_port,
  // each chunk `delay` late (so a round trip takes twice `delay` more).
  DelayProxy(int target_port, std::chrono::milliseconds delay);
  ~DelayProxy();  // closes every connection and joins its threads
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  int port() const { return port_; }
  // Connections accepted so far.
  int connections() const { return connections_.load(); }
  // Reads from the clients so far: on loopback, each write a client makes
  // (of less than the buffer) arrives as one, so this counts its writes.
  int client_writes() const { return client_writes_.load(); }

 private:
  void Accept();
  void Pump(int from, int to, bool from_client);

  const int target_port_;
  const std::chrono::milliseconds delay_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> client_writes_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;            // guarded by mu_
  std::vector<std::thread> pumps_;  // guarded by mu_
};

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_DELAY_PROXY_H_
