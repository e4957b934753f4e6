// SPDX-License-Identifier: Apache-2.0
// Sealed secrets (onep/secret_box.h): AES-256-GCM that opens only with the
// same key and AAD and with no byte changed, and the key file's rules.
#include "onep/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "onep/text.h"

namespace onep {
namespace {

constexpr std::string_view kKeyHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kOtherKeyHex =
    "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

SecretKey Key(std::string_view hex) {
  Result<SecretKey> key = ParseSecretKey(hex);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return *key;
}

// Flips one bit of byte `at` of the decoded sealed value.
std::string FlipBit(const std::string& sealed, std::size_t at) {
  std::string raw = *Base64Decode(sealed);
  raw[at] = static_cast<char>(raw[at] ^ 0x01);
  return Base64Encode(raw);
}

class SecretBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/onep-secret-box-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& f : files_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string WriteKeyFile(const std::string& name, std::string_view text, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(SecretBoxTest, SealedTextOpensWithTheSameKeyAndAad) {
  const SecretKey key = Key(kKeyHex);
  const std::string plain = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  Result<std::string> sealed = Seal(key, plain, "ne_AbCdEfGh123456789012");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find(plain), std::string::npos);
  EXPECT_EQ(Base64Decode(*sealed)->size(), kSealNonceBytes + plain.size() + kSealTagBytes);
  Result<std::string> opened = Open(key, *sealed, "ne_AbCdEfGh123456789012");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, plain);
  // A fresh nonce each time: the same plaintext seals differently.
  EXPECT_NE(*Seal(key, plain, "ne_AbCdEfGh123456789012"), *sealed);
  // The empty plaintext is sealed and opened too.
  EXPECT_EQ(*Open(key, *Seal(key, "", "x"), "x"), "");
}

TEST_F(SecretBoxTest, AFlippedBitAnywhereFailsToOpen) {
  const SecretKey key = Key(kKeyHex);
  const std::string plain = "a secret of 24 bytes....";
  const std::string sealed = *Seal(key, plain, "aad");
  const std::size_t total = kSealNonceBytes + plain.size() + kSealTagBytes;
  for (std::size_t at : {std::size_t{0}, kSealNonceBytes - 1,    // nonce
                         kSealNonceBytes, kSealNonceBytes + 10,  // ciphertext
                         total - kSealTagBytes, total - 1}) {    // tag
    Result<std::string> opened = Open(key, FlipBit(sealed, at), "aad");
    ASSERT_FALSE(opened.ok()) << "byte " << at;
    EXPECT_EQ(opened.status().message(), "the sealed secret does not open with this key");
  }
  EXPECT_FALSE(Open(key, sealed, "aaD").ok());               // another AAD
  EXPECT_FALSE(Open(key, sealed, "").ok());                  // no AAD
  EXPECT_FALSE(Open(key, sealed.substr(0, 8), "aad").ok());  // cut short
  EXPECT_FALSE(Open(key, "not base64!", "aad").ok());
  EXPECT_TRUE(Open(key, sealed, "aad").ok());
}

TEST_F(SecretBoxTest, AnotherKeyFailsToOpenAndHasAnotherId) {
  const SecretKey key = Key(kKeyHex);
  const SecretKey other = Key(kOtherKeyHex);
  const std::string sealed = *Seal(key, "text", "aad");
  EXPECT_FALSE(Open(other, sealed, "aad").ok());
  EXPECT_EQ(key.key_id().size(), 8u);
  EXPECT_NE(key.key_id(), other.key_id());
  // SHA-256 of the bytes 00..1f starts with 630dcd29.
  EXPECT_EQ(key.key_id(), "630dcd29");
}

TEST_F(SecretBoxTest, AKeyFileOfMode0600IsRead) {
  const std::string path = WriteKeyFile("ok.key", std::string(kKeyHex) + "\n", 0600);
  Result<SecretKey> key = ReadSecretKeyFile(path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->key_id(), Key(kKeyHex).key_id());
  // Upper case hex and no newline read the same key; 0400 is fine too.
  std::string upper(kKeyHex);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Result<SecretKey> same = ReadSecretKeyFile(WriteKeyFile("upper.key", upper, 0400));
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->key_id(), key->key_id());
}

TEST_F(SecretBoxTest, AKeyFileOthersMayReadIsRefused) {
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    const std::string path = WriteKeyFile("open.key", kKeyHex, mode);
    Result<SecretKey> key = ReadSecretKeyFile(path);
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_EQ(key.status().code(), Code::kInvalidArgument);
    EXPECT_NE(key.status().message().find("group and other must have no access"), std::string::npos)
        << key.status().message();
    EXPECT_EQ(key.status().message().find(std::string(kKeyHex)), std::string::npos);
  }
}

TEST_F(SecretBoxTest, AKeyFileThatIsNot64HexCharactersIsRefused) {
  const std::string hex(kKeyHex);
  for (const std::string& text : {hex.substr(0, 62), hex + "00", hex.substr(0, 63) + "g",
                                  std::string(), hex + "\n\n", " " + hex, hex + " "}) {
    Result<SecretKey> key = ReadSecretKeyFile(WriteKeyFile("bad.key", text, 0600));
    ASSERT_FALSE(key.ok()) << "\"" << text << "\"";
    EXPECT_EQ(key.status().code(), Code::kInvalidArgument);
    EXPECT_NE(key.status().message().find("does not hold 64 hex characters"), std::string::npos)
        << key.status().message();
  }
}

TEST_F(SecretBoxTest, AMissingKeyFileIsNotFound) {
  Result<SecretKey> key = ReadSecretKeyFile(dir_ + "/none.key");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), Code::kNotFound);
  EXPECT_NE(key.status().message().find("none.key"), std::string::npos);
}

TEST_F(SecretBoxTest, WebhookSecretsAreWhsecAndBase64Of32Bytes) {
  const std::string secret = *NewWebhookSecret();
  EXPECT_EQ(secret.substr(0, 6), "whsec_");
  EXPECT_EQ(secret.size(), 6u + 44u);
  Result<std::string> signing = WebhookSigningKey(secret);
  ASSERT_TRUE(signing.ok());
  EXPECT_EQ(signing->size(), 32u);
  EXPECT_EQ("whsec_" + Base64Encode(*signing), secret);
  EXPECT_NE(*NewWebhookSecret(), secret);
  EXPECT_FALSE(WebhookSigningKey("whsec_" + Base64Encode("short")).ok());
  EXPECT_FALSE(WebhookSigningKey(secret.substr(6)).ok());
}

TEST(Base64Test, EncodesAndDecodesRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"},
                                                         {"\xff\xfe", "//4="}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::optional<std::string>(plain));
  }
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zh==", "Zm9=Zm9v", "Zm9v!A==", "=Zm9"}) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace onep
