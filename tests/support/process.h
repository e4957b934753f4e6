// SPDX-License-Identifier: Apache-2.0
// Running real binaries from tests: spawn, wait, capture output.
#ifndef ONEP_TESTS_SUPPORT_PROCESS_H_
#define ONEP_TESTS_SUPPORT_PROCESS_H_

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace onep::testing {

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// The path of one of the Redis server's programs, `role` "server",
// "sentinel" or "cli": /usr/bin/redis-ROLE (Debian's redis-server,
// redis-sentinel, redis-tools), or /usr/bin/valkey-ROLE (valkey-server,
// valkey-sentinel, valkey-tools) when the environment has
// ONEP_TEST_SERVER=valkey, so the same suite runs on Redis and on Valkey.
std::string ServerProgram(const std::string& role);

// The Debian package that installs ServerProgram(role): redis-server,
// redis-sentinel or redis-tools (valkey-server, valkey-sentinel or
// valkey-tools with ONEP_TEST_SERVER=valkey).
std::string ServerPackage(const std::string& role);

// Success when `path` is an executable file. Otherwise a failure that names
// the program, the Debian package it comes with, and the command that
// installs it, so that a missing package says so rather than failing later
// in an exec: "/usr/bin/stunnel4 is missing: it comes with Debian's package
// stunnel4 (scripts/install-deps --tests installs it)".
::testing::AssertionResult ProgramInstalled(const std::string& path, const std::string& package);

// Runs argv[0] (a path) with the given arguments and extra environment
// variables, stdin from `input`, and waits for it.
RunResult Run(const std::vector<std::string>& argv,
              const std::map<std::string, std::string>& env = {}, const std::string& input = "");

// Starts argv in the background with stdout/stderr appended to log_path and
// `env` added to the environment. Returns the pid, or -1.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path,
            const std::map<std::string, std::string>& env = {});

// Sends `signal` to `pid`, a process this test spawned, and reaps it; after
// 10 s without an exit, SIGKILL. Nothing when pid <= 0.
void StopSpawned(pid_t pid, int signal);

// Extra environment for a server under test when the suite runs with
// sanitizers: with ONEP_SANITIZER_PRELOAD set (scripts/test does), a stock
// binary such as apache2 preloads that runtime so it can load an instrumented
// module, and writes any report to `<report_dir>/sanitizer.*`. Empty otherwise.
std::map<std::string, std::string> SanitizerEnv(const std::string& report_dir);

// The sanitizer reports found in `report_dir` (empty when none).
std::string SanitizerReports(const std::string& report_dir);

// A loopback TCP port that is free now and reserved for this process until
// it exits: no other test process using FreePort gets it, and it lies below
// the kernel's ephemeral range, so no outgoing connection takes it either.
int FreePort();

// A fresh directory under $TMPDIR (or /tmp), removed by RemoveTree.
std::string MakeTempDir(const std::string& tag);
void RemoveTree(const std::string& path);

// True when something accepts TCP connections on 127.0.0.1:port.
bool PortAcceptsConnections(int port);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

// When the running test has failed, prints the last `max_lines` lines of a
// server's log to stderr: called before a server's folder is removed, so the
// line that says why (a module's ONEPnnnn, a Redis warning) is not lost.
void PrintLogIfTestFailed(const std::string& what, const std::string& path,
                          std::size_t max_lines = 200);

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_PROCESS_H_
