// SPDX-License-Identifier: Apache-2.0
// Certificates for tests of TLS to Redis, made with the openssl program in a
// folder of the test's own: a CA, a server certificate signed by it for
// 127.0.0.1 and localhost, a client certificate signed by it, and a second
// CA that signed neither. Keys are unencrypted; everything expires in 2 days.
#ifndef ONEP_TESTS_SUPPORT_TLS_CERTS_H_
#define ONEP_TESTS_SUPPORT_TLS_CERTS_H_

#include <sys/types.h>

#include <string>

namespace onep::testing {

struct TestCertificates {
  std::string ca;           // ca.crt
  std::string server_cert;  // redis.crt: CN=localhost, SAN IP:127.0.0.1, DNS:localhost
  std::string server_key;   // redis.key
  std::string client_cert;  // client.crt: CN=onep-module
  std::string client_key;   // client.key
  std::string other_ca;     // other-ca.crt: signed none of the above
};

// Makes them in `dir`. On failure, a fatal gtest failure (check
// ::testing::Test::HasFatalFailure()) and paths to files that do not exist.
TestCertificates MakeTestCertificates(const std::string& dir);

// The lines of a redis.conf (or valkey.conf) that make it serve TLS only on
// `tls_port`, with `certs`' server certificate, client certificates required.
std::string TlsOnlyServerConfig(const TestCertificates& certs, int tls_port);

// A TLS-only redis-server (ServerProgram("server")) of the test's own, in
// `dir`, with `certs` and `extra_config`; stopped by its pid. On failure to
// start, a fatal gtest failure with its log.
class TlsOnlyRedis {
 public:
  TlsOnlyRedis() = default;
  ~TlsOnlyRedis();
  TlsOnlyRedis(const TlsOnlyRedis&) = delete;
  TlsOnlyRedis& operator=(const TlsOnlyRedis&) = delete;

  void Start(const std::string& dir, const TestCertificates& certs,
             const std::string& extra_config = "");
  // SIGTERM, and its log printed if the test failed. Idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  std::string log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_TLS_CERTS_H_
