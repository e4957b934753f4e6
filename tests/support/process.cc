// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace onep::testing {
namespace {

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> MergedEnv(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (extra.count(name) == 0) env.push_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

}  // namespace

RunResult Run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              const std::string& input) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> args = argv;
  std::vector<std::string> envs = MergedEnv(env);
  auto c_args = CStrings(args);
  auto c_env = CStrings(envs);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execve(c_args[0], c_args.data(), c_env.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);

  RunResult result;
  size_t written = 0;
  if (input.empty()) {
    close(in_pipe[1]);
    in_pipe[1] = -1;
  }
  pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_pipe[1], POLLOUT, 0}};
  int open_outputs = 2;
  char buf[65536];
  while (open_outputs > 0) {
    int n = poll(fds, in_pipe[1] >= 0 ? 3 : 2, -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t got = read(fds[i].fd, buf, sizeof buf);
        if (got > 0) {
          (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(got));
        } else {
          close(fds[i].fd);
          fds[i].fd = -1;
          --open_outputs;
        }
      }
    }
    if (in_pipe[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t put = write(in_pipe[1], input.data() + written, input.size() - written);
      if (put > 0) written += static_cast<size_t>(put);
      if (put <= 0 || written == input.size()) {
        close(in_pipe[1]);
        in_pipe[1] = -1;
      }
    }
  }
  if (in_pipe[1] >= 0) close(in_pipe[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

void StopSpawned(pid_t pid, int signal) {
  if (pid <= 0) return;
  kill(pid, signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path,
            const std::map<std::string, std::string>& env) {
  std::vector<std::string> args = argv;
  std::vector<std::string> envs = MergedEnv(env);
  auto c_args = CStrings(args);
  auto c_env = CStrings(envs);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null_fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    if (null_fd >= 0) dup2(null_fd, 0);
    setpgid(0, 0);  // keep terminal signals meant for the test runner away
    execve(c_args[0], c_args.data(), c_env.data());
    _exit(127);
  }
  return pid;
}

std::map<std::string, std::string> SanitizerEnv(const std::string& report_dir) {
  const char* preload = getenv("ONEP_SANITIZER_PRELOAD");
  if (preload == nullptr || *preload == '\0') return {};
  // Leak checking is off for the server: Apache frees its pools by exiting.
  return {{"LD_PRELOAD", preload},
          {"ASAN_OPTIONS", "detect_leaks=0:log_path=" + report_dir + "/sanitizer"},
          {"UBSAN_OPTIONS", "print_stacktrace=1:log_path=" + report_dir + "/sanitizer"},
          {"TSAN_OPTIONS", "log_path=" + report_dir + "/sanitizer"}};
}

std::string SanitizerReports(const std::string& report_dir) {
  std::string reports;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(report_dir, ec)) {
    if (entry.path().filename().string().rfind("sanitizer", 0) == 0) {
      reports += entry.path().string() + ":\n" + ReadFile(entry.path().string()) + "\n";
    }
  }
  return reports;
}

namespace {

// Ports handed out by FreePort in this process, each reserved by an flock
// held until the process exits.
std::mutex g_ports_mu;
std::vector<int> g_reserved_fds;

// True when a listener could bind 127.0.0.1:port now (as the servers do,
// with SO_REUSEADDR, so that TIME_WAIT leftovers do not count).
bool CanBind(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

// The kernel's choice (bind to port 0) left a window: the port was free when
// chosen and closed at once, so another test process, or any outgoing
// connection (an ephemeral port), could take it before the server bound it.
// Instead: a port below the ephemeral range (32768-60999 on Linux), so no
// outgoing connection ever takes it, reserved across processes by an flock
// on /tmp/onep-test-ports/<port> held until this process exits, and bindable
// right now.
int FreePort() {
  constexpr int kFirst = 20000, kCount = 12000;  // 20000-31999
  const std::string dir = "/tmp/onep-test-ports";
  mkdir(dir.c_str(), 01777);
  chmod(dir.c_str(), 01777);
  std::lock_guard<std::mutex> lock(g_ports_mu);
  thread_local unsigned seed =
      static_cast<unsigned>(getpid()) * 2654435761u ^ static_cast<unsigned>(time(nullptr));
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const int port = kFirst + static_cast<int>(rand_r(&seed) % kCount);
    const std::string path = dir + "/" + std::to_string(port);
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {  // another test process holds it
      close(fd);
      continue;
    }
    if (!CanBind(port)) {
      close(fd);
      continue;
    }
    g_reserved_fds.push_back(fd);  // kept: the reservation lasts as long as we do
    return port;
  }
  throw std::runtime_error("FreePort: no free loopback port in 20000-31999");
}

bool PortAcceptsConnections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string MakeTempDir(const std::string& tag) {
  const char* base = getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/onep-" + tag + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return std::string(buf.data());
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void PrintLogIfTestFailed(const std::string& what, const std::string& path, std::size_t max_lines) {
  if (!::testing::Test::HasFailure()) return;
  std::istringstream in(ReadFile(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  const std::size_t from = lines.size() > max_lines ? lines.size() - max_lines : 0;
  std::fprintf(stderr, "---- %s (%s), last %zu of %zu lines, printed because the test failed\n",
               what.c_str(), path.c_str(), lines.size() - from, lines.size());
  for (std::size_t i = from; i < lines.size(); ++i) std::fprintf(stderr, "%s\n", lines[i].c_str());
  std::fprintf(stderr, "---- end of %s\n", what.c_str());
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string ServerPackage(const std::string& role) {
  const char* server = getenv("ONEP_TEST_SERVER");
  const bool valkey = server != nullptr && std::string(server) == "valkey";
  const std::string name = valkey ? "valkey-" : "redis-";
  return name + (role == "cli" ? "tools" : role);
}

::testing::AssertionResult ProgramInstalled(const std::string& path, const std::string& package) {
  if (access(path.c_str(), X_OK) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << path << " is missing: it comes with Debian's package "
                                       << package << " (scripts/install-deps --tests installs it)";
}

std::string ServerProgram(const std::string& role) {
  const char* server = getenv("ONEP_TEST_SERVER");
  const bool valkey = server != nullptr && std::string(server) == "valkey";
  return std::string(valkey ? "/usr/bin/valkey-" : "/usr/bin/redis-") + role;
}

}  // namespace onep::testing
