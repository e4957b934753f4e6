// SPDX-License-Identifier: Apache-2.0
// Where Redis is. One server: redis://[[user]:password@]host:port[/db] or
// unix:///path[?db=N]; a Redis Cluster:
// redis-cluster://[[user]:password@]host:port[,host:port...] (seed nodes);
// Sentinel: redis-sentinel://[[user]:password@]host:port[,...]/MASTER[/db]
// [?sentinel_user=USER&sentinel_password=PASSWORD]: the userinfo is for the
// master (the data node), the query parameters for the sentinels, which are
// asked without AUTH when the URL has none (docs/configuration.md).
//
// rediss://, rediss-cluster:// and rediss-sentinel:// are the same over TLS:
// every connection (the server, every cluster node, the sentinels and the
// master) is made with TLS (onep/redis_tls.h).
#ifndef ONEP_REDIS_URL_H_
#define ONEP_REDIS_URL_H_

#include <string>
#include <string_view>
#include <vector>

#include "onep/status.h"

namespace onep {

inline constexpr std::string_view kDefaultRedisUrl = "redis://127.0.0.1:6379/0";
inline constexpr std::string_view kDefaultKeyPrefix = "onep:";

struct RedisEndpoint {
  bool is_unix = false;
  std::string host;      // tcp only
  int port = 6379;       // tcp only
  std::string path;      // unix only
  std::string user;      // a Redis ACL user; empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;
  bool tls = false;  // tcp only: rediss://

  // The URL with the password replaced by "***": safe to log and print.
  std::string Redacted() const;
};

// One server: redis://, rediss:// or unix:// only. InvalidArgument naming the problem
// (never echoing the password).
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

enum class RedisTopology { kSingle, kCluster, kSentinel };

struct RedisTarget {
  RedisTopology topology = RedisTopology::kSingle;
  // kSingle: the server; kCluster: the seed nodes; kSentinel: the sentinels.
  // Every node carries the URL's user, password, db and tls flag.
  std::vector<RedisEndpoint> nodes;
  std::string master_name;  // kSentinel only
  // kSentinel only: how to AUTH to the sentinels themselves (empty password:
  // no AUTH), from the URL's sentinel_user= and sentinel_password=.
  std::string sentinel_user;
  std::string sentinel_password;

  // The URL with the password replaced by "***": safe to log and print.
  std::string Redacted() const;
  // Whether its connections use TLS (a rediss* scheme).
  bool tls() const { return !nodes.empty() && nodes[0].tls; }
};

// Any OnepRedis form. InvalidArgument naming the problem.
Result<RedisTarget> ParseRedisTarget(std::string_view url);

// A key prefix must be 1-64 printable ASCII characters without space, '{' or
// '}' (braces would change Redis Cluster hash tags).
Status ValidateKeyPrefix(std::string_view prefix);

}  // namespace onep

#endif  // ONEP_REDIS_URL_H_
