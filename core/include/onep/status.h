// SPDX-License-Identifier: Apache-2.0
// Status and Result<T>: errors as values.
//
// Every core function that can fail returns a Status (or a Result<T>, which is
// a T or a non-OK Status). A miss (no such credential) is not an error: lookups
// return Result<std::optional<T>>. Only mod_onep turns a Status into an HTTP
// status, and only onepctl turns it into an exit code.
//
// Thread-safety: values; safe to copy and move between threads.
#ifndef ONEP_STATUS_H_
#define ONEP_STATUS_H_

#include <string>
#include <utility>
#include <variant>

namespace onep {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (bad slug, bad duration, ...)
  kInvalidJson,         // a body is not valid UTF-8 JSON or not an object
  kInvalidEvent,        // valid JSON, but a field is missing, mistyped or out of range
  kNotFound,            // a named thing does not exist (used where a miss must fail)
  kConflict,            // the change would break a rule (e.g. app already has a deploy credential)
  kUnavailable,         // Redis unreachable, timed out, or the connection broke
  kFailedPrecondition,  // Redis holds a key layout this version cannot use (run migrate)
  kInternal,            // a bug or an unexpected reply; never the caller's fault
};

const char* CodeName(Code code);

// Why Redis could not serve a call, said by the Redis layer on the
// Unavailable status it returns, so that a caller (the metrics, the health
// route) tells the kinds apart without reading the message.
enum class RedisFailure {
  kNone = 0,         // not said: not a Redis failure, or not Unavailable
  kCannotConnect,    // no connection could be opened (connect, TLS, AUTH, no
                     // node, sentinel or master reachable)
  kTimedOut,         // no answer within the timeout (or the caller's deadline)
  kConnectionLost,   // the connection broke or was closed
  kCannotServeNow,   // Redis answered that it cannot serve now (LOADING,
                     // BUSY, TRYAGAIN, CLUSTERDOWN, a missing right, ...)
  kRefusesWrites,    // the health check: a replica, loading, out of memory,
                     // failing to persist
  kNotAcknowledged,  // WAIT: fewer replicas acknowledged the write
};

// "cannot_connect", "timed_out", ...; "none" for kNone.
const char* RedisFailureName(RedisFailure failure);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message, RedisFailure failure = RedisFailure::kNone)
      : code_(code), message_(std::move(message)), failure_(failure) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status InvalidJson(std::string m) { return {Code::kInvalidJson, std::move(m)}; }
  static Status InvalidEvent(std::string m) { return {Code::kInvalidEvent, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status Unavailable(std::string m, RedisFailure failure = RedisFailure::kNone) {
    return {Code::kUnavailable, std::move(m), failure};
  }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // What kind of Redis failure this is (kNone unless the Redis layer said).
  RedisFailure redis_failure() const { return failure_; }
  // The same status (code and failure kept) with `context` before its
  // message: "<context>: <message>".
  Status WithContext(const std::string& context) const {
    return {code_, context + ": " + message_, failure_};
  }
  // "unavailable: cannot connect to redis://127.0.0.1:6379/0: Connection refused"
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  RedisFailure failure_ = RedisFailure::kNone;
};

// A T, or the Status saying why there is none. Never holds an OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error; Status::Ok() when ok().
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  // Precondition: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace onep

#endif  // ONEP_STATUS_H_
