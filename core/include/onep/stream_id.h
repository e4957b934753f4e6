// SPDX-License-Identifier: Apache-2.0
// Redis stream entry ids, "<ms>-<seq>": the ids of events (event_store.h).
// Pure functions, no I/O; thread-safe.
#ifndef ONEP_STREAM_ID_H_
#define ONEP_STREAM_ID_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>

#include "onep/status.h"

namespace onep {

// Ordered as Redis orders entries: by ms, then by seq.
struct StreamId {
  static constexpr uint64_t kMaxPart = std::numeric_limits<uint64_t>::max();

  uint64_t ms = 0;
  uint64_t seq = 0;

  // "<ms>-<seq>", as Redis writes it.
  std::string ToString() const;
  // The first id of millisecond `ms`, and the last one.
  static StreamId FirstOf(uint64_t ms) { return {ms, 0}; }
  static StreamId LastOf(uint64_t ms) { return {ms, kMaxPart}; }

  friend bool operator<(const StreamId& a, const StreamId& b) {
    return std::tie(a.ms, a.seq) < std::tie(b.ms, b.seq);
  }
  friend bool operator==(const StreamId& a, const StreamId& b) {
    return a.ms == b.ms && a.seq == b.seq;
  }
};

// The complete form only: two decimal numbers without sign or spaces joined
// by '-', each at most 2^64-1 (so "12", "-", "+" and "$" are refused).
// InvalidArgument saying what is wrong otherwise.
Result<StreamId> ParseStreamId(std::string_view text);

}  // namespace onep

#endif  // ONEP_STREAM_ID_H_
