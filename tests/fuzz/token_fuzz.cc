// SPDX-License-Identifier: Apache-2.0
// Token and credential id parsing never reads outside its input, and accepts
// only tokens and ids of the documented shapes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "onep/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  if (onep::CheckTokenFormat(token).ok()) {
    if (token.size() != onep::kTokenLength && token.size() != onep::kLegacyTokenLength) abort();
    if (token.substr(0, 5) != onep::kTokenPrefix) abort();
    if (onep::TokenHash(token).size() != 64) abort();
    std::string_view tag = onep::TokenRoutingTag(token);
    // A current token carries a valid tag, a legacy one none.
    if ((token.size() == onep::kTokenLength) != onep::IsValidRoutingTag(tag)) abort();
  }
  switch (onep::ClassifyCredentialId(token)) {
    case onep::CredentialIdForm::kCurrent:
      if (!onep::IsValidRoutingTag(onep::CredentialIdRoutingTag(token))) abort();
      break;
    case onep::CredentialIdForm::kLegacy:
    case onep::CredentialIdForm::kMalformed:
      if (!onep::CredentialIdRoutingTag(token).empty()) abort();
      break;
  }
  onep::TokenHint(token);
  return 0;
}
