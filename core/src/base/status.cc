// SPDX-License-Identifier: Apache-2.0
#include "onep/status.h"

namespace onep {

// snake_case, like the error codes of the HTTP API.
const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kInvalidJson:
      return "invalid_json";
    case Code::kInvalidEvent:
      return "invalid_event";
    case Code::kNotFound:
      return "not_found";
    case Code::kConflict:
      return "conflict";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kInternal:
      return "internal";
    case Code::kFailedPrecondition:
      return "failed_precondition";
  }
  return "unknown";  // Only reachable through a cast of an out-of-range value.
}

const char* RedisFailureName(RedisFailure failure) {
  switch (failure) {
    case RedisFailure::kNone:
      return "none";
    case RedisFailure::kCannotConnect:
      return "cannot_connect";
    case RedisFailure::kTimedOut:
      return "timed_out";
    case RedisFailure::kConnectionLost:
      return "connection_lost";
    case RedisFailure::kCannotServeNow:
      return "cannot_serve_now";
    case RedisFailure::kRefusesWrites:
      return "refuses_writes";
    case RedisFailure::kNotAcknowledged:
      return "not_acknowledged";
  }
  return "unknown";  // Only reachable through a cast of an out-of-range value.
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out = CodeName(code_);
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace onep
