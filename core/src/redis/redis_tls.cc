// SPDX-License-Identifier: Apache-2.0
#include "onep/redis_tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "redis/tls_failure.h"

#if ONEP_HAVE_REDIS_TLS
#include <hiredis/hiredis.h>
#include <hiredis/hiredis_ssl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#endif

namespace onep {

bool RedisTlsAvailable() {
#if ONEP_HAVE_REDIS_TLS
  return true;
#else
  return false;
#endif
}

Status RedisTlsMissing(std::string_view what) {
  return Status::InvalidArgument(
      std::string(what) +
      " needs hiredis with TLS (libhiredis-dev 1.x, as in Debian 13); on this system use the "
      "stunnel recipe in docs/operations.md (redis:// to a local stunnel)");
}

Status CheckRedisTlsSupport(const RedisTarget& target) {
  if (!target.tls() || RedisTlsAvailable()) return Status::Ok();
  const std::string url = target.Redacted();
  return RedisTlsMissing(url.substr(0, url.find("://") + 3));
}

std::string TakeTlsError() {
  const unsigned long error = ERR_peek_last_error();
  std::string reason;
  if (error != 0 && ERR_GET_LIB(error) == ERR_LIB_SYS) {
    reason = std::strerror(ERR_GET_REASON(error));  // an errno
  } else if (error != 0) {
    const char* text = ERR_reason_error_string(error);
    reason = text != nullptr ? text : "OpenSSL error " + std::to_string(error);
  }
  ERR_clear_error();
  return reason;
}

#if ONEP_HAVE_REDIS_TLS

namespace {

constexpr char kNoClientCertificate[] =
    "Redis asked for a client certificate, and none is configured";

// Where a session keeps "Redis asked for a client certificate we lack"
// (tls_failure.h): an ex_data slot of our own, made once.
int AskedIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL calls this when Redis asks for a client certificate and the
// context has none: noted, and the handshake goes on without one.
int NoteCertificateRequest(SSL* ssl, X509**, EVP_PKEY**) {
  SSL_set_ex_data(ssl, AskedIndex(), const_cast<char*>(kNoClientCertificate));
  return 0;
}

using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;

bool IsIpAddress(const std::string& name) {
  unsigned char addr[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), addr) == 1 ||
         inet_pton(AF_INET6, name.c_str(), addr) == 1;
}

// OpenSSL's messages say what is wrong in a file, not which file: both.
Status FileProblem(const char* what, const std::string& path) {
  std::string reason = TakeTlsError();
  if (FILE* f = std::fopen(path.c_str(), "r"); f == nullptr) {
    reason = std::strerror(errno);
  } else {
    std::fclose(f);
  }
  return Status::InvalidArgument("cannot use the " + std::string(what) + " " + path + ": " +
                                 (reason.empty() ? "unknown error" : reason));
}

}  // namespace

RedisTls::RedisTls(RedisTlsSettings settings, ssl_ctx_st* ctx)
    : settings_(std::move(settings)), ctx_(ctx) {}

RedisTls::~RedisTls() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<const RedisTls>> RedisTls::Create(RedisTlsSettings settings) {
  if (settings.cert_file.empty() != settings.key_file.empty()) {
    return Status::InvalidArgument("a client certificate needs its key, and a key its certificate");
  }
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) return Status::Internal("cannot create a TLS context: " + TakeTlsError());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Every handshake verifies the chain; the name is set per connection.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (settings.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return Status::InvalidArgument("cannot load the system's CA certificates: " + TakeTlsError());
    }
  } else if (SSL_CTX_load_verify_locations(ctx.get(), settings.ca_file.c_str(), nullptr) != 1) {
    return FileProblem("CA file", settings.ca_file);
  }
  if (settings.cert_file.empty()) {
    AskedIndex();  // made now, before threads share the context
    SSL_CTX_set_client_cert_cb(ctx.get(), NoteCertificateRequest);
  } else {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), settings.cert_file.c_str()) != 1) {
      return FileProblem("certificate file", settings.cert_file);
    }
    const bool key_loaded =
        SSL_CTX_use_PrivateKey_file(ctx.get(), settings.key_file.c_str(), SSL_FILETYPE_PEM) == 1;
    // OpenSSL checks the pair while loading the key, or else below.
    if (!key_loaded && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
      return FileProblem("key file", settings.key_file);
    }
    if (!key_loaded || SSL_CTX_check_private_key(ctx.get()) != 1) {
      TakeTlsError();
      return Status::InvalidArgument("the key file " + settings.key_file +
                                     " is not the key of the certificate " + settings.cert_file);
    }
  }
  return std::shared_ptr<const RedisTls>(new RedisTls(std::move(settings), ctx.release()));
}

Result<ssl_st*> RedisTls::Handshake(redisContext* ctx, const std::string& host,
                                    const std::string& where) const {
  auto failed = [&](const std::string& reason) {
    return Status::Unavailable("TLS handshake with " + where + " failed: " + reason,
                               RedisFailure::kCannotConnect);
  };
  ERR_clear_error();
  SslPtr ssl(SSL_new(ctx_), SSL_free);
  if (!ssl) return failed("cannot create a TLS session: " + TakeTlsError());
  const std::string& name = settings_.server_name.empty() ? host : settings_.server_name;
  // An address is checked against the certificate's IP addresses and sent
  // as no SNI (RFC 6066 allows names only); a name against its DNS names.
  bool named;
  if (IsIpAddress(name)) {
    named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str()) == 1;
  } else {
    SSL_set_hostflags(ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    named = SSL_set1_host(ssl.get(), name.c_str()) == 1 &&
            SSL_set_tlsext_host_name(ssl.get(), name.c_str()) == 1;
  }
  if (!named) return failed("cannot check the server name \"" + name + "\": " + TakeTlsError());
  errno = 0;
  if (redisInitiateSSL(ctx, ssl.get()) != REDIS_OK) {
    // hiredis leaves the session to its caller when the handshake fails.
    const int saved_errno = errno;
    const long verified = SSL_get_verify_result(ssl.get());
    std::string reason;
    if (verified != X509_V_OK) {
      reason = std::string("certificate verify failed (") +
               X509_verify_cert_error_string(verified) + ")";
    } else if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) {
      reason = "timed out";
    } else if (SSL_get_ex_data(ssl.get(), AskedIndex()) != nullptr) {
      reason = kNoClientCertificate;
    } else {
      reason = ctx->errstr;
      static constexpr std::string_view kPrefix = "SSL_connect failed: ";
      if (reason.rfind(kPrefix, 0) == 0) reason.erase(0, kPrefix.size());
      if (reason.empty() || reason == "(null)") reason = "no reason given";
    }
    TakeTlsError();
    return failed(reason);
  }
  return ssl.release();  // hiredis' now: freed with the context
}

bool TlsPeerClosed(ssl_st* ssl, int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return true;
  ERR_clear_error();
  char byte;
  const int n = SSL_peek(ssl, &byte, 1);
  const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, n);
  const bool restored = fcntl(fd, F_SETFL, flags) == 0;
  ERR_clear_error();
  // Only "nothing to read yet" leaves the connection usable.
  return !restored || error != SSL_ERROR_WANT_READ;
}

std::string TlsFailureReason(ssl_st* ssl) {
  if (SSL_get_ex_data(ssl, AskedIndex()) != nullptr) {
    TakeTlsError();
    return kNoClientCertificate;
  }
  return TakeTlsError();
}

void TlsReplyRead(ssl_st* ssl) {
  if (SSL_get_ex_data(ssl, AskedIndex()) != nullptr) SSL_set_ex_data(ssl, AskedIndex(), nullptr);
}

#else  // !ONEP_HAVE_REDIS_TLS

RedisTls::RedisTls(RedisTlsSettings settings, ssl_ctx_st* ctx)
    : settings_(std::move(settings)), ctx_(ctx) {}

RedisTls::~RedisTls() = default;

Result<std::shared_ptr<const RedisTls>> RedisTls::Create(RedisTlsSettings) {
  return RedisTlsMissing("TLS to Redis");
}

Result<ssl_st*> RedisTls::Handshake(redisContext*, const std::string&, const std::string&) const {
  return RedisTlsMissing("TLS to Redis");
}

bool TlsPeerClosed(ssl_st*, int) { return true; }

std::string TlsFailureReason(ssl_st*) { return TakeTlsError(); }

void TlsReplyRead(ssl_st*) {}

#endif  // ONEP_HAVE_REDIS_TLS

}  // namespace onep
