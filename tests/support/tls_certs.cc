// SPDX-License-Identifier: Apache-2.0
#include "support/tls_certs.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>
#include <vector>

#include "support/process.h"

namespace onep::testing {
namespace {

// Runs openssl with `args` in `dir`; fails the test on a non-zero exit.
void OpenSsl(const std::string& dir, const std::vector<std::string>& args) {
  ASSERT_TRUE(ProgramInstalled("/usr/bin/openssl", "openssl"));
  std::vector<std::string> argv = {"/bin/sh", "-c", "cd '" + dir + "' && /usr/bin/openssl"};
  for (const auto& a : args) argv[2] += " '" + a + "'";
  RunResult r = Run(argv);
  ASSERT_EQ(r.exit_code, 0) << argv[2] << "\n" << r.err;
}

void MakeCa(const std::string& dir, const std::string& name, const std::string& subject) {
  OpenSsl(dir, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=" + subject, "-keyout", name + ".key", "-out", name + ".crt"});
}

void MakeAll(const std::string& dir) {
  ASSERT_NO_FATAL_FAILURE(MakeCa(dir, "ca", "onep test CA"));
  ASSERT_NO_FATAL_FAILURE(MakeCa(dir, "other-ca", "another CA"));
  WriteFile(dir + "/server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (const std::string name : {"redis", "client"}) {
    ASSERT_NO_FATAL_FAILURE(
        OpenSsl(dir, {"req", "-newkey", "rsa:2048", "-nodes", "-subj",
                      "/CN=" + std::string(name == "redis" ? "localhost" : "onep-module"),
                      "-keyout", name + ".key", "-out", name + ".csr"}));
    std::vector<std::string> sign = {"x509",   "-req",   "-in",        name + ".csr",     "-CA",
                                     "ca.crt", "-CAkey", "ca.key",     "-CAcreateserial", "-days",
                                     "2",      "-out",   name + ".crt"};
    if (name == "redis") sign.insert(sign.end(), {"-extfile", "server.ext"});
    ASSERT_NO_FATAL_FAILURE(OpenSsl(dir, sign));
  }
}

}  // namespace

TestCertificates MakeTestCertificates(const std::string& dir) {
  MakeAll(dir);
  TestCertificates certs;
  certs.ca = dir + "/ca.crt";
  certs.server_cert = dir + "/redis.crt";
  certs.server_key = dir + "/redis.key";
  certs.client_cert = dir + "/client.crt";
  certs.client_key = dir + "/client.key";
  certs.other_ca = dir + "/other-ca.crt";
  return certs;
}

std::string TlsOnlyServerConfig(const TestCertificates& certs, int tls_port) {
  return "port 0\ntls-port " + std::to_string(tls_port) + "\ntls-cert-file " + certs.server_cert +
         "\ntls-key-file " + certs.server_key + "\ntls-ca-cert-file " + certs.ca +
         "\ntls-auth-clients yes\n";
}

void TlsOnlyRedis::Start(const std::string& dir, const TestCertificates& certs,
                         const std::string& extra_config) {
  port_ = FreePort();
  log_ = dir + "/redis.log";
  WriteFile(dir + "/redis.conf", TlsOnlyServerConfig(certs, port_) + "bind 127.0.0.1\ndir " + dir +
                                     "\nsave \"\"\nappendonly no\ndaemonize no\nlogfile \"\"\n" +
                                     extra_config);
  pid_ = Spawn({ServerProgram("server"), dir + "/redis.conf"}, log_);
  ASSERT_GT(pid_, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!PortAcceptsConnections(port_)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << ReadFile(log_);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TlsOnlyRedis::~TlsOnlyRedis() { Stop(); }

void TlsOnlyRedis::Stop() {
  if (pid_ <= 0) return;
  StopSpawned(pid_, SIGTERM);
  pid_ = -1;
  PrintLogIfTestFailed("redis-server log", log_, 40);
}

}  // namespace onep::testing
