// SPDX-License-Identifier: Apache-2.0
#include "onep/notify_store.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "onep/credential.h"
#include "onep/json.h"
#include "onep/parse.h"
#include "onep/routing.h"
#include "onep/text.h"
#include "onep/token.h"
#include "scripts/notify_scripts.h"

namespace onep {
namespace {

std::string StringField(const json_t* object, const char* name) {
  const json_t* value = json_object_get(object, name);
  return json_is_string(value) ? std::string(json_string_value(value)) : std::string();
}

int64_t IntField(const json_t* object, const char* name) {
  const json_t* value = json_object_get(object, name);
  return json_is_number(value) ? static_cast<int64_t>(json_number_value(value)) : 0;
}

// An integer field of a stream entry; 0 for none or anything else.
int64_t ParseMs(const std::string& text) {
  auto value = ParseUint(text, static_cast<uint64_t>(INT64_MAX));
  return value.ok() ? static_cast<int64_t>(*value) : 0;
}

struct StoredEndpoint {
  NotifyEndpoint endpoint;
  std::string secret;  // sealed
  std::string key_id;
};

Result<StoredEndpoint> ParseEndpoint(const std::string& id, const std::string& org,
                                     const std::string& text) {
  JsonPtr json(json_loads(text.c_str(), 0, nullptr));
  if (!json_is_object(json.get())) return Status::Internal("corrupt notification endpoint " + id);
  StoredEndpoint e;
  e.endpoint.id = id;
  e.endpoint.org = org;
  e.endpoint.url = StringField(json.get(), "url");
  e.endpoint.created_at = IntField(json.get(), "created_at");
  e.endpoint.created_us = ParseMs(StringField(json.get(), "created_us"));
  e.secret = StringField(json.get(), "secret");
  e.key_id = StringField(json.get(), "key_id");
  return e;
}

// A stream entry's fields (name, value, ...) by name.
std::map<std::string, std::string> EntryFields(const Reply& fields) {
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    out[fields.elements[i].str] = fields.elements[i + 1].str;
  }
  return out;
}

Delivery ParseDelivery(const Reply& entry) {
  Delivery d;
  if (entry.elements.size() != 2) return d;
  std::map<std::string, std::string> f = EntryFields(entry.elements[1]);
  d.time = ParseMs(f["time"]);
  d.endpoint = f["endpoint"];
  d.msg = f["msg"];
  d.webhook_id = f["webhook_id"];
  d.type = f["type"];
  d.app = f["app"];
  d.attempt = ParseMs(f["attempt"]);
  d.status = f["status"];
  d.error = f["error"];
  d.duration_ms = ParseMs(f["duration_ms"]);
  d.outcome = f["outcome"];
  if (!f["next_retry"].empty()) d.next_retry = ParseMs(f["next_retry"]);
  return d;
}

bool IsBase62Id(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

}  // namespace

Status ValidateNotifyUrl(std::string_view url, bool allow_http) {
  if (url.empty()) return Status::InvalidArgument("url is required");
  if (url.size() > kMaxNotifyUrlBytes) {
    return Status::InvalidArgument("url is longer than 2048 characters");
  }
  for (char c : url) {
    if (c <= ' ' || c > '~') {
      return Status::InvalidArgument("url may hold only printable ASCII, no spaces");
    }
  }
  auto starts_with_nocase = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
    }
    return true;
  };
  std::string_view rest;
  if (starts_with_nocase("https://")) {
    rest = url.substr(8);
  } else if (starts_with_nocase("http://")) {
    if (!allow_http) {
      return Status::InvalidArgument(
          "url must be https (http is allowed only with OnepNotifyAllowHttp On, or onepctl "
          "notify add --allow-http)");
    }
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument("url must start with https://");
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("url may not hold a user or password");
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) {
      return Status::InvalidArgument("url has no valid host");
    }
    const std::string_view after = host.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return Status::InvalidArgument("url has no valid host");
    }
    host = host.substr(0, close + 1);
    if (!after.empty()) {
      const std::string_view port = after.substr(1);
      if (port.empty() || !ParseUint(port, 65535).ok()) {
        return Status::InvalidArgument("url has an invalid port");
      }
    }
  } else if (const std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    const std::string_view port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (port.empty() || !ParseUint(port, 65535).ok()) {
      return Status::InvalidArgument("url has an invalid port");
    }
  }
  if (host.empty()) return Status::InvalidArgument("url has no host");
  return Status::Ok();
}

std::string_view NotifyEndpointRoutingTag(std::string_view id) {
  constexpr std::size_t kLength =
      kNotifyEndpointIdPrefix.size() + kRoutingTagChars + kNotifyEndpointIdRandomChars;
  if (id.size() != kLength ||
      id.substr(0, kNotifyEndpointIdPrefix.size()) != kNotifyEndpointIdPrefix ||
      !IsBase62Id(id.substr(kNotifyEndpointIdPrefix.size()))) {
    return {};
  }
  return id.substr(kNotifyEndpointIdPrefix.size(), kRoutingTagChars);
}

Result<std::string> NotifyStore::Tag(RedisClient& redis, const std::string& org) const {
  if (!IsValidSlug(org)) return InvalidSlug("org", org);
  auto tag = OrgRoutingTag(redis, keys_, org);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return Status::NotFound("no organization " + org);
  return std::move(**tag);
}

Result<std::pair<std::string, std::string>> NotifyStore::TagAndOrg(RedisClient& redis,
                                                                   const std::string& id) const {
  const std::string tag(NotifyEndpointRoutingTag(id));
  const Status not_found = Status::NotFound("no notification endpoint " + QuoteForMessage(id));
  if (tag.empty()) return not_found;
  const std::string owner = keys_.OrgOwner(tag);
  auto reply = redis.Command(owner, {"GET", owner});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("GET " + owner + ": " + reply->str);
  if (reply->is_nil()) return not_found;
  return std::make_pair(tag, reply->str);
}

Result<std::string> NotifyStore::StoredEndpoint(RedisClient& redis, const std::string& tag,
                                                const std::string& id) const {
  const std::string key = keys_.Notify(tag);
  auto reply = redis.Command(key, {"HGET", key, id});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("HGET " + key + ": " + reply->str);
  if (reply->is_nil()) return Status::NotFound("no notification endpoint " + QuoteForMessage(id));
  return reply->str;
}

Result<NewNotifyEndpoint> NotifyStore::Add(RedisClient& redis, const SecretKey& key,
                                           const std::string& org, const std::string& url,
                                           bool allow_http, const std::string& actor) const {
  if (Status s = ValidateNotifyUrl(url, allow_http); !s.ok()) return s;
  auto tag = Tag(redis, org);
  if (!tag.ok()) return tag.status();
  auto id = RandomId(std::string(kNotifyEndpointIdPrefix) + *tag, kNotifyEndpointIdRandomChars);
  if (!id.ok()) return id.status();
  auto secret = NewWebhookSecret();
  if (!secret.ok()) return secret.status();
  auto sealed = Seal(key, *secret, *id);
  if (!sealed.ok()) return sealed.status();
  auto call =
      scripts::AddNotifyScript().Bind({{"notify_key", keys_.Notify(*tag)},
                                       {"outbox_key", keys_.Outbox(*tag)},
                                       {"audit_key", keys_.Audit(*tag)}},
                                      {{"id", *id},
                                       {"url", url},
                                       {"sealed_secret", *sealed},
                                       {"key_id", key.key_id()},
                                       {"max_endpoints", std::to_string(kMaxNotifyEndpointsPerOrg)},
                                       {"actor", actor},
                                       {"audit_max_len", std::to_string(kAuditMaxLen)}});
  if (!call.ok()) return call.status();
  auto reply = redis.Eval(KeySpace::SlotKey(*tag), *call);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("notify add script: " + reply->str);
  if (reply->elements.empty()) return Status::Internal("unexpected reply from notify add");
  if (reply->elements[0].str == "too_many") {
    return Status::Conflict("organization " + org + " has " +
                            std::to_string(kMaxNotifyEndpointsPerOrg) +
                            " notification endpoints already, the most it may have");
  }
  if (reply->elements.size() != 2) return Status::Internal("unexpected reply from notify add");
  // A global key: a plain command, after the org's script (keys.h).
  const std::string orgs = keys_.NotifyOrgs();
  auto added = redis.Command(orgs, {"SADD", orgs, *tag});
  if (!added.ok()) return added.status();
  if (added->is_error()) return Status::Internal("SADD " + orgs + ": " + added->str);
  NewNotifyEndpoint out;
  out.endpoint.id = *id;
  out.endpoint.org = org;
  out.endpoint.url = url;
  out.endpoint.created_at = ParseMs(reply->elements[1].str);
  out.secret = std::move(secret).value();
  return out;
}

Result<std::vector<NotifyEndpoint>> NotifyStore::List(RedisClient& redis,
                                                      const std::string& org) const {
  auto tag = Tag(redis, org);
  if (!tag.ok()) return tag.status();
  const std::string key = keys_.Notify(*tag);
  auto reply = redis.Command(key, {"HGETALL", key});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("HGETALL " + key + ": " + reply->str);
  std::vector<NotifyEndpoint> out;
  for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
    auto e = ParseEndpoint(reply->elements[i].str, org, reply->elements[i + 1].str);
    if (!e.ok()) return e.status();
    out.push_back(std::move(e->endpoint));
  }
  std::sort(out.begin(), out.end(), [](const NotifyEndpoint& a, const NotifyEndpoint& b) {
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    return a.created_us != b.created_us ? a.created_us < b.created_us : a.id < b.id;
  });
  if (out.empty()) return out;
  auto deliveries = Deliveries(redis, {org, "", kMaxDeliveriesRead});
  if (!deliveries.ok()) return deliveries.status();
  for (NotifyEndpoint& e : out) {
    for (const Delivery& d : *deliveries) {
      if (d.endpoint != e.id) continue;
      e.last_delivery = LastDelivery{d.time, d.outcome, d.status};
      break;
    }
  }
  return out;
}

Result<NotifyEndpoint> NotifyStore::Get(RedisClient& redis, const std::string& id) const {
  auto owner = TagAndOrg(redis, id);
  if (!owner.ok()) return owner.status();
  auto stored = StoredEndpoint(redis, owner->first, id);
  if (!stored.ok()) return stored.status();
  auto e = ParseEndpoint(id, owner->second, *stored);
  if (!e.ok()) return e.status();
  return std::move(e->endpoint);
}

Result<NotifyEndpoint> NotifyStore::Remove(RedisClient& redis, const std::string& id,
                                           const std::string& actor) const {
  auto owner = TagAndOrg(redis, id);
  if (!owner.ok()) return owner.status();
  const std::string& tag = owner->first;
  auto call = scripts::RemoveNotifyScript().Bind(
      {{"notify_key", keys_.Notify(tag)},
       {"outbox_key", keys_.Outbox(tag)},
       {"notify_state_key", keys_.NotifyState(tag)},
       {"audit_key", keys_.Audit(tag)}},
      {{"id", id}, {"actor", actor}, {"audit_max_len", std::to_string(kAuditMaxLen)}});
  if (!call.ok()) return call.status();
  auto reply = redis.Eval(KeySpace::SlotKey(tag), *call);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("notify remove script: " + reply->str);
  if (reply->elements.empty()) return Status::Internal("unexpected reply from notify remove");
  if (reply->elements[0].str == "not_found") {
    return Status::NotFound("no notification endpoint " + QuoteForMessage(id));
  }
  if (reply->elements.size() != 3) return Status::Internal("unexpected reply from notify remove");
  auto e = ParseEndpoint(id, owner->second, reply->elements[1].str);
  if (!e.ok()) return e.status();
  if (reply->elements[2].integer == 0) {
    // The org's last endpoint: it leaves the notifying orgs, unless an
    // endpoint was added meanwhile (then it goes back in).
    const std::string orgs = keys_.NotifyOrgs();
    auto removed = redis.Command(orgs, {"SREM", orgs, tag});
    if (!removed.ok()) return removed.status();
    const std::string key = keys_.Notify(tag);
    auto exists = redis.Command(key, {"EXISTS", key});
    if (!exists.ok()) return exists.status();
    if (exists->integer == 1) {
      auto again = redis.Command(orgs, {"SADD", orgs, tag});
      if (!again.ok()) return again.status();
    }
  }
  return std::move(e->endpoint);
}

Result<std::string> NotifyStore::Test(RedisClient& redis, const std::string& id,
                                      const std::string& actor) const {
  auto owner = TagAndOrg(redis, id);
  if (!owner.ok()) return owner.status();
  const std::string& tag = owner->first;
  auto call = scripts::TestNotifyScript().Bind({{"notify_key", keys_.Notify(tag)},
                                                {"outbox_key", keys_.Outbox(tag)},
                                                {"audit_key", keys_.Audit(tag)}},
                                               {{"id", id},
                                                {"org", owner->second},
                                                {"actor", actor},
                                                {"audit_max_len", std::to_string(kAuditMaxLen)}});
  if (!call.ok()) return call.status();
  auto reply = redis.Eval(KeySpace::SlotKey(tag), *call);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("notify test script: " + reply->str);
  if (reply->elements.empty()) return Status::Internal("unexpected reply from notify test");
  if (reply->elements[0].str == "not_found") {
    return Status::NotFound("no notification endpoint " + QuoteForMessage(id));
  }
  if (reply->elements.size() != 2) return Status::Internal("unexpected reply from notify test");
  return reply->elements[1].str;
}

Result<std::vector<Delivery>> NotifyStore::Deliveries(RedisClient& redis,
                                                      const DeliveryQuery& query) const {
  auto tag = Tag(redis, query.org);
  if (!tag.ok()) return tag.status();
  const std::string key = keys_.Deliveries(*tag);
  const std::size_t count =
      std::min(query.endpoint.empty() ? query.limit : kMaxDeliveriesRead, kMaxDeliveriesRead);
  auto reply = redis.Command(key, {"XREVRANGE", key, "+", "-", "COUNT", std::to_string(count)});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("XREVRANGE " + key + ": " + reply->str);
  std::vector<Delivery> out;
  for (const Reply& entry : reply->elements) {
    if (out.size() >= query.limit) break;
    Delivery d = ParseDelivery(entry);
    if (!query.endpoint.empty() && d.endpoint != query.endpoint) continue;
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::string> NotifyStore::Secret(RedisClient& redis, const SecretKey& key,
                                        const std::string& id) const {
  auto owner = TagAndOrg(redis, id);
  if (!owner.ok()) return owner.status();
  auto stored = StoredEndpoint(redis, owner->first, id);
  if (!stored.ok()) return stored.status();
  auto e = ParseEndpoint(id, owner->second, *stored);
  if (!e.ok()) return e.status();
  if (e->key_id != key.key_id()) {
    return Status::FailedPrecondition("the secret of " + id + " was sealed with key " + e->key_id +
                                      ", not with this key file's key " + key.key_id());
  }
  return Open(key, e->secret, id);
}

}  // namespace onep
