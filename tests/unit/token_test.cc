// SPDX-License-Identifier: Apache-2.0
#include "onep/token.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>

namespace onep {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Valid tokens computed independently (Python zlib.crc32 + base62): onep_ +
// routing tag + random part + checksum.
constexpr const char* kKnownTokensV2[] = {
    "onep_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1vPDQ7",
    "onep_k3Tq9ZbXZm4Qp8Rt2LwX7vN1cY5hB0sK9dF3gJ6e1DuxE4",
    "onep_00000000zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz2PYHdL",
};

// Legacy tokens (layout 1, no routing tag), still accepted.
constexpr const char* kKnownTokens[] = {
    "onep_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1hBw9I", "onep_000000000000000000000000000000001UQApy",
    "onep_abcdefghijklmnopqrstuvwxyz0123452hrwdG",
    "onep_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz089GBI",  // checksum with a leading '0'
};

bool IsBase62(char c) { return kAlphabet.find(c) != std::string_view::npos; }

TEST(Crc32Test, KnownVectors) {
  EXPECT_EQ(Crc32(""), 0x00000000UL);
  EXPECT_EQ(Crc32("a"), 0xE8B7BE43UL);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926UL);
  EXPECT_EQ(Crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339UL);
  EXPECT_EQ(Crc32(std::string_view("\0", 1)), 0xD202EF8DUL);
  EXPECT_EQ(Crc32("onep_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0x5CA5A860UL);
}

TEST(TokenTest, ConstantsDescribeTheFormat) {
  EXPECT_EQ(kTokenPrefix, "onep_");
  EXPECT_EQ(kTokenLength, 51u);
  EXPECT_EQ(kLegacyTokenLength, 43u);
  EXPECT_EQ(kCredentialIdLength, 23u);
  EXPECT_EQ(kLegacyCredentialIdLength, 19u);
}

TEST(TokenTest, KnownCurrentTokensPassAndCarryTheirTag) {
  for (const char* token : kKnownTokensV2) {
    EXPECT_TRUE(CheckTokenFormat(token).ok())
        << token << ": " << CheckTokenFormat(token).ToString();
    EXPECT_EQ(TokenRoutingTag(token), std::string_view(token).substr(5, 8));
  }
  for (const char* token : kKnownTokens) EXPECT_EQ(TokenRoutingTag(token), "");
}

TEST(TokenTest, GeneratedTokenCarriesItsOrgsTag) {
  EXPECT_EQ(GenerateToken("short").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(GenerateToken("AAAAAAA-").status().code(), Code::kInvalidArgument);
  auto token = GenerateToken("k3Tq9ZbX");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->substr(0, 13), "onep_k3Tq9ZbX");
  EXPECT_EQ(TokenRoutingTag(*token), "k3Tq9ZbX");
}

// The checksum covers the tag: a token moved to another org's slot by
// editing its tag is refused offline.
TEST(TokenTest, ATamperedTagIsRefusedOffline) {
  std::string token = kKnownTokensV2[1];
  for (std::size_t i = 5; i < 13; ++i) {
    for (char c : kAlphabet) {
      if (c == token[i]) continue;
      std::string tampered = token;
      tampered[i] = c;
      ASSERT_EQ(CheckTokenFormat(tampered).code(), Code::kInvalidArgument) << tampered;
    }
  }
}

TEST(RoutingTagTest, GeneratedTagsAreEightBase62) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto tag = GenerateRoutingTag();
    ASSERT_TRUE(tag.ok());
    ASSERT_TRUE(IsValidRoutingTag(*tag)) << *tag;
    ASSERT_TRUE(seen.insert(*tag).second);
  }
  EXPECT_FALSE(IsValidRoutingTag(""));
  EXPECT_FALSE(IsValidRoutingTag("AAAAAAA"));
  EXPECT_FALSE(IsValidRoutingTag("AAAAAAAAA"));
  EXPECT_FALSE(IsValidRoutingTag("AAAA{AAA"));
}

TEST(CredentialIdTest, CurrentIdsCarryTheTagLegacyOnesDoNot) {
  auto id = GenerateCredentialId("k3Tq9ZbX");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->size(), kCredentialIdLength);
  EXPECT_EQ(id->substr(0, 11), "wh_k3Tq9ZbX");
  EXPECT_EQ(ClassifyCredentialId(*id), CredentialIdForm::kCurrent);
  EXPECT_EQ(CredentialIdRoutingTag(*id), "k3Tq9ZbX");
  EXPECT_EQ(ClassifyCredentialId("wh_4fQx9TbR2kLm8ZpA"), CredentialIdForm::kLegacy);
  EXPECT_EQ(CredentialIdRoutingTag("wh_4fQx9TbR2kLm8ZpA"), "");
  for (const char* bad : {"", "wh_", "wh_bad", "xx_4fQx9TbR2kLm8ZpA", "wh_4fQx9TbR2kLm8Zp-",
                          "wh_k3Tq9ZbX0123456789a", "wh_k3Tq9ZbX0123456789abc"}) {
    EXPECT_EQ(ClassifyCredentialId(bad), CredentialIdForm::kMalformed) << bad;
    EXPECT_EQ(CredentialIdRoutingTag(bad), "") << bad;
  }
  EXPECT_EQ(GenerateCredentialId("bad").status().code(), Code::kInvalidArgument);
}

TEST(TokenTest, GeneratedTokenHasTheDocumentedShape) {
  for (int i = 0; i < 200; ++i) {
    auto token = GenerateToken(GenerateRoutingTag().value());
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    ASSERT_EQ(token->size(), kTokenLength);
    ASSERT_EQ(token->substr(0, 5), "onep_");
    for (char c : token->substr(5)) ASSERT_TRUE(IsBase62(c)) << *token;
    ASSERT_TRUE(CheckTokenFormat(*token).ok()) << CheckTokenFormat(*token).ToString();
  }
}

TEST(TokenTest, GeneratedTokensAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    auto token = GenerateToken(GenerateRoutingTag().value());
    ASSERT_TRUE(token.ok());
    ASSERT_TRUE(seen.insert(*token).second) << "duplicate token after " << i;
  }
}

// The random part must use all 62 characters uniformly: a modulo bias (256 is
// not a multiple of 62) would make '0'..'7' 25% more frequent and fail this.
TEST(TokenTest, RandomPartIsUniformOverBase62) {
  constexpr int kTokens = 4000;
  std::map<char, int> counts;
  for (int i = 0; i < kTokens; ++i) {
    auto token = GenerateToken(GenerateRoutingTag().value());
    ASSERT_TRUE(token.ok());
    for (char c : token->substr(kTokenPrefix.size() + kRoutingTagChars, kTokenRandomChars)) {
      ++counts[c];
    }
  }
  ASSERT_EQ(counts.size(), 62u);
  const double expected = kTokens * kTokenRandomChars / 62.0;
  double chi2 = 0;
  for (const auto& [c, n] : counts) chi2 += (n - expected) * (n - expected) / expected;
  // 61 degrees of freedom: P(chi2 > 150) is about 1e-9.
  EXPECT_LT(chi2, 150.0);
}

TEST(TokenTest, KnownTokensPassTheFormatCheck) {
  for (const char* token : kKnownTokens) {
    EXPECT_TRUE(CheckTokenFormat(token).ok())
        << token << ": " << CheckTokenFormat(token).ToString();
  }
}

std::string ValidToken() {
  auto token = GenerateToken(GenerateRoutingTag().value());
  EXPECT_TRUE(token.ok());
  return token.ok() ? *token : std::string(kKnownTokens[0]);
}

TEST(TokenTest, EverySingleCharacterChangeIsRejected) {
  for (const std::string& token : {std::string(kKnownTokens[0]), std::string(kKnownTokens[3]),
                                   std::string(kKnownTokensV2[2]), ValidToken(), ValidToken()}) {
    for (std::size_t i = 0; i < token.size(); ++i) {
      for (int c = 0; c < 256; ++c) {
        if (static_cast<char>(c) == token[i]) continue;
        std::string mutated = token;
        mutated[i] = static_cast<char>(c);
        Status st = CheckTokenFormat(mutated);
        ASSERT_EQ(st.code(), Code::kInvalidArgument) << "position " << i << " char " << c;
      }
    }
  }
}

TEST(TokenTest, SwappedAdjacentCharactersAreRejected) {
  std::string token = kKnownTokens[2];
  for (std::size_t i = kTokenPrefix.size(); i + 1 < token.size(); ++i) {
    std::string swapped = token;
    std::swap(swapped[i], swapped[i + 1]);
    if (swapped == token) continue;
    EXPECT_EQ(CheckTokenFormat(swapped).code(), Code::kInvalidArgument) << i;
  }
}

TEST(TokenTest, TruncationsAndExtensionsAreRejected) {
  std::string token = ValidToken();
  for (std::size_t len = 0; len < token.size(); ++len) {
    EXPECT_EQ(CheckTokenFormat(token.substr(0, len)).code(), Code::kInvalidArgument) << len;
    EXPECT_EQ(CheckTokenFormat(token.substr(token.size() - len)).code(), Code::kInvalidArgument)
        << len;
  }
  for (char c : kAlphabet) {
    EXPECT_EQ(CheckTokenFormat(token + c).code(), Code::kInvalidArgument) << c;
    EXPECT_EQ(CheckTokenFormat(token.substr(0, 5) + c + token.substr(5)).code(),
              Code::kInvalidArgument)
        << c;
  }
  EXPECT_EQ(CheckTokenFormat(token + token).code(), Code::kInvalidArgument);
  EXPECT_EQ(CheckTokenFormat(token + '\n').code(), Code::kInvalidArgument);
  EXPECT_EQ(CheckTokenFormat(" " + token).code(), Code::kInvalidArgument);
}

// A random part with a valid-looking but wrong checksum: the checksum of
// another token.
TEST(TokenTest, ChecksumOfAnotherTokenIsRejected) {
  std::string a = kKnownTokens[0], b = kKnownTokens[1];
  std::string mixed = a.substr(0, 37) + b.substr(37);
  Status st = CheckTokenFormat(mixed);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("checksum"), std::string::npos) << st.message();
}

struct FormatCase {
  std::string token;
  std::string expected_in_message;
};

TEST(TokenTest, MessagesNameTheFirstProblemAndNeverTheToken) {
  const std::string valid = kKnownTokensV2[1];  // onep_ + tag (8) + random (32) + crc (6)
  const std::string tag = valid.substr(5, 8);
  const std::string random_part = valid.substr(13, 32);
  const std::string crc = valid.substr(45);
  const std::vector<FormatCase> cases = {
      {"", "onep_"},
      {"Bearer " + valid, "onep_"},
      {"ONEP_" + valid.substr(5), "onep_"},
      {"onep-" + valid.substr(5), "onep_"},
      {valid.substr(0, 50), "51"},
      {valid + "x", "51"},
      {"onep_" + tag + random_part.substr(0, 31) + "-" + crc, "[0-9A-Za-z]"},
      {"onep_" + tag + random_part + "_" + crc.substr(1), "[0-9A-Za-z]"},
      {"onep_" + tag + random_part.substr(1) + "Q" + crc, "checksum"},
      {valid.substr(0, 50) + (valid[50] == 'A' ? "B" : "A"), "checksum"},
  };
  for (const FormatCase& c : cases) {
    Status st = CheckTokenFormat(c.token);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c.token;
    EXPECT_NE(st.message().find(c.expected_in_message), std::string::npos)
        << c.token << " -> " << st.message();
    EXPECT_EQ(st.message().find(random_part.substr(0, 8)), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find(tag), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find(crc), std::string::npos) << st.message();
  }
}

TEST(TokenTest, CheckReadsOnlyTheGivenBytes) {
  // The view stops before the last character; the byte after it would make
  // the token valid if it were read.
  std::string token = kKnownTokens[0];
  EXPECT_EQ(CheckTokenFormat(std::string_view(token.data(), token.size() - 1)).code(),
            Code::kInvalidArgument);
}

TEST(TokenHashTest, IsLowercaseHexSha256) {
  EXPECT_EQ(TokenHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string token = ValidToken();
  std::string hash = TokenHash(token);
  ASSERT_EQ(hash.size(), 64u);
  for (char c : hash) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << hash;
  EXPECT_EQ(hash, TokenHash(token));
  EXPECT_NE(hash, TokenHash(ValidToken()));
  EXPECT_EQ(hash.find(token.substr(5, 8)), std::string::npos);
}

TEST(TokenHintTest, EllipsisAndLastFourCharacters) {
  EXPECT_EQ(TokenHint("onep_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1hBw9I"),
            "\xE2\x80\xA6"
            "Bw9I");
  std::string token = ValidToken();
  std::string hint = TokenHint(token);
  EXPECT_EQ(hint.size(), 3u + 4u);
  EXPECT_EQ(hint.substr(0, 3), "\xE2\x80\xA6");  // U+2026 in UTF-8
  EXPECT_EQ(hint.substr(3), token.substr(token.size() - 4));
}

TEST(TokenHintTest, ShortInputsRevealNothing) {
  EXPECT_EQ(TokenHint(""), "\xE2\x80\xA6");
  EXPECT_EQ(TokenHint("abcd"), "\xE2\x80\xA6");
  EXPECT_EQ(TokenHint("abcde"),
            "\xE2\x80\xA6"
            "bcde");
}

TEST(ConstantTimeEqualsTest, ComparesContentsAndLengths) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "xbc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(RandomIdTest, PrefixPlusBase62) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = RandomId("wh_", 16);
    ASSERT_TRUE(id.ok());
    ASSERT_EQ(id->size(), 19u);
    ASSERT_EQ(id->substr(0, 3), "wh_");
    for (char c : id->substr(3)) ASSERT_TRUE(IsBase62(c)) << *id;
    ASSERT_TRUE(seen.insert(*id).second);
  }
  auto empty = RandomId("x", 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "x");
  auto long_id = RandomId("", 500);
  ASSERT_TRUE(long_id.ok());
  EXPECT_EQ(long_id->size(), 500u);
}

}  // namespace
}  // namespace onep
