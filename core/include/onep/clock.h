// SPDX-License-Identifier: Apache-2.0
// The local wall clock, for what is not an acceptance decision (those use
// Redis' clock, inside the scripts: docs/design.md, "Time").
//
// Thread-safety: safe from any thread.
#ifndef ONEP_CLOCK_H_
#define ONEP_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace onep {

// The current wall-clock time in Unix milliseconds.
inline int64_t NowMs() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace onep

#endif  // ONEP_CLOCK_H_
