// SPDX-License-Identifier: Apache-2.0
#include "onep/silence_sweep.h"

#include <set>
#include <vector>

#include "onep/credential.h"
#include "scripts/monitor_scripts.h"

namespace onep {
namespace {

constexpr std::size_t kIndexPage = 1000;

Result<int64_t> ParseMs(const Reply& reply) {
  try {
    return static_cast<int64_t>(std::stoll(reply.str));
  } catch (...) {
    return Status::Internal("not a number: " + reply.str);
  }
}

}  // namespace

Result<SweepOrgOutcome> SilenceSweep::SweepOrg(RedisClient& redis, const std::string& tag) const {
  auto call =
      scripts::SweepOrgScript().Bind({{"sweep_key", keys_.Sweep(tag)},
                                      {"org_owner_key", keys_.OrgOwner(tag)},
                                      {"apps_key", keys_.Apps(tag)},
                                      {"apps_seen_key", keys_.AppsSeen(tag)},
                                      {"incidents_key", keys_.Incidents(tag)},
                                      {"incident_index_key", keys_.IncidentIndex(tag)},
                                      {"incidents_resolved_key", keys_.IncidentsResolved(tag)},
                                      {"events_key", keys_.Events(tag)},
                                      {"audit_key", keys_.Audit(tag)},
                                      {"notify_key", keys_.Notify(tag)},
                                      {"outbox_key", keys_.Outbox(tag)}},
                                     {{"max_looks", std::to_string(kMaxLooksPerTurn)},
                                      {"stream_max_len", std::to_string(retention_.max_events)},
                                      {"retention_ms", std::to_string(retention_.max_age_ms)},
                                      {"max_incidents", std::to_string(retention_.max_incidents)},
                                      {"audit_max_len", std::to_string(kAuditMaxLen)}});
  if (!call.ok()) return call.status();
  auto reply = redis.Eval(KeySpace::SlotKey(tag), *call);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("sweep script: " + reply->str);
  if (reply->elements.size() != 3)
    return Status::Internal("unexpected reply from the sweep script");
  SweepOrgOutcome out;
  out.opened = reply->elements[0].integer;
  out.resumed = reply->elements[1].integer;
  if (!reply->elements[2].str.empty()) {
    auto next = ParseMs(reply->elements[2]);
    if (!next.ok()) return next.status();
    out.next_look = *next;
  }
  return out;
}

Result<SweepReport> SilenceSweep::Run(RedisClient& redis) const {
  const std::string index = keys_.SweepOrgs();
  auto time = redis.Command(index, {"TIME"});
  if (!time.ok()) return time.status();
  if (time->is_error() || time->elements.size() != 2) return Status::Internal("TIME: " + time->str);
  const int64_t now_ms =
      std::stoll(time->elements[0].str) * 1000 + std::stoll(time->elements[1].str) / 1000;
  SweepReport report;
  std::set<std::string> done;  // an org that failed stays due: once per sweep
  while (done.size() < kMaxOrgsPerSweep) {
    auto page = redis.Command(index, {"ZRANGEBYSCORE", index, "-inf", std::to_string(now_ms),
                                      "WITHSCORES", "LIMIT", "0", std::to_string(kIndexPage)});
    if (!page.ok()) return page.status();
    if (page->is_error()) return Status::Internal("ZRANGEBYSCORE " + index + ": " + page->str);
    bool progress = false;
    for (std::size_t i = 0; i + 1 < page->elements.size(); i += 2) {
      const std::string& tag = page->elements[i].str;
      if (!done.insert(tag).second) continue;
      progress = true;
      auto outcome = SweepOrg(redis, tag);
      if (!outcome.ok()) {
        if (report.failed_orgs++ == 0) report.first_error = outcome.status();
        continue;
      }
      ++report.orgs;
      report.opened += outcome->opened;
      report.resumed += outcome->resumed;
      auto next = scripts::SweepNextScript().Bind(
          {{"sweep_orgs_key", index}},
          {{"tag", tag},
           {"looked", page->elements[i + 1].str},
           {"next_look", outcome->next_look ? std::to_string(*outcome->next_look) : ""}});
      if (!next.ok()) return next.status();
      auto set = redis.Eval(index, *next);
      if (!set.ok()) return set.status();
      if (set->is_error()) return Status::Internal("sweep index script: " + set->str);
    }
    if (!progress) break;
  }
  return report;
}

}  // namespace onep
