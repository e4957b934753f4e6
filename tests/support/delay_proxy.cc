// SPDX-License-Identifier: Apache-2.0
#include "support/delay_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace onep::testing {

DelayProxy::DelayProxy(int target_port, std::chrono::milliseconds delay)
    : target_port_(target_port), delay_(delay) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("DelayProxy: cannot listen on loopback");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

DelayProxy::~DelayProxy() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  for (auto& t : pumps_) t.join();
  for (int fd : fds_) close(fd);
}

void DelayProxy::Accept() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (server < 0 || connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(client);
      if (server >= 0) close(server);
      continue;
    }
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(client);
    fds_.push_back(server);
    pumps_.emplace_back([this, client, server] { Pump(client, server, true); });
    pumps_.emplace_back([this, client, server] { Pump(server, client, false); });
  }
}

// Reads what `from` sends, waits `delay_`, writes it to `to`; on the end of
// either side, ends the other's writing half.
void DelayProxy::Pump(int from, int to, bool from_client) {
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = read(from, buffer, sizeof(buffer));
    if (n <= 0) break;
    if (from_client) ++client_writes_;
    std::this_thread::sleep_for(delay_);  // the simulated latency, not a wait for a condition
    ssize_t written = 0;
    while (written < n) {
      // Not write(): a side closed (or the relay stopped) while a chunk was
      // held would raise SIGPIPE and end the test process.
      const ssize_t w = send(to, buffer + written, static_cast<size_t>(n - written), MSG_NOSIGNAL);
      if (w <= 0) break;
      written += w;
    }
    if (written < n) break;
  }
  shutdown(to, SHUT_WR);
}

}  // namespace onep::testing
