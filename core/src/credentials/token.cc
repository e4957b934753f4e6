// SPDX-License-Identifier: Apache-2.0
#include "onep/token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <memory>

#include "onep/text.h"

namespace onep {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Bytes at or above this are rejected so that every base62 digit is equally
// likely: 248 = 4 * 62 is the largest multiple of 62 that fits in a byte.
constexpr unsigned kRejectFrom = 248;

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

// Appends n uniformly distributed base62 characters from the OS CSPRNG.
Status AppendRandomBase62(std::size_t n, std::string& out) {
  unsigned char buf[64];
  std::size_t produced = 0;
  while (produced < n) {
    if (RAND_bytes(buf, sizeof(buf)) != 1) {
      OPENSSL_cleanse(buf, sizeof(buf));
      return Status::Internal("the OS random number generator failed");
    }
    for (unsigned char b : buf) {
      if (b >= kRejectFrom) continue;
      out.push_back(kBase62[b % 62]);
      if (++produced == n) break;
    }
  }
  OPENSSL_cleanse(buf, sizeof(buf));
  return Status::Ok();
}

// The checksum as exactly kTokenChecksumChars base62 digits, most significant
// first. 62^6 > 2^32, so every CRC32 value has exactly one encoding.
std::string EncodeChecksum(uint32_t crc) {
  std::string out(kTokenChecksumChars, '0');
  for (std::size_t i = kTokenChecksumChars; i-- > 0;) {
    out[i] = kBase62[crc % 62];
    crc /= 62;
  }
  return out;
}

}  // namespace

unsigned long Crc32(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (char ch : data) crc = kCrcTable[(crc ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

Result<std::string> GenerateRoutingTag() { return RandomId("", kRoutingTagChars); }

bool IsValidRoutingTag(std::string_view tag) {
  if (tag.size() != kRoutingTagChars) return false;
  for (char c : tag) {
    if (!IsBase62(c)) return false;
  }
  return true;
}

Result<std::string> GenerateToken(std::string_view tag) {
  if (!IsValidRoutingTag(tag)) return Status::InvalidArgument("malformed routing tag");
  std::string token(kTokenPrefix);
  token.reserve(kTokenLength);
  token.append(tag);
  Status st = AppendRandomBase62(kTokenRandomChars, token);
  if (!st.ok()) return st;
  token += EncodeChecksum(static_cast<uint32_t>(Crc32(token)));
  return token;
}

Status CheckTokenFormat(std::string_view token) {
  // The messages describe the problem, never the token.
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return Status::InvalidArgument("token does not start with \"onep_\"");
  }
  if (token.size() != kTokenLength && token.size() != kLegacyTokenLength) {
    return Status::InvalidArgument("token must be " + std::to_string(kTokenLength) +
                                   " characters long (is it truncated?)");
  }
  std::string_view body = token.substr(kTokenPrefix.size());
  for (char c : body) {
    if (!IsBase62(c)) {
      return Status::InvalidArgument(
          "token contains a character outside [0-9A-Za-z] after \"onep_\"");
    }
  }
  // The checksum covers the prefix, the tag and the random part, so a token
  // whose tag was changed is refused here, without asking Redis.
  std::string_view signed_part = token.substr(0, token.size() - kTokenChecksumChars);
  std::string expected = EncodeChecksum(static_cast<uint32_t>(Crc32(signed_part)));
  if (!ConstantTimeEquals(expected, token.substr(signed_part.size()))) {
    return Status::InvalidArgument("token checksum does not match (is it mistyped?)");
  }
  return Status::Ok();
}

std::string_view TokenRoutingTag(std::string_view token) {
  if (token.size() != kTokenLength) return std::string_view();
  return token.substr(kTokenPrefix.size(), kRoutingTagChars);
}

Result<std::string> GenerateCredentialId(std::string_view tag) {
  if (!IsValidRoutingTag(tag)) return Status::InvalidArgument("malformed routing tag");
  std::string prefix(kCredentialIdPrefix);
  prefix.append(tag);
  return RandomId(prefix, kCredentialIdRandomChars);
}

CredentialIdForm ClassifyCredentialId(std::string_view id) {
  if (id.substr(0, kCredentialIdPrefix.size()) != kCredentialIdPrefix) {
    return CredentialIdForm::kMalformed;
  }
  if (id.size() != kCredentialIdLength && id.size() != kLegacyCredentialIdLength) {
    return CredentialIdForm::kMalformed;
  }
  for (char c : id.substr(kCredentialIdPrefix.size())) {
    if (!IsBase62(c)) return CredentialIdForm::kMalformed;
  }
  return id.size() == kCredentialIdLength ? CredentialIdForm::kCurrent : CredentialIdForm::kLegacy;
}

std::string_view CredentialIdRoutingTag(std::string_view id) {
  if (ClassifyCredentialId(id) != CredentialIdForm::kCurrent) return std::string_view();
  return id.substr(kCredentialIdPrefix.size(), kRoutingTagChars);
}

std::string TokenHash(std::string_view token) {
  // Fetched once: with OpenSSL 3, EVP_sha256() makes every digest look the
  // algorithm up again in the provider store, which cost twice as much as the
  // hashing itself. Never freed; a fetch failure falls back to EVP_sha256().
  static const EVP_MD* const kSha256 = [] {
    const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md != nullptr ? md : EVP_sha256();
  }();
  // One context per thread, reused: EVP_Digest would allocate and free one
  // (and its algorithm state) for every token.
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local const std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), token.data(), token.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) {
    // Only on allocation failure inside OpenSSL. An empty hash matches no
    // stored token, so this fails closed.
    return std::string();
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string TokenHint(std::string_view token) {
  static constexpr std::size_t kHintChars = 4;
  std::string_view tail =
      token.size() > kHintChars ? token.substr(token.size() - kHintChars) : std::string_view();
  return "\xE2\x80\xA6" + std::string(tail);  // U+2026 HORIZONTAL ELLIPSIS
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> RandomId(std::string_view prefix, std::size_t n) {
  std::string id(prefix);
  id.reserve(prefix.size() + n);
  Status st = AppendRandomBase62(n, id);
  if (!st.ok()) return st;
  return id;
}

}  // namespace onep
