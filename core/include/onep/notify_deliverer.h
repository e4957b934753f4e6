// SPDX-License-Identifier: Apache-2.0
// NotifyDeliverer: sends each org's notifications to its endpoints, at least
// once, in order per endpoint, signed (docs/design.md, "Notification
// delivery"; the keys in docs/redis-layout.md).
//
// Each endpoint reads the org's outbox through a consumer group of its own
// and has at most one message in flight. A message is taken by a script
// that leases it in the endpoint's state for `lease` (longer than any
// attempt): another deliverer (another Apache) skips it until then, and
// when this one dies mid-attempt, any deliverer takes the same message
// again once the lease is over, under the same webhook-id. An answer 2xx
// delivers it; any other outcome is retried with exponential backoff and
// jitter until `give_up` after its first attempt, then it is failed. A
// refusal (ResolveWebhookTarget) fails it at once. Every attempt is one entry
// of the org's deliveries stream.
//
// Thread-safety: one thread calls Turn(); nothing else is thread-safe.
#ifndef ONEP_NOTIFY_DELIVERER_H_
#define ONEP_NOTIFY_DELIVERER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/status.h"
#include "onep/webhook_sender.h"

namespace onep {

// What one attempt came to, for the owner's counters and log.
struct NotifyAttempt {
  std::string org;
  std::string endpoint;
  std::string webhook_id;
  int attempt = 0;
  long status = 0;            // 0: no HTTP answer
  std::string error;          // "" when none
  std::string outcome;        // delivered, retry or failed
  int64_t next_retry_ms = 0;  // retry only
};

struct NotifyDelivererOptions {
  std::string consumer;  // this deliverer's name in the groups: host name and pid
  WebhookPolicy policy;
  std::chrono::milliseconds retry_base{5000};  // the first retry's delay
  std::chrono::milliseconds retry_cap{3600 * 1000};
  std::chrono::milliseconds give_up{24LL * 3600 * 1000};
  // Longer than an attempt can take (WebhookLimits::total_timeout) with a
  // margin: how long a taken message is this deliverer's alone.
  std::chrono::milliseconds lease{15000};
  std::chrono::milliseconds scan_every{1000};
  std::string user_agent = "onep";
  WebhookLimits limits;
  // The endpoint's secret ("whsec_...") from the sealed `secret` and `key_id`
  // of its record; an error fails the attempt (retried: the key file may be
  // fixed meanwhile).
  std::function<Result<std::string>(const std::string& endpoint_id, const std::string& sealed,
                                    const std::string& key_id)>
      open_secret;
  std::function<void(const NotifyAttempt&)> on_attempt;  // may be empty
  // Errors of Redis itself (a scan that failed): logged by the owner.
  std::function<void(const std::string&)> on_error;  // may be empty
  // Unix ms now; a test may replace it.
  std::function<int64_t()> now_ms;
};

class NotifyDeliverer {
 public:
  NotifyDeliverer(RedisClient& redis, KeySpace keys, NotifyDelivererOptions options);
  ~NotifyDeliverer();

  // One turn: when a scan is due (every scan_every, at once while messages
  // wait), takes the next message of every endpoint with none in flight and
  // starts it; then moves the transfers on for at most `wait` and settles
  // those that ended. Never throws.
  void Turn(std::chrono::milliseconds wait);

  std::size_t in_flight() const;

  // The delay before retry `attempt` (1: the first retry): base × 2^(n-1),
  // capped, ±20 %. `unit` in [0, 1) picks the jitter.
  static int64_t RetryDelayMs(const NotifyDelivererOptions& options, int attempt, double unit);

 private:
  struct InFlight;
  void Scan();
  void TakeFor(const std::string& tag, const std::string& endpoint_id, const std::string& record);
  void Settle(InFlight& flight, long status, const std::string& error, int64_t duration_ms,
              bool refused);

  RedisClient& redis_;
  KeySpace keys_;
  NotifyDelivererOptions options_;
  WebhookSender sender_;
  uint64_t next_tag_ = 1;
  std::map<uint64_t, std::unique_ptr<InFlight>> flights_;  // by transfer tag
  std::map<std::string, uint64_t> busy_;                   // endpoint id -> transfer tag
  std::chrono::steady_clock::time_point next_scan_{};
};

}  // namespace onep

#endif  // ONEP_NOTIFY_DELIVERER_H_
