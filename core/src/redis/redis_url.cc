// SPDX-License-Identifier: Apache-2.0
#include "onep/redis_url.h"

#include <sys/un.h>

#include <cctype>

#include "onep/parse.h"
#include "onep/text.h"

namespace onep {
namespace {

constexpr int kMaxDb = 1000;  // Redis's own limit is its "databases" setting.

// Case-insensitive scheme match ("REDIS://" is the same URL).
bool ConsumeScheme(std::string_view& url, std::string_view scheme) {
  if (url.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = url[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return false;
  }
  url.remove_prefix(scheme.size());
  return true;
}

// %XX escapes decoded, as redis-cli and most client libraries do for the
// userinfo part. False on a malformed escape.
bool PercentDecode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexDigitValue(in[i + 1]), lo = HexDigitValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool IsIpv6Char(char c) { return HexDigitValue(c) >= 0 || c == ':' || c == '.'; }

Status Invalid(const std::string& why) {
  return Status::InvalidArgument("invalid Redis URL: " + why +
                                 " (expected redis[s]://[[user]:password@]host:port[/db], "
                                 "unix:///path/to/socket[?db=N], "
                                 "redis[s]-cluster://[[user]:password@]host:port[,host:port...] or "
                                 "redis[s]-sentinel://[[user]:password@]host:port[,host:port...]/"
                                 "MASTER_NAME[/db][?sentinel_user=U&sentinel_password=P])");
}

Result<int> ParseDb(std::string_view text) {
  auto db = ParseUint(text, kMaxDb);
  if (!db.ok()) {
    return Invalid("the database must be a number from 0 to " + std::to_string(kMaxDb));
  }
  return static_cast<int>(*db);
}

Result<RedisEndpoint> ParseUnix(std::string_view rest) {
  RedisEndpoint ep;
  ep.is_unix = true;
  ep.port = 0;
  std::size_t q = rest.find('?');
  std::string_view path = rest.substr(0, q);
  if (path.empty() || path[0] != '/') {
    return Invalid("a unix socket path must be absolute (unix:///path/to/socket)");
  }
  if (path.find('\0') != std::string_view::npos) return Invalid("the socket path contains NUL");
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Invalid("the socket path is longer than " +
                   std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
  }
  ep.path = std::string(path);
  if (q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    if (query.substr(0, 3) != "db=") return Invalid("the only query parameter allowed is db=N");
    auto db = ParseDb(query.substr(3));
    if (!db.ok()) return db.status();
    ep.db = *db;
  }
  return ep;
}

// "[[user]:password@]" before the hosts: everything before the last '@' (a
// password may contain '@' or '/', a host cannot). ":password" is the default
// user's password, "user:password" an ACL user's, and a userinfo without ':'
// is a password (as it always was here).
Status ParseUserinfo(std::string_view& rest, RedisEndpoint& ep) {
  std::size_t at = rest.rfind('@');
  if (at == std::string_view::npos) return Status::Ok();
  std::string_view userinfo = rest.substr(0, at);
  rest.remove_prefix(at + 1);
  std::string_view user;
  std::string_view password = userinfo;
  if (!userinfo.empty() && userinfo[0] == ':') {
    password.remove_prefix(1);
  } else if (std::size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
    user = userinfo.substr(0, colon);
    password = userinfo.substr(colon + 1);
  }
  if (!PercentDecode(user, ep.user)) return Invalid("the user name has a malformed %-escape");
  if (!PercentDecode(password, ep.password)) {
    return Invalid("the password has a malformed %-escape");
  }
  if (ep.user.find_first_of(" \r\n") != std::string::npos) {
    return Invalid("the user name contains a space or a line break");
  }
  return Status::Ok();
}

// "host[:port]" or "[v6]:port" into ep.host / ep.port.
Status ParseAuthority(std::string_view authority, RedisEndpoint& ep) {
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid("an IPv6 address lacks its ']'");
    std::string_view host = authority.substr(1, close - 1);
    if (host.empty()) return Invalid("the host is empty");
    if (host.find(':') == std::string_view::npos) return Invalid("the IPv6 address is malformed");
    for (char c : host) {
      if (!IsIpv6Char(c)) return Invalid("the IPv6 address is malformed");
    }
    ep.host = std::string(host);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Invalid("unexpected characters after the IPv6 address");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    std::size_t colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (host.empty()) return Invalid("the host is empty");
    for (char c : host) {
      if (!IsHostChar(c)) {
        return Invalid("the host may contain only letters, digits, '-', '.' and '_'");
      }
    }
    ep.host = std::string(host);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (has_port) {
    auto port = ParseUint(port_text, 65535);
    if (!port.ok() || *port == 0) return Invalid("the port must be a number from 1 to 65535");
    ep.port = static_cast<int>(*port);
  }
  return Status::Ok();
}

Result<RedisEndpoint> ParseTcp(std::string_view rest, bool tls) {
  RedisEndpoint ep;
  ep.tls = tls;
  if (Status s = ParseUserinfo(rest, ep); !s.ok()) return s;
  std::size_t slash = rest.find('/');
  if (Status s = ParseAuthority(rest.substr(0, slash), ep); !s.ok()) return s;
  if (slash != std::string_view::npos) {
    std::string_view db_text = rest.substr(slash + 1);
    if (!db_text.empty()) {
      auto db = ParseDb(db_text);
      if (!db.ok()) return db.status();
      ep.db = *db;
    }
  }
  return ep;
}

// "host:port[,host:port...]" after the userinfo, each node with `base`'s
// user, password and db.
Result<std::vector<RedisEndpoint>> ParseNodeList(std::string_view list, const RedisEndpoint& base) {
  std::vector<RedisEndpoint> nodes;
  constexpr std::size_t kMaxNodes = 64;
  while (true) {
    std::size_t comma = list.find(',');
    RedisEndpoint ep = base;
    if (Status s = ParseAuthority(list.substr(0, comma), ep); !s.ok()) return s;
    nodes.push_back(std::move(ep));
    if (nodes.size() > kMaxNodes) return Invalid("more than 64 nodes");
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return nodes;
}

Result<RedisTarget> ParseCluster(std::string_view rest, bool tls) {
  RedisEndpoint base;
  base.tls = tls;
  if (Status s = ParseUserinfo(rest, base); !s.ok()) return s;
  std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos && slash + 1 != rest.size()) {
    return Invalid("a Redis Cluster has only database 0: write no /db after its nodes");
  }
  auto nodes = ParseNodeList(rest.substr(0, slash), base);
  if (!nodes.ok()) return nodes.status();
  RedisTarget target;
  target.topology = RedisTopology::kCluster;
  target.nodes = std::move(nodes).value();
  return target;
}

bool IsMasterNameChar(char c) { return IsHostChar(c) || c == ':'; }

// "sentinel_user=U&sentinel_password=P" (either, in any order) into the
// target's sentinel credentials; values %-decoded.
Status ParseSentinelQuery(std::string_view query, RedisTarget& target) {
  bool user_seen = false, password_seen = false;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::size_t eq = param.find('=');
    std::string_view name = param.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    std::string* out = nullptr;
    if (name == "sentinel_user" && !user_seen) {
      user_seen = true;
      out = &target.sentinel_user;
    } else if (name == "sentinel_password" && !password_seen) {
      password_seen = true;
      out = &target.sentinel_password;
    } else {
      return Invalid(
          "a Sentinel URL takes only the query parameters sentinel_user= and "
          "sentinel_password=, each once");
    }
    if (eq == std::string_view::npos || !PercentDecode(value, *out)) {
      return Invalid("the " + std::string(name) + " parameter needs a %-escaped value");
    }
  }
  if (target.sentinel_user.find_first_of(" \r\n") != std::string::npos) {
    return Invalid("the sentinel user name contains a space or a line break");
  }
  if (!target.sentinel_user.empty() && target.sentinel_password.empty()) {
    return Invalid("sentinel_user= needs a sentinel_password=");
  }
  return Status::Ok();
}

Result<RedisTarget> ParseSentinel(std::string_view rest, bool tls) {
  RedisEndpoint base;
  base.tls = tls;
  RedisTarget target;
  // The query starts at the first '?' after the userinfo's '@' (a password
  // may hold '?'; a query value holds '@' only %-escaped).
  const std::size_t at = rest.rfind('@');
  const std::size_t q = rest.find('?', at == std::string_view::npos ? 0 : at);
  if (q != std::string_view::npos) {
    if (Status s = ParseSentinelQuery(rest.substr(q + 1), target); !s.ok()) return s;
    rest = rest.substr(0, q);
  }
  if (Status s = ParseUserinfo(rest, base); !s.ok()) return s;
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    return Invalid("a Sentinel URL names its master after the sentinels: /MASTER_NAME");
  }
  std::string_view path = rest.substr(slash + 1);
  std::size_t db_slash = path.find('/');
  std::string_view master = path.substr(0, db_slash);
  if (master.empty()) return Invalid("the master name is empty");
  for (char c : master) {
    if (!IsMasterNameChar(c)) {
      return Invalid("the master name may contain only letters, digits, '-', '.', '_' and ':'");
    }
  }
  if (db_slash != std::string_view::npos && db_slash + 1 != path.size()) {
    auto db = ParseDb(path.substr(db_slash + 1));
    if (!db.ok()) return db.status();
    base.db = *db;
  }
  auto nodes = ParseNodeList(rest.substr(0, slash), base);
  if (!nodes.ok()) return nodes.status();
  target.topology = RedisTopology::kSentinel;
  target.nodes = std::move(nodes).value();
  target.master_name = std::string(master);
  return target;
}

// The user name as a URL writes it: %XX for anything but unreserved
// characters, so that the redacted URL parses back to the same user.
std::string EncodedUser(const std::string& user) {
  std::string out;
  for (unsigned char c : user) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out +=
          '%' + HexEncode(std::string_view(reinterpret_cast<const char*>(&c), 1), HexCase::kUpper);
    }
  }
  return out;
}

std::string RedactedUserinfo(const RedisEndpoint& ep) {
  if (ep.user.empty()) return ep.password.empty() ? "" : ":***@";
  return EncodedUser(ep.user) + (ep.password.empty() ? ":@" : ":***@");
}

std::string HostPort(const RedisEndpoint& ep) {
  std::string host = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
  return host + ":" + std::to_string(ep.port);
}

}  // namespace

std::string RedisEndpoint::Redacted() const {
  std::string db_text = std::to_string(db);
  if (is_unix) {
    // A password cannot be given in a unix:// URL, but may be set otherwise.
    return "unix://" + RedactedUserinfo(*this) + path + "?db=" + db_text;
  }
  return (tls ? "rediss://" : "redis://") + RedactedUserinfo(*this) + HostPort(*this) + "/" +
         db_text;
}

std::string RedisTarget::Redacted() const {
  if (topology == RedisTopology::kSingle) return nodes.empty() ? "" : nodes[0].Redacted();
  std::string out = std::string(tls() ? "rediss" : "redis") +
                    (topology == RedisTopology::kCluster ? "-cluster://" : "-sentinel://");
  if (!nodes.empty()) out += RedactedUserinfo(nodes[0]);
  for (std::size_t i = 0; i < nodes.size(); ++i) out += (i ? "," : "") + HostPort(nodes[i]);
  if (topology == RedisTopology::kSentinel) {
    out += "/" + master_name + "/" + std::to_string(nodes.empty() ? 0 : nodes[0].db);
    if (!sentinel_password.empty()) {
      out += "?" +
             (sentinel_user.empty() ? "" : "sentinel_user=" + EncodedUser(sentinel_user) + "&") +
             "sentinel_password=***";
    }
  }
  return out;
}

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  std::string_view rest = url;
  if (ConsumeScheme(rest, "redis://")) return ParseTcp(rest, false);
  if (ConsumeScheme(rest, "rediss://")) return ParseTcp(rest, true);
  if (ConsumeScheme(rest, "unix://")) return ParseUnix(rest);
  return Invalid("the scheme must be redis://, rediss:// or unix://");
}

Result<RedisTarget> ParseRedisTarget(std::string_view url) {
  std::string_view rest = url;
  if (ConsumeScheme(rest, "redis-cluster://")) return ParseCluster(rest, false);
  if (ConsumeScheme(rest, "rediss-cluster://")) return ParseCluster(rest, true);
  if (ConsumeScheme(rest, "redis-sentinel://")) return ParseSentinel(rest, false);
  if (ConsumeScheme(rest, "rediss-sentinel://")) return ParseSentinel(rest, true);
  if (!ConsumeScheme(rest, "redis://") && !ConsumeScheme(rest, "rediss://") &&
      !ConsumeScheme(rest, "unix://")) {
    return Invalid(
        "the scheme must be redis://, unix://, redis-cluster:// or redis-sentinel:// (rediss, "
        "rediss-cluster, rediss-sentinel: the same over TLS)");
  }
  auto ep = ParseRedisUrl(url);
  if (!ep.ok()) return ep.status();
  RedisTarget target;
  target.nodes.push_back(std::move(ep).value());
  return target;
}

Status ValidateKeyPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > 64) {
    return Status::InvalidArgument("the key prefix must be 1 to 64 characters long");
  }
  for (char c : prefix) {
    if (c < 0x21 || c > 0x7E || c == '{' || c == '}') {
      return Status::InvalidArgument(
          "the key prefix may contain only printable ASCII characters other than space, '{' and "
          "'}'");
    }
  }
  return Status::Ok();
}

}  // namespace onep
