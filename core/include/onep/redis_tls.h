// SPDX-License-Identifier: Apache-2.0
// TLS to Redis: what rediss://, rediss-cluster:// and rediss-sentinel://
// connect with (docs/configuration.md, OnepRedisTLS; onepctl --tls-*).
//
// Verification is always on: Redis' certificate must chain to the CA bundle
// (the system's CAs when none is given), and its name must match the server
// name: the one configured, else the host each connection is made to (an IP
// address is checked against the certificate's IP addresses). A client
// certificate is presented when one is configured (tls-auth-clients yes).
//
// Builds without hiredis' TLS support (hiredis 0.14, Debian 12) refuse TLS
// with RedisTlsMissing(), the one wording of what to do instead.
#ifndef ONEP_REDIS_TLS_H_
#define ONEP_REDIS_TLS_H_

#include <memory>
#include <string>
#include <string_view>

#include "onep/redis_url.h"
#include "onep/status.h"

struct redisContext;
struct ssl_ctx_st;
struct ssl_st;

namespace onep {

// Whether this build can speak TLS to Redis (hiredis 1.x with hiredis_ssl).
bool RedisTlsAvailable();

// InvalidArgument: "`what` needs hiredis with TLS (...); on this system use
// the stunnel recipe in docs/operations.md (...)". `what` is what asked for
// TLS, e.g. "rediss://".
Status RedisTlsMissing(std::string_view what);

// OK for a plain target, or in a build with TLS; RedisTlsMissing naming the
// target's scheme ("rediss-cluster://") otherwise.
Status CheckRedisTlsSupport(const RedisTarget& target);

struct RedisTlsSettings {
  std::string ca_file;      // PEM bundle Redis' certificate must chain to; empty: system CAs
  std::string cert_file;    // PEM client certificate (its chain may follow); empty: none
  std::string key_file;     // the client certificate's key; given with cert_file only
  std::string server_name;  // name to verify and send as SNI; empty: each connection's host
};

// An OpenSSL client context, made once per configuration (an OnepRedis URL
// with its OnepRedisTLS, an onepctl run) and shared by all the connections
// of a RedisClient. Immutable once made: thread-safe.
class RedisTls {
 public:
  // Reads the CA bundle, the certificate and the key now. InvalidArgument
  // naming the file that cannot be used (missing, unreadable, not PEM, a key
  // that is not the certificate's); RedisTlsMissing("TLS to Redis") in a
  // build without TLS.
  static Result<std::shared_ptr<const RedisTls>> Create(RedisTlsSettings settings);

  ~RedisTls();
  RedisTls(const RedisTls&) = delete;
  RedisTls& operator=(const RedisTls&) = delete;

  const RedisTlsSettings& settings() const { return settings_; }

  // For RedisConnection::Connect: the TLS handshake on `ctx`, a connected
  // hiredis context whose timeout is set (it bounds the handshake), with the
  // name checked against `host` unless a server name is configured. On
  // success hiredis owns the session; the pointer stays valid as long as
  // `ctx`. Unavailable "TLS handshake with HOST:PORT failed: REASON"
  // otherwise (`where` is HOST:PORT).
  Result<ssl_st*> Handshake(redisContext* ctx, const std::string& host,
                            const std::string& where) const;

 private:
  RedisTls(RedisTlsSettings settings, ssl_ctx_st* ctx);

  const RedisTlsSettings settings_;
  ssl_ctx_st* const ctx_;  // owned
};

// Whether a TLS connection (`ssl` on `fd`, blocking, idle) is still usable:
// records that are not application data (TLS 1.3 session tickets) are
// consumed without blocking; a close, an alert or application data nobody
// asked for make it unusable. For RedisConnection::PeerClosed.
bool TlsPeerClosed(ssl_st* ssl, int fd);

// The reason OpenSSL gives for the last failure on this thread ("" when it
// gives none), and the thread's error queue cleared.
std::string TakeTlsError();

}  // namespace onep

#endif  // ONEP_REDIS_TLS_H_
