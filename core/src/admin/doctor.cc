// SPDX-License-Identifier: Apache-2.0
#include "onep/doctor.h"

#include <cstdlib>
#include <string_view>

#include "onep/clock.h"
#include "onep/layout.h"
#include "onep/parse.h"

namespace onep {
namespace {

std::string Field(const std::string& info, std::string_view name) {
  const std::string needle = "\n" + std::string(name) + ":";
  const std::string text = "\n" + info;
  std::size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  std::size_t end = text.find_first_of("\r\n", at);
  return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

Check Ok(std::string name, std::string detail) {
  return {std::move(name), true, std::move(detail)};
}
Check Bad(std::string name, std::string detail) {
  return {std::move(name), false, std::move(detail)};
}

}  // namespace

std::vector<std::vector<std::string>> ModuleCommands(const KeySpace& keys) {
  const std::string key = keys.prefix() + "{tag}:x";
  return {{"EVALSHA", "0000000000000000000000000000000000000000", "1", key},
          {"EVAL", "return 1", "1", key},
          {"WAIT", "0", "0"},
          {"PING"},
          {"TIME"},
          {"GET", keys.Layout()},
          {"INFO", "memory"}};
}

std::vector<Check> Diagnose(RedisClient& redis, const KeySpace& keys) {
  std::vector<Check> checks;
  if (Status alive = redis.Ping(); !alive.ok()) {
    checks.push_back(Bad("reachable", alive.message() + "; check the URL and that Redis runs"));
    return checks;
  }
  checks.push_back(Ok("reachable", redis.Describe()));

  auto infos = redis.OnEveryMaster({"INFO", "server", "memory", "persistence"});
  if (!infos.ok()) {
    checks.push_back(Bad("info", infos.status().message()));
    return checks;
  }
  for (const Reply& info : *infos) {
    if (info.is_error()) {
      checks.push_back(Bad("info", "INFO refused: " + info.str + "; allow INFO to this user"));
      continue;
    }
    const std::string version = Field(info.str, "redis_version");
    const int major = std::atoi(version.c_str());
    checks.push_back(major >= 7 ? Ok("version", "Redis " + version)
                                : Bad("version", "Redis " + version +
                                                     " is too old: onep needs Redis 7 or newer"));
    const std::string policy = Field(info.str, "maxmemory_policy");
    checks.push_back(policy == "noeviction"
                         ? Ok("maxmemory-policy", policy)
                         : Bad("maxmemory-policy",
                               policy + " lets Redis evict keys, tokens included, when it is "
                                        "full: set maxmemory-policy noeviction"));
    const bool aof = Field(info.str, "aof_enabled") == "1";
    bool rdb = false;
    std::string rdb_detail;
    auto save = redis.Command("", {"CONFIG", "GET", "save"});
    if (save.ok() && !save->is_error() && save->elements.size() == 2) {
      rdb = !save->elements[1].str.empty();
      rdb_detail = rdb ? "RDB snapshots (save " + save->elements[1].str + ")" : "";
    } else {
      rdb_detail = "(CONFIG GET save not allowed: RDB not checked)";
    }
    if (aof || rdb) {
      checks.push_back(Ok(
          "persistence", std::string(aof ? "AOF on" : "") + (aof && rdb ? ", " : "") + rdb_detail));
    } else {
      checks.push_back(
          Bad("persistence", "neither AOF nor RDB is on " + rdb_detail +
                                 ": a restart would lose every credential and event; set "
                                 "appendonly yes"));
    }
  }

  auto layout = ReadLayout(redis, keys);
  if (!layout.ok()) {
    checks.push_back(Bad("key layout", layout.status().message()));
  } else if (Status usable = LayoutStatus(*layout, keys); !usable.ok()) {
    checks.push_back(Bad("key layout", usable.message()));
  } else {
    checks.push_back(Ok("key layout", layout->state == LayoutState::kEmpty
                                          ? "empty (layout " + std::string(kLayoutVersion) +
                                                " on the first credential)"
                                          : "layout " + layout->version));
  }

  auto whoami = redis.Command("", {"ACL", "WHOAMI"});
  if (!whoami.ok() || whoami->is_error()) {
    // A least-privilege user need not see its own rights: not a fault.
    checks.push_back(Ok("acl", "not checked (ACL WHOAMI is not allowed to this user)"));
  } else {
    std::string missing;
    for (const auto& command : ModuleCommands(keys)) {
      std::vector<std::string> dryrun = {"ACL", "DRYRUN", whoami->str};
      dryrun.insert(dryrun.end(), command.begin(), command.end());
      auto verdict = redis.Command("", dryrun);
      if (!verdict.ok()) continue;
      if (verdict->is_error() && verdict->str.find("NOPERM") == std::string::npos) {
        // ACL DRYRUN itself refused: rights not checkable by this user.
        missing = "(ACL DRYRUN not allowed: " + verdict->str + ")";
        break;
      }
      if (verdict->is_error() || verdict->str != "OK") {
        missing += (missing.empty() ? "" : ", ") + command[0];
      }
    }
    if (missing.empty()) {
      checks.push_back(Ok("acl", "user " + whoami->str + " may run what mod_onep sends"));
    } else if (missing[0] == '(') {
      checks.push_back(Ok("acl", "user " + whoami->str + " " + missing));
    } else {
      checks.push_back(Bad("acl", "user " + whoami->str + " may not run " + missing +
                                      ", which mod_onep sends: see the ACL line in "
                                      "docs/operations.md"));
    }
  }

  const int64_t before = NowMs();
  auto time = redis.Command("", {"TIME"});
  const int64_t after = NowMs();
  if (time.ok() && time->elements.size() == 2) {
    const int64_t server = std::atoll(time->elements[0].str.c_str()) * 1000 +
                           std::atoll(time->elements[1].str.c_str()) / 1000;
    const int64_t skew = server - (before + after) / 2;
    const int64_t abs_skew = skew < 0 ? -skew : skew;
    checks.push_back(
        abs_skew <= 1000
            ? Ok("clock", "this host and Redis agree within " + std::to_string(abs_skew) + " ms")
            : Bad("clock", "this host's clock is " + std::to_string(abs_skew) +
                               " ms off Redis': run NTP on both (rate limit "
                               "windows and event hours use this host's clock)"));
  }
  return checks;
}

}  // namespace onep
