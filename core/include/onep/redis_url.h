// Where Redis is: redis://[:password@]host:port[/db] or unix:///path[?db=N].
#ifndef ONEP_REDIS_URL_H_
#define ONEP_REDIS_URL_H_

#include <string>
#include <string_view>

#include "onep/status.h"

namespace onep {

inline constexpr std::string_view kDefaultRedisUrl = "redis://127.0.0.1:6379/0";
inline constexpr std::string_view kDefaultKeyPrefix = "onep:";

struct RedisEndpoint {
  bool is_unix = false;
  std::string host;      // tcp only
  int port = 6379;       // tcp only
  std::string path;      // unix only
  std::string password;  // empty: no AUTH
  int db = 0;

  // The URL with the password replaced by "***": safe to log and print.
  std::string Redacted() const;
};

// InvalidArgument naming the problem (never echoing the password).
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

// A key prefix must be 1-64 printable ASCII characters without space, '{' or
// '}' (braces would change Redis Cluster hash tags).
Status ValidateKeyPrefix(std::string_view prefix);

}  // namespace onep

#endif  // ONEP_REDIS_URL_H_
