// Token parsing never reads outside its input, and accepts only tokens of the
// documented shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "onep/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  if (onep::CheckTokenFormat(token).ok()) {
    if (token.size() != onep::kTokenLength || token.substr(0, 5) != onep::kTokenPrefix) abort();
    if (onep::TokenHash(token).size() != 64) abort();
  }
  onep::TokenHint(token);
  return 0;
}
