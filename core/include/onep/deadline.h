// SPDX-License-Identifier: Apache-2.0
// A deadline: the point on the steady clock by which a caller must have its
// answer. One per request, computed once, passed down: the queue wait, the
// connect, every command and any retry spend the same budget, so that a
// timeout bounds the whole wait and not each step of it.
//
// Thread-safety: values.
#ifndef ONEP_DEADLINE_H_
#define ONEP_DEADLINE_H_

#include <algorithm>
#include <chrono>

namespace onep {

using Deadline = std::chrono::steady_clock::time_point;

// No deadline: each step is bounded by its own timeout only.
inline constexpr Deadline kNoDeadline{};

// The deadline `budget` from now.
inline Deadline DeadlineIn(std::chrono::milliseconds budget) {
  return std::chrono::steady_clock::now() + budget;
}

// What is left of `deadline` now, at most `cap` (and `cap` itself for
// kNoDeadline); zero or less once it has passed.
inline std::chrono::milliseconds Remaining(Deadline deadline, std::chrono::milliseconds cap) {
  if (deadline == kNoDeadline) return cap;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::min(left, cap);
}

// The earlier of two deadlines, kNoDeadline counting as the later.
inline Deadline Earlier(Deadline a, Deadline b) {
  if (a == kNoDeadline) return b;
  if (b == kNoDeadline) return a;
  return std::min(a, b);
}

}  // namespace onep

#endif  // ONEP_DEADLINE_H_
