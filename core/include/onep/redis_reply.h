// SPDX-License-Identifier: Apache-2.0
// A Redis reply, copied out of hiredis' reader (redis/reply_builder.cc), so
// that no hiredis object outlives a call. An error reply is a Reply of
// Type::kError, not a failed Status: what it means is the caller's to say.
//
// Thread-safety: a plain value.
#ifndef ONEP_REDIS_REPLY_H_
#define ONEP_REDIS_REPLY_H_

#include <string>
#include <vector>

namespace onep {

struct Reply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<Reply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
};

}  // namespace onep

#endif  // ONEP_REDIS_REPLY_H_
