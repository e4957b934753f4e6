// SPDX-License-Identifier: Apache-2.0
#include "cluster_replies.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace onep::cluster {
namespace {

bool UsableHost(const std::string& host) { return !host.empty() && host != "?"; }

// A RESP2 map (flat array of name, value, ...) looked up by name.
const Reply* Field(const Reply& map, std::string_view name) {
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].str == name) return &map.elements[i + 1];
  }
  return nullptr;
}

}  // namespace

Redirect ParseRedirect(const Reply& reply) {
  Redirect out;
  if (!reply.is_error()) return out;
  std::string_view rest;
  if (reply.str.compare(0, 6, "MOVED ") == 0) {
    out.kind = Redirect::Kind::kMoved;
    rest = std::string_view(reply.str).substr(6);
  } else if (reply.str.compare(0, 4, "ASK ") == 0) {
    out.kind = Redirect::Kind::kAsk;
    rest = std::string_view(reply.str).substr(4);
  } else {
    return out;
  }
  const std::size_t space = rest.find(' ');
  const std::size_t colon = rest.rfind(':');
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space) {
    return Redirect{};
  }
  out.slot = std::atoi(std::string(rest.substr(0, space)).c_str());
  out.host = std::string(rest.substr(space + 1, colon - space - 1));
  out.port = std::atoi(std::string(rest.substr(colon + 1)).c_str());
  if (out.slot < 0 || out.slot >= kSlots || out.port <= 0) return Redirect{};
  return out;
}

std::vector<ShardInfo> ParseShards(const Reply& reply, const std::string& asked_host, bool tls) {
  std::vector<ShardInfo> out;
  for (const Reply& shard : reply.elements) {
    const Reply* slots = Field(shard, "slots");
    const Reply* nodes = Field(shard, "nodes");
    if (slots == nullptr || nodes == nullptr || slots->elements.empty()) continue;
    const Reply* master = nullptr;
    for (const Reply& node : nodes->elements) {
      const Reply* role = Field(node, "role");
      if (role == nullptr || role->str != "master") continue;
      const Reply* health = Field(node, "health");
      const bool online = health == nullptr || health->str == "online";
      if (master == nullptr || online) master = &node;
      if (online) break;
    }
    if (master == nullptr) continue;
    ShardInfo info;
    for (const char* name : {"endpoint", "ip"}) {
      const Reply* host = Field(*master, name);
      if (host != nullptr && UsableHost(host->str)) {
        info.host = host->str;
        break;
      }
    }
    if (info.host.empty()) info.host = asked_host;
    const Reply* port = Field(*master, tls ? "tls-port" : "port");
    if (port == nullptr) port = Field(*master, tls ? "port" : "tls-port");
    if (port == nullptr || port->type != Reply::Type::kInteger) continue;
    info.port = static_cast<int>(port->integer);
    for (std::size_t i = 0; i + 1 < slots->elements.size(); i += 2) {
      info.ranges.emplace_back(static_cast<int>(slots->elements[i].integer),
                               static_cast<int>(slots->elements[i + 1].integer));
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<ShardInfo> ParseSlots(const Reply& reply, const std::string& asked_host) {
  std::vector<ShardInfo> out;
  for (const Reply& range : reply.elements) {
    if (range.elements.size() < 3 || range.elements[2].elements.size() < 2) continue;
    const Reply& master = range.elements[2];
    ShardInfo info;
    info.host = UsableHost(master.elements[0].str) ? master.elements[0].str : asked_host;
    info.port = static_cast<int>(master.elements[1].integer);
    info.ranges.emplace_back(static_cast<int>(range.elements[0].integer),
                             static_cast<int>(range.elements[1].integer));
    out.push_back(std::move(info));
  }
  return out;
}

int SlotsCovered(const std::vector<ShardInfo>& shards) {
  int covered = 0;
  for (const ShardInfo& shard : shards) {
    for (auto [start, end] : shard.ranges) {
      start = std::max(start, 0);
      end = std::min(end, kSlots - 1);
      if (end >= start) covered += end - start + 1;
    }
  }
  return covered;
}

}  // namespace onep::cluster
