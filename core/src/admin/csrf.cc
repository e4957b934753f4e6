// SPDX-License-Identifier: Apache-2.0
#include "onep/csrf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "onep/token.h"

namespace onep {

int64_t CsrfWindow(int64_t now_ms) {
  const int64_t window = now_ms / kCsrfWindowMs;
  return (now_ms < 0 && now_ms % kCsrfWindowMs != 0) ? window - 1 : window;
}

std::string CsrfToken(std::string_view secret, const CsrfScope& scope, int64_t window) {
  // Fields apart by NUL, which none of them can hold (they are C strings in
  // Apache), so that no two scopes make the same message.
  std::string message;
  for (std::string_view field : {scope.user, scope.location, scope.realm}) {
    message.append(field);
    message.push_back('\0');
  }
  message += std::to_string(window);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &size);
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t bits = 0;
  int held = 0;
  for (unsigned int i = 0; i < size; ++i) {
    bits = (bits << 8) | mac[i];
    held += 8;
    while (held >= 6) {
      held -= 6;
      out.push_back(kAlphabet[(bits >> held) & 63]);
    }
  }
  if (held > 0) out.push_back(kAlphabet[(bits << (6 - held)) & 63]);
  return out;
}

bool CsrfTokenAccepted(std::string_view secret, const CsrfScope& scope, std::string_view sent,
                       int64_t now_ms) {
  const int64_t window = CsrfWindow(now_ms);
  // Both compared, so the time taken does not say which window matched.
  const bool current = ConstantTimeEquals(sent, CsrfToken(secret, scope, window));
  const bool previous = ConstantTimeEquals(sent, CsrfToken(secret, scope, window - 1));
  return current | previous;
}

}  // namespace onep
