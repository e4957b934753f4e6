// SPDX-License-Identifier: Apache-2.0
#include "onep/stream_id.h"

#include "onep/parse.h"

namespace onep {

std::string StreamId::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

Result<StreamId> ParseStreamId(std::string_view text) {
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) {
    return Status::InvalidArgument(
        "a stream id is <milliseconds>-<sequence>, e.g. 1764237600000-0");
  }
  auto ms = ParseUint(text.substr(0, dash), StreamId::kMaxPart);
  auto seq = ParseUint(text.substr(dash + 1), StreamId::kMaxPart);
  if (!ms.ok() || !seq.ok()) {
    return Status::InvalidArgument(
        "a stream id is two whole numbers <milliseconds>-<sequence>, e.g. 1764237600000-0");
  }
  return StreamId{*ms, *seq};
}

}  // namespace onep
