// SPDX-License-Identifier: Apache-2.0
#include "onep/notify_deliverer.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <random>
#include <utility>
#include <vector>

#include "onep/json.h"
#include "onep/secret_box.h"
#include "onep/webhook_message.h"
#include "scripts/delivery_scripts.h"

namespace onep {
namespace {

constexpr const char* kDeliveriesMaxLen = "10000";
// Endpoints of one org taken per scan at most: a turn stays short.
constexpr int kMaxSkipsPerTake = 5;

std::string StringField(const json_t* object, const char* name) {
  const json_t* value = json_object_get(object, name);
  return json_is_string(value) ? std::string(json_string_value(value), json_string_length(value))
                               : std::string();
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct NotifyDeliverer::InFlight {
  uint64_t tag = 0;
  std::string org_tag;
  std::string org;
  std::string endpoint;
  std::string msg;
  std::string webhook_id;
  std::string type;
  std::string app;
  int attempt = 1;
};

NotifyDeliverer::NotifyDeliverer(RedisClient& redis, KeySpace keys, NotifyDelivererOptions options)
    : redis_(redis),
      keys_(std::move(keys)),
      options_(std::move(options)),
      sender_(options_.limits) {
  if (!options_.now_ms) options_.now_ms = SystemNowMs;
}

NotifyDeliverer::~NotifyDeliverer() = default;

std::size_t NotifyDeliverer::in_flight() const { return flights_.size(); }

int64_t NotifyDeliverer::RetryDelayMs(const NotifyDelivererOptions& options, int attempt,
                                      double unit) {
  const double base = static_cast<double>(options.retry_base.count());
  const double cap = static_cast<double>(options.retry_cap.count());
  const double delay = std::min(cap, base * std::pow(2.0, std::max(0, attempt - 1)));
  const double jitter = 0.8 + 0.4 * std::clamp(unit, 0.0, 1.0);
  return std::max<int64_t>(1, static_cast<int64_t>(delay * jitter));
}

void NotifyDeliverer::Turn(std::chrono::milliseconds wait) {
  try {
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + wait;
    if (start >= next_scan_) {
      next_scan_ = start + options_.scan_every;
      Scan();
    }
    // Until `wait` is spent, or at once when nothing is in flight.
    for (auto now = std::chrono::steady_clock::now(); !flights_.empty() && now < end;
         now = std::chrono::steady_clock::now()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - now);
      for (const WebhookResponse& response : sender_.Run(left)) {
        auto it = flights_.find(response.tag);
        if (it == flights_.end()) continue;
        std::string error = response.error;
        if (error.empty() && (response.status < 200 || response.status > 299)) {
          error = "HTTP " + std::to_string(response.status);
        }
        Settle(*it->second, response.status, error, response.duration_ms, false);
        busy_.erase(it->second->endpoint);
        flights_.erase(it);
        // The endpoint's next message, if any, without waiting for the scan.
        next_scan_ = std::chrono::steady_clock::now();
      }
    }
  } catch (const std::exception& e) {
    if (options_.on_error) options_.on_error(e.what());
  }
}

void NotifyDeliverer::Scan() {
  auto orgs = redis_.Command(keys_.NotifyOrgs(), {"SMEMBERS", keys_.NotifyOrgs()});
  if (!orgs.ok() || orgs->is_error()) {
    if (options_.on_error) {
      options_.on_error("reading " + keys_.NotifyOrgs() + ": " +
                        (orgs.ok() ? orgs->str : orgs.status().message()));
    }
    return;
  }
  for (const Reply& org : orgs->elements) {
    const std::string& tag = org.str;
    auto endpoints = redis_.Command(KeySpace::SlotKey(tag), {"HGETALL", keys_.Notify(tag)});
    if (!endpoints.ok() || endpoints->is_error()) {
      if (options_.on_error) {
        options_.on_error("reading " + keys_.Notify(tag) + ": " +
                          (endpoints.ok() ? endpoints->str : endpoints.status().message()));
      }
      continue;
    }
    const auto& items = endpoints->elements;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
      if (busy_.count(items[i].str) != 0) continue;
      TakeFor(tag, items[i].str, items[i + 1].str);
    }
  }
}

void NotifyDeliverer::TakeFor(const std::string& tag, const std::string& endpoint_id,
                              const std::string& record_text) {
  JsonPtr record(json_loads(record_text.c_str(), 0, nullptr));
  if (!json_is_object(record.get())) return;
  const std::string url = StringField(record.get(), "url");
  const std::string sealed = StringField(record.get(), "secret");
  const std::string key_id = StringField(record.get(), "key_id");
  Reply reply;
  for (int skips = 0;; ++skips) {
    auto call = scripts::TakeNotificationScript().Bind(
        {{"outbox_key", keys_.Outbox(tag)}, {"state_key", keys_.NotifyState(tag)}},
        {{"endpoint", endpoint_id},
         {"consumer", options_.consumer},
         {"lease_ms", std::to_string(options_.lease.count())}});
    if (!call.ok()) return;
    auto taken = redis_.Eval(KeySpace::SlotKey(tag), *call);
    if (!taken.ok()) {
      if (options_.on_error) {
        options_.on_error("taking a notification for " + endpoint_id + ": " +
                          taken.status().message());
      }
      return;
    }
    reply = std::move(taken).value();
    if (reply.elements.empty()) return;
    const std::string& what = reply.elements[0].str;
    if (what == "more" && skips < kMaxSkipsPerTake) continue;
    if (what == "wait" && reply.elements.size() > 1) {
      // Scan again when the retry is due, if that is before the next scan.
      const int64_t due_in = std::atoll(reply.elements[1].str.c_str()) - options_.now_ms();
      const auto due = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(std::max<int64_t>(0, due_in));
      next_scan_ = std::min(next_scan_, due);
    }
    if (what == "more") next_scan_ = std::chrono::steady_clock::now();
    if (what != "send" || reply.elements.size() < 5) return;
    break;
  }
  std::vector<std::string> fields;
  for (const Reply& field : reply.elements[2].elements) fields.push_back(field.str);
  OutboxEntry entry = OutboxEntryFromFields(reply.elements[1].str, fields);

  auto flight = std::make_unique<InFlight>();
  flight->tag = next_tag_++;
  flight->org_tag = tag;
  flight->org = entry.org;
  flight->endpoint = endpoint_id;
  flight->msg = entry.id;
  flight->webhook_id = WebhookId(endpoint_id, entry.id);
  flight->type = entry.type;
  flight->app = entry.app;
  flight->attempt = static_cast<int>(reply.elements[3].integer);

  const int64_t now_ms = options_.now_ms();
  auto body = WebhookBody(entry, now_ms);
  if (!body.ok()) {  // nothing a retry could change
    Settle(*flight, 0, body.status().message(), 0, true);
    return;
  }
  auto target = ResolveWebhookTarget(url, options_.policy);
  if (!target.ok()) {
    Settle(*flight, 0, target.status().message(), 0,
           target.status().code() == Code::kInvalidArgument);
    return;
  }
  Result<std::string> key = Status::Internal("no secret opener");
  if (options_.open_secret) {
    auto secret = options_.open_secret(endpoint_id, sealed, key_id);
    key = secret.ok() ? WebhookSigningKey(*secret) : Result<std::string>(secret.status());
  }
  if (!key.ok()) {
    Settle(*flight, 0, "the endpoint's secret: " + key.status().message(), 0, false);
    return;
  }
  const int64_t timestamp = now_ms / 1000;
  WebhookRequest request;
  request.tag = flight->tag;
  request.target = std::move(target).value();
  request.headers = {
      "content-type: application/json",
      "user-agent: " + options_.user_agent,
      "webhook-id: " + flight->webhook_id,
      "webhook-timestamp: " + std::to_string(timestamp),
      "webhook-signature: " + WebhookSignature(*key, flight->webhook_id, timestamp, *body),
  };
  request.body = std::move(body).value();
  sender_.Start(std::move(request));
  busy_[endpoint_id] = flight->tag;
  flights_[flight->tag] = std::move(flight);
}

void NotifyDeliverer::Settle(InFlight& flight, long status, const std::string& error,
                             int64_t duration_ms, bool refused) {
  const char* result = refused                            ? "failed"
                       : (status >= 200 && status <= 299) ? "delivered"
                                                          : "retry";
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random);
  const int64_t delay = RetryDelayMs(options_, flight.attempt, unit);
  auto call = scripts::SettleNotificationScript().Bind(
      {{"outbox_key", keys_.Outbox(flight.org_tag)},
       {"state_key", keys_.NotifyState(flight.org_tag)},
       {"deliveries_key", keys_.Deliveries(flight.org_tag)}},
      {{"endpoint", flight.endpoint},
       {"msg", flight.msg},
       {"webhook_id", flight.webhook_id},
       {"msg_type", flight.type},
       {"app", flight.app},
       {"attempt", std::to_string(flight.attempt)},
       {"status", status > 0 ? std::to_string(status) : ""},
       {"error_text", error.substr(0, 200)},
       {"duration_ms", std::to_string(duration_ms)},
       {"result", result},
       {"delay_ms", std::to_string(delay)},
       {"give_up_ms", std::to_string(options_.give_up.count())},
       {"deliveries_max_len", kDeliveriesMaxLen}});
  if (!call.ok()) return;
  auto settled = redis_.Eval(KeySpace::SlotKey(flight.org_tag), *call);
  NotifyAttempt attempt;
  attempt.org = flight.org;
  attempt.endpoint = flight.endpoint;
  attempt.webhook_id = flight.webhook_id;
  attempt.attempt = flight.attempt;
  attempt.status = status;
  attempt.error = error;
  if (!settled.ok() || settled->elements.size() < 2) {
    // The lease runs out and the message is sent again: at least once.
    if (options_.on_error) {
      options_.on_error(
          "settling " + flight.webhook_id + ": " +
          (settled.ok() ? std::string("unexpected reply") : settled.status().message()));
    }
    return;
  }
  attempt.outcome = settled->elements[0].str;
  attempt.next_retry_ms = std::atoll(settled->elements[1].str.c_str());
  if (options_.on_attempt) options_.on_attempt(attempt);
}

}  // namespace onep
