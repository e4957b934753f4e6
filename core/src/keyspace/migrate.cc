// SPDX-License-Identifier: Apache-2.0
#include "onep/migrate.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <unordered_map>

#include "onep/clock.h"
#include "onep/event_store.h"
#include "onep/json.h"
#include "onep/layout.h"
#include "onep/routing.h"

namespace onep {
namespace {

// SCAN MATCH treats these as pattern characters; a key prefix may hold them.
std::string GlobEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::unordered_map<std::string, std::string> AsMap(const Reply& reply) {
  std::unordered_map<std::string, std::string> fields;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    fields[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  return fields;
}

class Migrator {
 public:
  Migrator(RedisClient& redis, const KeySpace& keys, bool dry_run)
      : redis_(redis), keys_(keys), dry_run_(dry_run) {
    report_.dry_run = dry_run;
  }

  Result<MigrationReport> Run() {
    auto layout = ReadLayout(redis_, keys_);
    if (!layout.ok()) return layout.status();
    switch (layout->state) {
      case LayoutState::kUnknown:
        return LayoutStatus(*layout, keys_);
      case LayoutState::kCurrent:
        report_.layout_before = layout->version;
        // A run interrupted after the layout was written may have left the
        // version-1 org set behind.
        if (!dry_run_) {
          if (Status s = Del(Version1Orgs(keys_)); !s.ok()) return s;
        }
        return report_;
      case LayoutState::kEmpty:
        report_.layout_before = "";
        if (!dry_run_) {
          if (Status s = StampLayout(redis_, keys_); !s.ok()) return s;
        }
        return report_;
      case LayoutState::kVersion1:
        report_.layout_before = "1";
        break;
    }
    auto orgs = FindVersion1Orgs();
    if (!orgs.ok()) return orgs.status();
    for (const std::string& org : *orgs) {
      if (Status s = MigrateOrg(org, *orgs); !s.ok()) return s;
    }
    std::sort(report_.rotate.begin(), report_.rotate.end());
    if (dry_run_) return report_;
    if (Status s = DropGlobalLeftovers(); !s.ok()) return s;
    // Last: from now on the module and onepctl use the keyspace.
    const std::string layout_key = keys_.Layout();
    auto set = Write({"SET", layout_key, std::string(kLayoutVersion)});
    if (!set.ok()) return set.status();
    if (Status s = Del(Version1Orgs(keys_)); !s.ok()) return s;
    return report_;
  }

 private:
  Result<Reply> Command(const std::vector<std::string>& command) {
    // Layout 1 lived on one server: every key is on the node of slot "".
    auto reply = redis_.Command("", command);
    if (!reply.ok()) return reply.status();
    if (reply->is_error()) {
      return Status::Unavailable(command[0] + " failed during the migration: " + reply->str +
                                     "; run 'onepctl migrate' again",
                                 RedisFailure::kCannotServeNow);
    }
    return reply;
  }

  Result<Reply> Write(const std::vector<std::string>& command) {
    if (dry_run_) return Reply{};
    return Command(command);
  }

  Status Del(const std::string& key) { return Write({"DEL", key}).status(); }

  Result<std::vector<std::string>> Scan(const std::string& pattern) {
    std::vector<std::string> found;
    std::string cursor = "0";
    do {
      auto page = Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      if (!page.ok()) return page.status();
      if (page->elements.size() != 2) return Status::Internal("unexpected SCAN reply");
      cursor = page->elements[0].str;
      for (const auto& key : page->elements[1].elements) found.push_back(key.str);
    } while (cursor != "0");
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    return found;
  }

  // The slugs of the version-1 orgs: those of the version-1 org set, and any
  // "{...}" of a key that is not a layout-2 routing tag (an org whose
  // credentials are all deleted keeps its audit trail, but left that set).
  Result<std::vector<std::string>> FindVersion1Orgs() {
    std::set<std::string> slugs;
    auto members = Command({"SMEMBERS", Version1Orgs(keys_)});
    if (!members.ok()) return members.status();
    for (const auto& m : members->elements) slugs.insert(m.str);
    auto directory = Command({"HGETALL", keys_.OrgTags()});
    if (!directory.ok()) return directory.status();
    std::set<std::string> tags;
    for (const auto& [slug, tag] : AsMap(*directory)) tags.insert(tag);
    auto keys = Scan(GlobEscape(keys_.prefix()) + "{*}:*");
    if (!keys.ok()) return keys.status();
    const std::size_t start = keys_.prefix().size() + 1;
    for (const std::string& key : *keys) {
      const std::size_t close = key.find("}:", start);
      if (close == std::string::npos) continue;
      std::string inside = key.substr(start, close - start);
      // Layout-2 keys: those of a published tag, and the owner key of a
      // tag claimed by a run that stopped before publishing it.
      if (tags.count(inside) != 0 || key.compare(close + 2, std::string::npos, "org") == 0) {
        continue;
      }
      slugs.insert(std::move(inside));
    }
    report_.orgs = static_cast<int64_t>(slugs.size());
    return std::vector<std::string>(slugs.begin(), slugs.end());
  }

  std::string V1Key(const std::string& org, const std::string& rest) const {
    return keys_.prefix() + "{" + org + "}:" + rest;
  }

  Status MigrateOrg(const std::string& org, const std::vector<std::string>& all_orgs) {
    std::string tag = "<new tag>";
    if (!dry_run_) {
      auto claimed = ClaimRoutingTag(redis_, keys_, org, all_orgs);
      if (!claimed.ok()) return claimed.status();
      tag = std::move(claimed).value();
    }
    auto keys = Scan(GlobEscape(V1Key(org, "")) + "*");
    if (!keys.ok()) return keys.status();
    const std::size_t rest_at = V1Key(org, "").size();
    // Credentials first: they bring their tokens along.
    for (const std::string& key : *keys) {
      if (key.compare(rest_at, 5, "cred:") == 0) {
        if (Status s = MoveCredential(org, tag, key.substr(rest_at + 5)); !s.ok()) return s;
      }
    }
    for (const std::string& key : *keys) {
      const std::string rest = key.substr(rest_at);
      Status s;
      if (rest.rfind("cred:", 0) == 0) {
        continue;
      } else if (rest == "creds" || rest == "events" || rest == "audit" ||
                 rest.rfind("deployapp:", 0) == 0 || rest.rfind("stats:", 0) == 0) {
        s = MoveWhole(key, keys_.prefix() + "{" + tag + "}:" + rest);
      } else if (rest.rfind("idem:", 0) == 0) {
        s = MoveIdempotencyKey(key, tag, rest.substr(5));
      } else if (rest.rfind("deployids:", 0) == 0) {
        s = MoveDeployIds(key, org, tag, rest.substr(10));
      } else if (rest == "apps" || rest.rfind("rl:", 0) == 0) {
        // Derived (the apps are in the stats) or transient (rate windows).
        ++report_.keys_dropped;
        s = Del(key);
      }
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  // A stream, sorted set, string or hash moved whole, with its time to live.
  Status MoveWhole(const std::string& from, const std::string& to) {
    ++report_.keys_moved;
    if (dry_run_) return Status::Ok();
    auto dump = Command({"DUMP", from});
    if (!dump.ok()) return dump.status();
    if (dump->is_nil()) return Status::Ok();  // expired meanwhile
    auto ttl = Command({"PTTL", from});
    if (!ttl.ok()) return ttl.status();
    if (ttl->integer == -2) return Status::Ok();
    const std::string keep = ttl->integer > 0 ? std::to_string(ttl->integer) : "0";
    auto restored = Command({"RESTORE", to, keep, dump->str, "REPLACE"});
    if (!restored.ok()) return restored.status();
    return Del(from);
  }

  Status MoveIdempotencyKey(const std::string& from, const std::string& tag,
                            const std::string& id_and_sha1) {
    ++report_.keys_moved;
    const std::size_t colon = id_and_sha1.rfind(':');
    if (colon == std::string::npos || dry_run_) return dry_run_ ? Status::Ok() : Del(from);
    auto event = Command({"GET", from});
    if (!event.ok()) return event.status();
    auto ttl = Command({"PTTL", from});
    if (!ttl.ok()) return ttl.status();
    if (event->type == Reply::Type::kString && ttl->integer > 0) {
      // Layout 2 keeps the org's Idempotency-Keys in one capped hash, by
      // credential and SHA-1 of the key, each expiring in the age index;
      // layout 1 kept no request fingerprint: the entry holds the event alone.
      const std::string field = id_and_sha1;  // "<id>:<sha1>"
      const std::string expires_at = std::to_string(NowMs() + ttl->integer);
      for (const auto& command :
           {std::vector<std::string>{"HSET", keys_.Idempotencies(tag), field, event->str},
            {"ZADD", keys_.IdempotencyAges(tag), expires_at, field}}) {
        auto written = Command(command);
        if (!written.ok()) return written.status();
      }
    }
    return Del(from);
  }

  // The status of event `event_id` of the org, from its stream (moved or
  // not yet): the state a deploy_id reported first.
  std::string DeployStatus(const std::string& org, const std::string& tag,
                           const std::string& event_id) {
    for (const std::string& stream : {keys_.Events(tag), V1Key(org, "events")}) {
      auto entry = Command({"XRANGE", stream, event_id, event_id});
      if (!entry.ok() || entry->elements.empty()) continue;
      const auto& fields = entry->elements[0].elements.size() == 2
                               ? entry->elements[0].elements[1].elements
                               : std::vector<Reply>();
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str != "fields") continue;
        JsonPtr json(json_loads(fields[i + 1].str.c_str(), 0, nullptr));
        const char* status = json_string_value(json_object_get(json.get(), "status"));
        if (status != nullptr) return status;
      }
    }
    return "succeeded";
  }

  // Each deploy_id becomes an entry of the org's capped hash, expiring in
  // the age index after the default retention, holding the deployment's
  // first event and the state it reported.
  Status MoveDeployIds(const std::string& from, const std::string& org, const std::string& tag,
                       const std::string& id) {
    ++report_.keys_moved;
    if (dry_run_) return Status::Ok();
    auto ids = Command({"HGETALL", from});
    if (!ids.ok()) return ids.status();
    const std::string expires_at = std::to_string(NowMs() + EventRetention().max_age_ms);
    for (const auto& [deploy_id, event] : AsMap(*ids)) {
      const std::string member = KeySpace::DeployIdField(id, deploy_id);
      const std::string state = member + ":" + DeployStatus(org, tag, event);
      for (const auto& command :
           {std::vector<std::string>{"HSET", keys_.DeployIds(tag), member, event, state, event},
            {"ZADD", keys_.DeployIdAges(tag), expires_at, member}}) {
        auto written = Command(command);
        if (!written.ok()) return written.status();
      }
    }
    return Del(from);
  }

  Status MoveCredential(const std::string& org, const std::string& tag, const std::string& id) {
    const std::string from = V1Key(org, "cred:" + id);
    auto record = Command({"HGETALL", from});
    if (!record.ok()) return record.status();
    auto f = AsMap(*record);
    if (f.empty()) return Status::Ok();
    ++report_.credentials;
    report_.rotate.push_back(id);
    // Tokens first: a credential is never without its token index.
    for (const char* field : {"token_hash", "prev_hash"}) {
      const std::string& hash = f[field];
      if (hash.empty()) continue;
      if (Status s = MoveToken(org, tag, id, hash, f); !s.ok()) return s;
    }
    if (dry_run_) return Status::Ok();
    std::vector<std::string> hset = {"HSET", keys_.Credential(tag, id)};
    for (const auto& [name, value] : f) {
      if (name == "last_used_at") continue;  // layout 2 keeps it in the org's lastused hash
      hset.push_back(name);
      hset.push_back(value);
    }
    hset.push_back("legacy");  // the current token is a legacy one (Credential::legacy_token)
    hset.push_back(f["token_hash"]);
    for (const auto& command :
         {hset, std::vector<std::string>{"SET", keys_.LegacyCredential(id), tag}}) {
      auto written = Command(command);
      if (!written.ok()) return written.status();
    }
    if (!f["last_used_at"].empty()) {
      auto used = Command({"HSET", keys_.LastUsed(tag), id, f["last_used_at"]});
      if (!used.ok()) return used.status();
    }
    if (Status s = Del(from); !s.ok()) return s;
    return Del(keys_.prefix() + "cred:" + id);
  }

  Status MoveToken(const std::string& org, const std::string& tag, const std::string& id,
                   const std::string& hash,
                   const std::unordered_map<std::string, std::string>& cred) {
    const std::string from = keys_.prefix() + "tok:" + hash;
    auto token = Command({"HGETALL", from});
    if (!token.ok()) return token.status();
    auto t = AsMap(*token);
    if (t.empty()) return Status::Ok();  // expired, or moved by an earlier run
    ++report_.tokens;
    if (dry_run_) return Status::Ok();
    auto ttl = Command({"PTTL", from});
    if (!ttl.ok()) return ttl.status();
    auto field = [&](const char* name) {
      auto it = cred.find(name);
      return it == cred.end() ? std::string() : it->second;
    };
    std::vector<std::string> hset = {
        "HSET", keys_.Token(tag, hash), "cred", id,           "org",        org,
        "type", field("type"),          "app",  field("app"), "expires_at", field("expires_at")};
    if (!t["until"].empty()) {
      hset.push_back("until");
      hset.push_back(t["until"]);
    }
    std::vector<std::vector<std::string>> writes = {hset, {"SET", keys_.LegacyToken(hash), tag}};
    if (ttl->integer > 0) {
      writes.push_back({"PEXPIRE", keys_.Token(tag, hash), std::to_string(ttl->integer)});
      writes.push_back({"PEXPIRE", keys_.LegacyToken(hash), std::to_string(ttl->integer)});
    }
    for (const auto& command : writes) {
      auto written = Command(command);
      if (!written.ok()) return written.status();
    }
    return Del(from);
  }

  // Version-1 global keys that no credential refers to any more.
  Status DropGlobalLeftovers() {
    for (const char* kind : {"tok:", "cred:"}) {
      auto keys = Scan(GlobEscape(keys_.prefix() + kind) + "*");
      if (!keys.ok()) return keys.status();
      for (const std::string& key : *keys) {
        ++report_.keys_dropped;
        if (Status s = Del(key); !s.ok()) return s;
      }
    }
    return Status::Ok();
  }

  RedisClient& redis_;
  const KeySpace& keys_;
  const bool dry_run_;
  MigrationReport report_;
};

}  // namespace

Result<MigrationReport> MigrateKeyspace(RedisClient& redis, const KeySpace& keys, bool dry_run) {
  return Migrator(redis, keys, dry_run).Run();
}

}  // namespace onep
