// SPDX-License-Identifier: Apache-2.0
// Why a TLS connection to Redis failed, for RedisConnection's messages
// (implemented in redis_tls.cc).
//
// A Redis that requires a client certificate (tls-auth-clients yes) checks
// it after a TLS 1.3 handshake has already succeeded on our side, and then
// closes the connection: its alert, or a reset that overtakes it, comes on
// the first read. So the handshake records whether Redis asked for a client
// certificate that is not configured, and a failure before the first reply
// says so, whichever of the two arrived.
#ifndef ONEP_CORE_SRC_REDIS_TLS_FAILURE_H_
#define ONEP_CORE_SRC_REDIS_TLS_FAILURE_H_

#include <string>

struct ssl_st;

namespace onep {

// The reason for a failed read or write on `ssl`: the missing client
// certificate (see above), else OpenSSL's last error on this thread (a
// system error as its text); "" when neither says. Clears the thread's
// OpenSSL error queue.
std::string TlsFailureReason(ssl_st* ssl);

// After a reply was read on `ssl`: a later failure is not the missing
// client certificate's.
void TlsReplyRead(ssl_st* ssl);

}  // namespace onep

#endif  // ONEP_CORE_SRC_REDIS_TLS_FAILURE_H_
