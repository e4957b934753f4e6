// SPDX-License-Identifier: Apache-2.0
#include "onep/redis_script.h"

#include <utility>

#include "onep/sha1.h"

namespace onep {

Script::Script(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

}  // namespace onep
