// SPDX-License-Identifier: Apache-2.0
// WebhookSender: POSTs notifications with libcurl's multi interface, many at
// once on one thread, so that an endpoint that is slow to answer delays no
// other. Each request connects within 5 s and ends within 10 s, follows no
// redirect, speaks only http and https, keeps at most 4 KB of the answer
// and aborts one past 64 KB, and goes to the address ResolveWebhookTarget
// chose (CURLOPT_RESOLVE): the name is never resolved again, so a DNS answer
// that changes between the check and the connect cannot move it.
//
// ResolveWebhookTarget is the check against server-side request forgery:
// an endpoint's host must resolve to a public address (not loopback,
// private, link-local, unique-local, multicast or unspecified, in IPv4 or
// IPv6, v4-mapped included) unless private addresses are allowed, and
// http:// is refused unless allowed.
//
// Thread-safety: a WebhookSender belongs to one thread. ResolveWebhookTarget
// is thread-safe.
#ifndef ONEP_WEBHOOK_SENDER_H_
#define ONEP_WEBHOOK_SENDER_H_

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "onep/status.h"

namespace onep {

struct WebhookPolicy {
  bool allow_private = false;  // OnepNotifyAllowPrivate
  bool allow_http = false;     // OnepNotifyAllowHttp
};

struct WebhookTarget {
  std::string url;      // as given
  std::string host;     // as in the URL, without brackets
  int port = 0;         // the URL's or the scheme's
  std::string address;  // the one address requests go to, numeric
};

// InvalidArgument ("refused: ...") when the policy forbids the URL or the
// address it resolves to: final for the notification. Unavailable when the
// name does not resolve now (worth a retry).
Result<WebhookTarget> ResolveWebhookTarget(const std::string& url, const WebhookPolicy& policy);

// Why `address` may not be used without OnepNotifyAllowPrivate ("a loopback
// address", ...), or "" for a public address.
std::string NonPublicAddressKind(const sockaddr* address);

struct WebhookRequest {
  uint64_t tag = 0;  // the caller's, given back with the response
  WebhookTarget target;
  std::vector<std::string> headers;  // "name: value"
  std::string body;
};

struct WebhookResponse {
  uint64_t tag = 0;
  long status = 0;      // the HTTP status; 0 when none came
  std::string error;    // "" when an answer came (whatever its status)
  std::string excerpt;  // the first 4 KB of the answer at most
  int64_t duration_ms = 0;
};

struct WebhookLimits {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{10000};
  std::size_t kept_bytes = 4 * 1024;
  std::size_t max_bytes = 64 * 1024;
};

class WebhookSender {
 public:
  explicit WebhookSender(WebhookLimits limits = {});
  ~WebhookSender();  // aborts what is in flight
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Starts `request`; its response comes from a later Run(). Never blocks.
  void Start(WebhookRequest request);

  // Moves every transfer on for at most `wait` (less when one ends), and
  // returns those that ended.
  std::vector<WebhookResponse> Run(std::chrono::milliseconds wait);

  std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onep

#endif  // ONEP_WEBHOOK_SENDER_H_
