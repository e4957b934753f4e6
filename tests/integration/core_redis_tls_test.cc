// SPDX-License-Identifier: Apache-2.0
// RedisConnection over TLS against a TLS-only redis-server: the pool's
// no-round-trip liveness check (PeerClosed) must tell a TLS record that is
// not a reply (a TLS 1.3 session ticket, sent after the handshake) from a
// closed connection, and the handshake is bounded by the timeout.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "onep/redis_connection.h"
#include "onep/redis_tls.h"
#include "support/process.h"
#include "support/tls_certs.h"

namespace onep::testing {
namespace {

using std::chrono::milliseconds;

class CoreRedisTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisTlsAvailable()) {
      ASSERT_NE(
          ::onep::testing::Run({"/bin/sh", "-c", "pkg-config --exists hiredis_ssl"}).exit_code, 0)
          << "hiredis_ssl is installed, but this build has no TLS to Redis";
      GTEST_SKIP() << "this build has no TLS to Redis (hiredis without hiredis_ssl)";
    }
    dir_ = MakeTempDir("core-redis-tls");
    ASSERT_NO_FATAL_FAILURE(certs_ = MakeTestCertificates(dir_));
    ASSERT_NO_FATAL_FAILURE(redis_.Start(dir_, certs_));
    RedisTlsSettings settings;
    settings.ca_file = certs_.ca;
    settings.cert_file = certs_.client_cert;
    settings.key_file = certs_.client_key;
    auto tls = RedisTls::Create(settings);
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();
    tls_ = std::move(tls).value();
  }

  void TearDown() override {
    redis_.Stop();
    if (!dir_.empty()) RemoveTree(dir_);
  }

  RedisOptions Options(bool read_clock) const {
    RedisOptions options;
    options.endpoint.host = "127.0.0.1";
    options.endpoint.port = redis_.port();
    options.endpoint.tls = true;
    options.tls = tls_;
    options.read_clock = read_clock;
    options.timeout = milliseconds(2000);
    return options;
  }

  std::string dir_;
  TestCertificates certs_;
  TlsOnlyRedis redis_;
  std::shared_ptr<const RedisTls> tls_;
};

TEST_F(CoreRedisTlsTest, AnIdleConnectionStaysUsableUntilTheServerClosesIt) {
  for (bool read_clock : {false, true}) {
    SCOPED_TRACE(read_clock ? "TIME read when connecting" : "nothing read yet");
    auto conn = RedisConnection::Connect(Options(read_clock));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    // Whatever the server sent after the handshake has arrived by now.
    std::this_thread::sleep_for(milliseconds(100));
    EXPECT_FALSE((*conn)->PeerClosed());
    EXPECT_FALSE((*conn)->PeerClosed());  // the check consumed nothing it needs
    ASSERT_TRUE((*conn)->Ping().ok());
    auto id = (*conn)->Command({"CLIENT", "ID"});
    ASSERT_TRUE(id.ok() && id->type == Reply::Type::kInteger);
    EXPECT_FALSE((*conn)->PeerClosed());

    // The server closes it (as on a restart): seen without a round trip.
    auto killer = RedisConnection::Connect(Options(true));
    ASSERT_TRUE(killer.ok()) << killer.status().ToString();
    auto killed = (*killer)->Command({"CLIENT", "KILL", "ID", std::to_string(id->integer)});
    ASSERT_TRUE(killed.ok() && killed->integer == 1);
    bool closed = false;
    for (int i = 0; i < 100 && !closed; ++i) {
      closed = (*conn)->PeerClosed();
      if (!closed) std::this_thread::sleep_for(milliseconds(10));
    }
    EXPECT_TRUE(closed);
  }
}

TEST_F(CoreRedisTlsTest, AServerThatNeverAnswersTheHandshakeTimesOut) {
  // A listener that accepts (the kernel does) and never speaks TLS.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(FreePort()));
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  RedisOptions options = Options(true);
  options.endpoint.port = ntohs(addr.sin_port);
  options.timeout = milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto conn = RedisConnection::Connect(options);
  const auto took = std::chrono::steady_clock::now() - start;
  close(fd);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), Code::kUnavailable);
  EXPECT_NE(conn.status().message().find("TLS handshake with 127.0.0.1:" +
                                         std::to_string(options.endpoint.port) + " failed"),
            std::string::npos)
      << conn.status().message();
  EXPECT_LT(took, milliseconds(2000));
}

}  // namespace
}  // namespace onep::testing
