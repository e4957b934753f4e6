// SPDX-License-Identifier: Apache-2.0
#include "onep/layout.h"

namespace onep {

Result<LayoutInfo> ReadLayout(RedisClient& redis, const KeySpace& keys, Deadline until) {
  const std::string layout_key = keys.Layout();
  auto layout = redis.Command(layout_key, {"GET", layout_key}, until);
  if (!layout.ok()) return layout.status();
  if (layout->is_error()) {
    return Status::Unavailable("GET " + layout_key + ": " + layout->str,
                               RedisFailure::kCannotServeNow);
  }
  LayoutInfo info;
  if (layout->type == Reply::Type::kString) {
    info.version = layout->str;
    info.state = info.version == kLayoutVersion ? LayoutState::kCurrent : LayoutState::kUnknown;
    return info;
  }
  const std::string v1_orgs = Version1Orgs(keys);
  auto v1 = redis.Command(v1_orgs, {"EXISTS", v1_orgs}, until);
  if (!v1.ok()) return v1.status();
  if (v1->is_error()) {
    return Status::Unavailable("EXISTS " + v1_orgs + ": " + v1->str, RedisFailure::kCannotServeNow);
  }
  info.state = v1->integer == 1 ? LayoutState::kVersion1 : LayoutState::kEmpty;
  return info;
}

Status LayoutStatus(const LayoutInfo& info, const KeySpace& keys) {
  switch (info.state) {
    case LayoutState::kEmpty:
    case LayoutState::kCurrent:
      return Status::Ok();
    case LayoutState::kVersion1:
      return Status::FailedPrecondition(
          "the keys under prefix \"" + keys.prefix() +
          "\" use layout 1 of an earlier onep; run 'onepctl migrate' to upgrade them to layout " +
          std::string(kLayoutVersion));
    case LayoutState::kUnknown:
      break;
  }
  return Status::FailedPrecondition("the keys under prefix \"" + keys.prefix() + "\" use layout " +
                                    info.version + ", which this onep does not know (it uses " +
                                    std::string(kLayoutVersion) + "); upgrade onep on this host");
}

Status CheckLayout(RedisClient& redis, const KeySpace& keys, Deadline until) {
  auto info = ReadLayout(redis, keys, until);
  if (!info.ok()) return info.status();
  return LayoutStatus(*info, keys);
}

Status StampLayout(RedisClient& redis, const KeySpace& keys) {
  auto info = ReadLayout(redis, keys);
  if (!info.ok()) return info.status();
  if (info->state != LayoutState::kEmpty) return LayoutStatus(*info, keys);
  const std::string layout_key = keys.Layout();
  auto set = redis.Command(layout_key, {"SET", layout_key, std::string(kLayoutVersion), "NX"});
  if (!set.ok()) return set.status();
  if (set->is_error()) {
    return Status::Unavailable("SET " + layout_key + ": " + set->str,
                               RedisFailure::kCannotServeNow);
  }
  return CheckLayout(redis, keys);  // another writer may have stamped it first
}

}  // namespace onep
