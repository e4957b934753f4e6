// SPDX-License-Identifier: Apache-2.0
// onepctl migrate: upgrades the keyspace to the layout this version uses
// (core/include/onep/migrate.h).
#include "commands/migrate_command.h"

#include <ostream>

#include "onep/json.h"
#include "onep/keys.h"
#include "onep/migrate.h"
#include "output.h"

namespace onep::cli {
namespace {

JsonPtr ReportJson(const MigrationReport& report) {
  JsonPtr out(json_object());
  json_object_set_new(
      out.get(), "layout_before",
      report.layout_before.empty() ? json_null() : json_string(report.layout_before.c_str()));
  json_object_set_new(out.get(), "layout", json_string(std::string(kLayoutVersion).c_str()));
  json_object_set_new(out.get(), "dry_run", json_boolean(report.dry_run));
  json_object_set_new(out.get(), "orgs", json_integer(report.orgs));
  json_object_set_new(out.get(), "credentials", json_integer(report.credentials));
  json_object_set_new(out.get(), "tokens", json_integer(report.tokens));
  json_object_set_new(out.get(), "keys_moved", json_integer(report.keys_moved));
  json_object_set_new(out.get(), "keys_dropped", json_integer(report.keys_dropped));
  json_t* rotate = json_array();
  for (const std::string& id : report.rotate)
    json_array_append_new(rotate, json_string(id.c_str()));
  json_object_set_new(out.get(), "rotate", rotate);
  return out;
}

}  // namespace

int MigrateCommand(Context& ctx, const Invocation& inv) {
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  RedisClient* redis = *connected;
  const bool dry_run = inv.Has("--dry-run");
  auto report = MigrateKeyspace(*redis, ctx.keys(), dry_run);
  if (!report.ok()) {
    return ctx.Fail(report.status(), report.status().code() == Code::kUnavailable
                                         ? "nothing is lost: run 'onepctl migrate' again"
                                         : "");
  }
  if (ctx.json()) {
    ctx.out() << JsonOut(ReportJson(*report).get(), true) << "\n";
    return kExitOk;
  }
  const std::string layout(kLayoutVersion);
  if (report->layout_before == layout) {
    ctx.out() << "The keyspace already uses layout " << layout << "; nothing to do.\n";
    return kExitOk;
  }
  if (report->layout_before.empty()) {
    ctx.out() << (dry_run ? "The keyspace is empty; it would be marked as layout "
                          : "The keyspace is empty; marked it as layout ")
              << layout << ".\n";
    return kExitOk;
  }
  ctx.out() << (dry_run ? "Would migrate " : "Migrated ") << report->orgs
            << " organization(s) from layout 1 to layout " << layout << ": " << report->credentials
            << " credential(s), " << report->tokens << " token(s), " << report->keys_moved
            << " other key(s) moved, " << report->keys_dropped
            << " derived or transient key(s) dropped.\n";
  if (!report->rotate.empty()) {
    ctx.out() << "These credentials still have tokens from before routing tags. They keep "
                 "working, at the cost of a second Redis round trip per webhook; rotate each to "
                 "give it a token that carries its organization's routing tag (do it before "
                 "moving to a Redis Cluster):\n";
    for (const std::string& id : report->rotate) {
      ctx.out() << "  onepctl rotate " << id << "\n";
    }
  }
  return kExitOk;
}

}  // namespace onep::cli
