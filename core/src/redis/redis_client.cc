// SPDX-License-Identifier: Apache-2.0
// What every RedisClient shares: hash slots, the mapping of script replies,
// and the choice of implementation.
#include "onep/redis_client.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <string_view>

#include "cluster_client.h"
#include "sentinel_client.h"
#include "single_client.h"

namespace onep {
namespace {

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as the Redis
// Cluster specification defines the key hash.
constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  std::array<uint16_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (char ch : data) {
    crc = static_cast<uint16_t>((crc << 8) ^
                                kCrc16Table[((crc >> 8) ^ static_cast<unsigned char>(ch)) & 0xFF]);
  }
  return crc;
}

// Error replies by which Redis says it cannot serve the command right now,
// not that the command is wrong: still loading its data after a restart, busy
// with a script, a replica or a server refusing writes, out of memory, a
// cluster slot in migration or without a master, an ACL user without the
// right to a command (NOPERM: an operator's fix, not the request's fault).
// Redis refuses these before a script's first write, so nothing was written
// (NOPERM for a command the script calls: at that call).
bool IsTransientError(const std::string& error) {
  static constexpr std::string_view kPrefixes[] = {
      "LOADING ", "BUSY ",   "MASTERDOWN ", "TRYAGAIN ",    "READONLY ",
      "MISCONF ", "OOM ",    "NOREPLICAS ", "CLUSTERDOWN ", "MOVED ",
      "ASK ",     "NOAUTH ", "WRONGPASS ",  "NOPERM "};
  for (std::string_view prefix : kPrefixes) {
    if (error.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

}  // namespace

uint16_t HashSlot(std::string_view key) {
  std::size_t open = key.find('{');
  if (open != std::string_view::npos) {
    std::size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16(key) & 16383;
}

Deadline EarliestUntil(const std::vector<RedisClient::SlotCall>& calls) {
  Deadline until = kNoDeadline;
  for (const RedisClient::SlotCall& c : calls) until = Earlier(until, c.call->until);
  return until;
}

std::vector<Result<Reply>> RedisClient::EvalAll(const std::vector<SlotCall>& calls) {
  std::vector<Result<Reply>> replies;
  replies.reserve(calls.size());
  for (const SlotCall& c : calls) replies.push_back(Eval(c.slot_key, *c.call));
  return replies;
}

Result<Reply> ScriptReplyStatus(Result<Reply> reply, const std::string& server) {
  if (!reply.ok() || !reply->is_error()) return reply;
  // A command the script calls that the ACL user may not run: Redis 7 says
  // "The user executing the script can't run this command", Redis 8 "ACL
  // failure in script". The user lacks a right (ACL LOG on the server names
  // it; docs/operations.md lists them).
  static constexpr std::string_view kAclRefusals[] = {
      "user executing the script can't run this command", "ACL failure in script"};
  const bool acl_refusal =
      std::any_of(std::begin(kAclRefusals), std::end(kAclRefusals),
                  [&](std::string_view m) { return reply->str.find(m) != std::string::npos; });
  if (acl_refusal) {
    return Status::Unavailable(
        "NOPERM: the Redis user of " + server +
            " may not run a command the script calls (see ACL LOG): " + reply->str,
        RedisFailure::kCannotServeNow);
  }
  if (IsTransientError(reply->str)) {
    return Status::Unavailable(server + " cannot run the script now: " + reply->str,
                               RedisFailure::kCannotServeNow);
  }
  return Status::Internal("script failed on " + server + ": " + reply->str);
}

Result<std::unique_ptr<RedisClient>> ConnectRedis(const RedisTarget& target,
                                                  RedisClientOptions options) {
  if (target.nodes.empty()) return Status::InvalidArgument("the Redis URL names no server");
  if (Status supported = CheckRedisTlsSupport(target); !supported.ok()) return supported;
  if (target.tls()) {
    if (!options.tls) {
      auto tls = RedisTls::Create({});
      if (!tls.ok()) return tls.status();
      options.tls = std::move(tls).value();
    }
  }
  switch (target.topology) {
    case RedisTopology::kSingle:
      return NewSingleClient(target, std::move(options));
    case RedisTopology::kCluster:
      return NewClusterClient(target, std::move(options));
    case RedisTopology::kSentinel:
      if (target.master_name.empty()) {
        return Status::InvalidArgument("the Sentinel URL names no master");
      }
      return NewSentinelClient(target, std::move(options));
  }
  return Status::InvalidArgument("unknown Redis topology");
}

}  // namespace onep
