// SPDX-License-Identifier: Apache-2.0
#include "onep/sha1.h"

#include <openssl/evp.h>

#include <new>

#include "onep/text.h"

namespace onep {

std::string Sha1Hex(std::string_view data) {
  // Fetched once: OpenSSL 3's SHA1() looks the algorithm up in the provider
  // store on every call, which costs more than hashing a short key. Never
  // freed; a fetch failure falls back to EVP_sha1().
  static const EVP_MD* const kSha1 = [] {
    const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    return md != nullptr ? md : EVP_sha1();
  }();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, kSha1, nullptr) != 1) {
    // Only on allocation failure inside OpenSSL.
    throw std::bad_alloc();
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

}  // namespace onep
