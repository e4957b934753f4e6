// SPDX-License-Identifier: Apache-2.0
#include "onep/webhook_sender.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

namespace onep {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;
struct AddrinfoDeleter {
  void operator()(addrinfo* list) const { freeaddrinfo(list); }
};

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string KindOfV4(uint32_t a) {
  const auto in = [a](uint32_t net, int bits) {
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a & mask) == net;
  };
  if (in(0x00000000, 8)) return "an unspecified address";
  if (in(0x7F000000, 8)) return "a loopback address";
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10)) {
    return "a private address";
  }
  if (in(0xA9FE0000, 16)) return "a link-local address";
  if (in(0xE0000000, 4)) return "a multicast address";
  if (in(0xF0000000, 4)) return "a reserved address";  // and 255.255.255.255
  return "";
}

std::string Numeric(const sockaddr* address, socklen_t length) {
  char text[NI_MAXHOST];
  if (getnameinfo(address, length, text, sizeof text, nullptr, 0, NI_NUMERICHOST) != 0) {
    return "?";
  }
  return text;
}

}  // namespace

std::string NonPublicAddressKind(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return KindOfV4(ntohl(v4->sin_addr.s_addr));
  }
  if (address->sa_family != AF_INET6) return "not an internet address";
  const uint8_t* b = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr.s6_addr;
  static const uint8_t kZero[16] = {};
  static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  static const uint8_t kNat64Prefix[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto embedded_v4 = [b] {
    return (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) | b[15];
  };
  if (std::memcmp(b, kZero, 16) == 0) return "an unspecified address";
  if (std::memcmp(b, kZero, 15) == 0 && b[15] == 1) return "a loopback address";
  if (std::memcmp(b, kMappedPrefix, 12) == 0 || std::memcmp(b, kNat64Prefix, 12) == 0) {
    return KindOfV4(embedded_v4());
  }
  if (std::memcmp(b, kZero, 12) == 0) return "a reserved address";  // IPv4-compatible
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "a link-local address";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return "a private address";  // site-local
  if ((b[0] & 0xFE) == 0xFC) return "a unique-local address";
  if (b[0] == 0xFF) return "a multicast address";
  return "";
}

Result<WebhookTarget> ResolveWebhookTarget(const std::string& url, const WebhookPolicy& policy) {
  InitCurlOnce();
  std::unique_ptr<CURLU, CurlUrlDeleter> parsed(curl_url());
  if (!parsed) return Status::Internal("out of memory");
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return Status::InvalidArgument("refused: not a URL");
  }
  char* raw = nullptr;
  curl_url_get(parsed.get(), CURLUPART_SCHEME, &raw, 0);
  CurlString scheme(raw);
  raw = nullptr;
  curl_url_get(parsed.get(), CURLUPART_HOST, &raw, 0);
  CurlString host(raw);
  raw = nullptr;
  curl_url_get(parsed.get(), CURLUPART_PORT, &raw, CURLU_DEFAULT_PORT);
  CurlString port(raw);
  if (!scheme || !host || !port) return Status::InvalidArgument("refused: not a URL");
  const std::string scheme_text = scheme.get();
  if (scheme_text != "https" && scheme_text != "http") {
    return Status::InvalidArgument("refused: only https:// and http:// URLs are sent to");
  }
  if (scheme_text == "http" && !policy.allow_http) {
    return Status::InvalidArgument(
        "refused: http:// is not encrypted; OnepNotifyAllowHttp On allows it");
  }
  WebhookTarget target;
  target.url = url;
  target.host = host.get();
  if (target.host.size() >= 2 && target.host.front() == '[') {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  target.port = std::atoi(port.get());
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(target.host.c_str(), nullptr, &hints, &found);
  std::unique_ptr<addrinfo, AddrinfoDeleter> list(found);
  if (rc != 0 || found == nullptr) {
    return Status::Unavailable("cannot resolve " + target.host + ": " + gai_strerror(rc));
  }
  target.address = Numeric(found->ai_addr, found->ai_addrlen);
  const std::string kind = NonPublicAddressKind(found->ai_addr);
  if (!kind.empty() && !policy.allow_private) {
    return Status::InvalidArgument("refused: " + target.address + " is " + kind +
                                   "; OnepNotifyAllowPrivate On allows it");
  }
  return target;
}

// ---------------------------------------------------------------------------
// The sender

struct WebhookSender::Impl {
  struct Transfer {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    curl_slist* resolve = nullptr;
    uint64_t tag = 0;
    std::string body;
    std::string kept;
    std::size_t received = 0;
    bool too_big = false;
    const WebhookLimits* limits = nullptr;
    std::chrono::steady_clock::time_point started;
    char error[CURL_ERROR_SIZE] = {};

    ~Transfer() {
      if (easy != nullptr) curl_easy_cleanup(easy);
      curl_slist_free_all(headers);
      curl_slist_free_all(resolve);
    }
  };

  static size_t Write(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    t->received += n;
    if (t->kept.size() < t->limits->kept_bytes) {
      t->kept.append(data, std::min(n, t->limits->kept_bytes - t->kept.size()));
    }
    if (t->received > t->limits->max_bytes) {
      t->too_big = true;
      return 0;  // aborts the transfer
    }
    return n;
  }

  WebhookLimits limits;
  CURLM* multi = nullptr;
  std::map<CURL*, std::unique_ptr<Transfer>> transfers;
  std::vector<WebhookResponse> failed_to_start;
};

WebhookSender::WebhookSender(WebhookLimits limits) : impl_(std::make_unique<Impl>()) {
  InitCurlOnce();
  impl_->limits = limits;
  impl_->multi = curl_multi_init();
}

WebhookSender::~WebhookSender() {
  for (auto& [easy, transfer] : impl_->transfers) curl_multi_remove_handle(impl_->multi, easy);
  impl_->transfers.clear();
  if (impl_->multi != nullptr) curl_multi_cleanup(impl_->multi);
}

std::size_t WebhookSender::in_flight() const {
  return impl_->transfers.size() + impl_->failed_to_start.size();
}

void WebhookSender::Start(WebhookRequest request) {
  auto t = std::make_unique<Impl::Transfer>();
  t->tag = request.tag;
  t->limits = &impl_->limits;
  t->body = std::move(request.body);
  t->started = std::chrono::steady_clock::now();
  t->easy = curl_easy_init();
  if (t->easy == nullptr || impl_->multi == nullptr) {
    WebhookResponse failed;
    failed.tag = request.tag;
    failed.error = "cannot start a transfer (out of memory)";
    impl_->failed_to_start.push_back(std::move(failed));
    return;
  }
  for (const std::string& header : request.headers) {
    t->headers = curl_slist_append(t->headers, header.c_str());
  }
  t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
  const WebhookTarget& target = request.target;
  if (target.address != target.host) {
    const bool v6 = target.address.find(':') != std::string::npos;
    const std::string pin = target.host + ":" + std::to_string(target.port) + ":" +
                            (v6 ? "[" + target.address + "]" : target.address);
    t->resolve = curl_slist_append(nullptr, pin.c_str());
  }
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  if (t->resolve != nullptr) curl_easy_setopt(e, CURLOPT_RESOLVE, t->resolve);
  curl_easy_setopt(e, CURLOPT_PROXY, "");  // never a proxy from the environment
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(impl_->limits.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(impl_->limits.total_timeout.count()));
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::Write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  if (curl_multi_add_handle(impl_->multi, e) != CURLM_OK) {
    WebhookResponse failed;
    failed.tag = request.tag;
    failed.error = "cannot start a transfer";
    impl_->failed_to_start.push_back(std::move(failed));
    return;
  }
  impl_->transfers.emplace(e, std::move(t));
}

std::vector<WebhookResponse> WebhookSender::Run(std::chrono::milliseconds wait) {
  std::vector<WebhookResponse> done;
  done.swap(impl_->failed_to_start);
  int running = 0;
  curl_multi_perform(impl_->multi, &running);
  if (done.empty() && !impl_->transfers.empty()) {
    curl_multi_poll(impl_->multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
    curl_multi_perform(impl_->multi, &running);
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(impl_->multi, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* e = msg->easy_handle;
    auto it = impl_->transfers.find(e);
    if (it == impl_->transfers.end()) continue;
    Impl::Transfer& t = *it->second;
    WebhookResponse response;
    response.tag = t.tag;
    response.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - t.started)
                               .count();
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &response.status);
    response.excerpt = std::move(t.kept);
    const CURLcode result = msg->data.result;
    if (t.too_big) {
      response.error =
          "the answer is larger than " + std::to_string(impl_->limits.max_bytes / 1024) + " KB";
    } else if (result == CURLE_OPERATION_TIMEDOUT) {
      response.error = "timed out";
    } else if (result != CURLE_OK) {
      response.error = t.error[0] != '\0' ? t.error : curl_easy_strerror(result);
    }
    curl_multi_remove_handle(impl_->multi, e);
    impl_->transfers.erase(it);
    done.push_back(std::move(response));
  }
  return done;
}

}  // namespace onep
