// SPDX-License-Identifier: Apache-2.0
// Sealed secrets: what onep stores in Redis instead of a secret it must be
// able to read back (a notification endpoint's signing secret).
//
// A SecretKey is 32 bytes read from a key file of 64 hex characters (made by
// `openssl rand -hex 32`). Seal encrypts with AES-256-GCM: a 12-byte nonce
// from the OS CSPRNG, the ciphertext and the 16-byte tag, in that order, in
// base64 (RFC 4648, with padding). The AAD binds the sealed value to where it
// belongs (the endpoint's id), so a sealed value copied to another endpoint
// does not open. Open fails (never returns garbage) on any changed byte, on
// another AAD and on another key.
//
// The key's id is the first 8 hex characters of SHA-256 of the key: stored
// beside a sealed value so that a wrong key file is reported as such.
//
// Webhook secrets follow Standard Webhooks: "whsec_" + base64 of 32 random
// bytes; the HMAC key is the 32 decoded bytes. What is sealed is the whole
// "whsec_..." text.
//
// Thread-safety: pure functions, except the CSPRNG (thread-safe in OpenSSL).
// A SecretKey's bytes are wiped when it is destroyed.
#ifndef ONEP_SECRET_BOX_H_
#define ONEP_SECRET_BOX_H_

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "onep/status.h"

namespace onep {

inline constexpr std::size_t kSecretKeyBytes = 32;
inline constexpr std::size_t kSealNonceBytes = 12;
inline constexpr std::size_t kSealTagBytes = 16;
inline constexpr std::string_view kWebhookSecretPrefix = "whsec_";
inline constexpr std::size_t kWebhookSecretBytes = 32;

class SecretKey {
 public:
  // Precondition: bytes.size() == kSecretKeyBytes.
  explicit SecretKey(std::string_view bytes);
  SecretKey(const SecretKey& other);
  SecretKey& operator=(const SecretKey& other);
  ~SecretKey();

  const unsigned char* data() const { return bytes_.data(); }
  // First 8 lowercase hex characters of SHA-256 of the key.
  const std::string& key_id() const { return key_id_; }

 private:
  std::array<unsigned char, kSecretKeyBytes> bytes_{};
  std::string key_id_;
};

// Reads the key file at `path`: it must be a regular file that neither group
// nor other may read or write (mode & 077 == 0), holding exactly 64 hex
// characters (one trailing newline allowed). InvalidArgument naming the
// path and the problem otherwise (NotFound when it does not exist); the
// message never holds the file's content.
Result<SecretKey> ReadSecretKeyFile(const std::string& path);

// The same rule on the text of a key file (64 hex characters, one trailing
// newline allowed), for callers that hold it already.
Result<SecretKey> ParseSecretKey(std::string_view text);

// base64(nonce | ciphertext | tag) of `plaintext` sealed with `key`, bound
// to `aad`. Never fails short of the CSPRNG failing, which aborts no
// process: then Internal.
Result<std::string> Seal(const SecretKey& key, std::string_view plaintext, std::string_view aad);

// The plaintext of `sealed`; InvalidArgument when it is not base64 of at
// least nonce and tag, or when it does not open with `key` and `aad` (a
// changed byte, another AAD, another key: one message, no detail).
Result<std::string> Open(const SecretKey& key, std::string_view sealed, std::string_view aad);

// A new webhook secret, "whsec_" + base64 of 32 bytes from the OS CSPRNG.
Result<std::string> NewWebhookSecret();

// The 32-byte HMAC key inside a webhook secret; InvalidArgument when
// `secret` is not "whsec_" + base64 of 32 bytes.
Result<std::string> WebhookSigningKey(std::string_view secret);

}  // namespace onep

#endif  // ONEP_SECRET_BOX_H_
