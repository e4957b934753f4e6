// SPDX-License-Identifier: Apache-2.0
#include "onep/secret_box.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "onep/text.h"

namespace onep {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// A key file is small; anything longer is not one.
constexpr std::size_t kMaxKeyFileBytes = 256;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

SecretKey::SecretKey(std::string_view bytes) {
  std::memcpy(bytes_.data(), bytes.data(), kSecretKeyBytes);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(bytes_.data(), bytes_.size(), digest);
  key_id_ = HexEncode(std::string_view(reinterpret_cast<const char*>(digest), 4));
}

SecretKey::SecretKey(const SecretKey& other) : bytes_(other.bytes_), key_id_(other.key_id_) {}

SecretKey& SecretKey::operator=(const SecretKey& other) {
  bytes_ = other.bytes_;
  key_id_ = other.key_id_;
  return *this;
}

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

Result<SecretKey> ParseSecretKey(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.size() != 2 * kSecretKeyBytes) {
    return Status::InvalidArgument(
        "does not hold 64 hex characters (make one with: openssl rand "
        "-hex 32)");
  }
  std::string bytes(kSecretKeyBytes, '\0');
  for (std::size_t i = 0; i < kSecretKeyBytes; ++i) {
    const int hi = HexDigitValue(text[2 * i]);
    const int lo = HexDigitValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      OPENSSL_cleanse(bytes.data(), bytes.size());
      return Status::InvalidArgument(
          "does not hold 64 hex characters (make one with: openssl rand -hex 32)");
    }
    bytes[i] = static_cast<char>(hi << 4 | lo);
  }
  SecretKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

Result<SecretKey> ReadSecretKeyFile(const std::string& path) {
  const std::string quoted = QuoteForMessage(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const int err = errno;
    const std::string why = "secret key file " + quoted + ": " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(why);
    return Status::InvalidArgument(why);
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("secret key file " + quoted + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::InvalidArgument("secret key file " + quoted + " has mode " + mode +
                                   ": group and other must have no access (chmod 0600)");
  }
  std::string text(kMaxKeyFileBytes + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      OPENSSL_cleanse(text.data(), text.size());
      return Status::InvalidArgument("secret key file " + quoted + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  Result<SecretKey> key = ParseSecretKey(std::string_view(text.data(), got));
  OPENSSL_cleanse(text.data(), text.size());
  if (!key.ok()) return key.status().WithContext("secret key file " + quoted);
  return key;
}

Result<std::string> Seal(const SecretKey& key, std::string_view plaintext, std::string_view aad) {
  std::string out(kSealNonceBytes + plaintext.size() + kSealTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  auto* cipher = nonce + kSealNonceBytes;
  auto* tag = cipher + plaintext.size();
  if (RAND_bytes(nonce, kSealNonceBytes) != 1) {
    return Status::Internal("the OS random number generator failed");
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kSealTagBytes, tag) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return Status::Internal("AES-256-GCM sealing failed");
  }
  return Base64Encode(out);
}

Result<std::string> Open(const SecretKey& key, std::string_view sealed, std::string_view aad) {
  const Status cannot_open =
      Status::InvalidArgument("the sealed secret does not open with this key");
  std::optional<std::string> raw = Base64Decode(sealed);
  if (!raw || raw->size() < kSealNonceBytes + kSealTagBytes) return cannot_open;
  const auto* nonce = Bytes(*raw);
  const auto* cipher = nonce + kSealNonceBytes;
  const std::size_t cipher_len = raw->size() - kSealNonceBytes - kSealTagBytes;
  std::string plain(cipher_len, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, cipher, static_cast<int>(cipher_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kSealTagBytes,
                          const_cast<unsigned char*>(cipher + cipher_len)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return cannot_open;
  }
  return plain;
}

Result<std::string> NewWebhookSecret() {
  unsigned char bytes[kWebhookSecretBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return Status::Internal("the OS random number generator failed");
  }
  std::string secret(kWebhookSecretPrefix);
  secret += Base64Encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  OPENSSL_cleanse(bytes, sizeof(bytes));
  return secret;
}

Result<std::string> WebhookSigningKey(std::string_view secret) {
  const Status bad = Status::InvalidArgument("not a webhook secret (whsec_ + base64 of 32 bytes)");
  if (secret.substr(0, kWebhookSecretPrefix.size()) != kWebhookSecretPrefix) return bad;
  std::optional<std::string> key = Base64Decode(secret.substr(kWebhookSecretPrefix.size()));
  if (!key || key->size() != kWebhookSecretBytes) return bad;
  return *std::move(key);
}

}  // namespace onep
