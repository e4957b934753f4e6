// SPDX-License-Identifier: Apache-2.0
// Notification endpoints of an org, the outbox they read and the record of
// their deliveries (docs/design.md "Notifications", docs/redis-layout.md).
//
// An endpoint is a URL and a signing secret (secret_box.h: shown once when
// it is added, stored sealed with the secret key). Adding one creates its
// consumer group on the org's outbox, from now on; the record script (and
// every script that opens or resolves an incident) appends to the outbox
// when the org has an endpoint. Delivering is not done here: this adds,
// lists, removes and tests endpoints, and reads the deliveries.
//
// Thread-safety: stateless apart from its key space; safe to share.
#ifndef ONEP_NOTIFY_STORE_H_
#define ONEP_NOTIFY_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/secret_box.h"
#include "onep/status.h"

namespace onep {

inline constexpr std::string_view kNotifyEndpointIdPrefix = "ne_";
inline constexpr std::size_t kNotifyEndpointIdRandomChars = 12;
inline constexpr std::size_t kMaxNotifyEndpointsPerOrg = 10;
inline constexpr std::size_t kMaxNotifyUrlBytes = 2048;
inline constexpr std::size_t kMaxDeliveriesRead = 1000;

// OK for an http(s) URL with a host, no user or password, at most
// kMaxNotifyUrlBytes, printable ASCII only; http only with `allow_http`.
// InvalidArgument naming the problem otherwise (the URL itself is not
// repeated: it may hold a token in its query).
Status ValidateNotifyUrl(std::string_view url, bool allow_http);

// The routing tag inside an endpoint id ("ne_" + tag + 12 base62); empty
// for anything else.
std::string_view NotifyEndpointRoutingTag(std::string_view id);

struct LastDelivery {
  int64_t time = 0;     // Unix ms
  std::string outcome;  // delivered, retry, failed
  std::string status;   // the HTTP status, empty if none
};

struct NotifyEndpoint {
  std::string id;
  std::string org;
  std::string url;
  int64_t created_at = 0;  // Unix ms, Redis' clock
  int64_t created_us = 0;  // the same in µs: the listing order of endpoints added in one ms
  std::optional<LastDelivery> last_delivery;
};

// An endpoint just added, with its secret: the only time it is shown.
struct NewNotifyEndpoint {
  NotifyEndpoint endpoint;
  std::string secret;  // whsec_...
};

// One delivery attempt (the deliveries stream, written by the deliverer).
struct Delivery {
  int64_t time = 0;  // Unix ms
  std::string endpoint;
  std::string msg;  // the outbox entry's id
  std::string webhook_id;
  std::string type;
  std::string app;
  int64_t attempt = 0;
  std::string status;  // the HTTP status, empty if none
  std::string error;
  int64_t duration_ms = 0;
  std::string outcome;                // delivered, retry, failed
  std::optional<int64_t> next_retry;  // Unix ms, for a retry
};

struct DeliveryQuery {
  std::string org;
  std::string endpoint;  // empty: all
  std::size_t limit = 50;
};

class NotifyStore {
 public:
  explicit NotifyStore(KeySpace keys) : keys_(std::move(keys)) {}

  // Adds an endpoint to `org` with a new secret, sealed with `key`; creates
  // its consumer group; audited (notify_add) as `actor`. `url` must pass
  // ValidateNotifyUrl(url, allow_http). NotFound for an org without a
  // routing tag; Conflict when it has kMaxNotifyEndpointsPerOrg already.
  Result<NewNotifyEndpoint> Add(RedisClient& redis, const SecretKey& key, const std::string& org,
                                const std::string& url, bool allow_http,
                                const std::string& actor) const;

  // The org's endpoints, oldest first, each with its newest delivery (among
  // the newest kMaxDeliveriesRead of the org). Never a secret. NotFound for
  // no such org.
  Result<std::vector<NotifyEndpoint>> List(RedisClient& redis, const std::string& org) const;

  // The endpoint `id`, without its secret. NotFound for no such endpoint.
  Result<NotifyEndpoint> Get(RedisClient& redis, const std::string& id) const;

  // Removes the endpoint `id`, its group and its retry state; audited
  // (notify_remove). The org's last endpoint takes the outbox with it and
  // leaves the notifying orgs. Returns what was removed. NotFound for no
  // such endpoint.
  Result<NotifyEndpoint> Remove(RedisClient& redis, const std::string& id,
                                const std::string& actor) const;

  // Appends a `test` entry for the endpoint `id` to the outbox; audited
  // (notify_test). Returns the outbox entry's id. NotFound for no such
  // endpoint.
  Result<std::string> Test(RedisClient& redis, const std::string& id,
                           const std::string& actor) const;

  // The org's delivery attempts, newest first, at most `limit` (and at most
  // kMaxDeliveriesRead read). NotFound for no such org.
  Result<std::vector<Delivery>> Deliveries(RedisClient& redis, const DeliveryQuery& query) const;

  // The secret of the endpoint `id`, opened with `key`. NotFound for no
  // such endpoint; FailedPrecondition when it was sealed with another key
  // (naming both key ids); InvalidArgument when it does not open.
  Result<std::string> Secret(RedisClient& redis, const SecretKey& key, const std::string& id) const;

 private:
  Result<std::string> Tag(RedisClient& redis, const std::string& org) const;
  // The org that owns the tag of endpoint `id`; NotFound for a malformed id.
  Result<std::pair<std::string, std::string>> TagAndOrg(RedisClient& redis,
                                                        const std::string& id) const;
  Result<std::string> StoredEndpoint(RedisClient& redis, const std::string& tag,
                                     const std::string& id) const;
  KeySpace keys_;
};

}  // namespace onep

#endif  // ONEP_NOTIFY_STORE_H_
