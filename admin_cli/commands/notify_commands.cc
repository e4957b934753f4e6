// SPDX-License-Identifier: Apache-2.0
// notify add|list|remove|test, deliveries: notification endpoints and what
// was delivered to them.
#include "commands/notify_commands.h"

#include <ostream>
#include <string>

#include "onep/admin.h"
#include "onep/notify_store.h"
#include "onep/secret_box.h"
#include "output.h"

namespace onep::cli {
namespace {

constexpr const char* kDefaultSecretKeyFile = "/etc/onep/secret.key";
constexpr const char* kSeeOrgs = "run 'onepctl orgs' to see the organizations";
constexpr const char* kSeeEndpoints = "run 'onepctl notify list --org ORG' to see the endpoints";

// --secret-key-file, else $ONEP_SECRET_KEY_FILE, else /etc/onep/secret.key.
Result<SecretKey> SecretKeyOf(Context& ctx, const Invocation& inv) {
  std::string path = kDefaultSecretKeyFile;
  if (auto it = inv.options.find("--secret-key-file"); it != inv.options.end()) {
    path = it->second;
  } else if (auto env = ctx.Env("ONEP_SECRET_KEY_FILE")) {
    path = *env;
  }
  auto key = ReadSecretKeyFile(path);
  if (!key.ok()) {
    // A key file that is missing or unfit is the caller's to fix: 2.
    return Status::InvalidArgument(key.status().message() +
                                   "; give the file OnepSecretKeyFile names with "
                                   "--secret-key-file or ONEP_SECRET_KEY_FILE");
  }
  return key;
}

int ReportStore(Context& ctx, const Status& status, const char* todo) {
  if (status.code() == Code::kNotFound) return ctx.Fail(status, todo);
  return ctx.Fail(status);
}

}  // namespace

int NotifyAddCommand(Context& ctx, const Invocation& inv) {
  auto org = ValidOrg(ctx, inv);
  if (!org.ok()) return ctx.Report(org.status());
  const std::string& url = inv.options.at("--url");
  const bool allow_http = inv.options.count("--allow-http") != 0;
  if (Status s = ValidateNotifyUrl(url, allow_http); !s.ok()) return ctx.Report(ctx.Advised(s));
  auto key = SecretKeyOf(ctx, inv);
  if (!key.ok()) return ctx.Report(key.status());
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  auto added = NotifyStore(ctx.keys()).Add(**connected, *key, *org, url, allow_http, ctx.actor());
  if (!added.ok()) return ReportStore(ctx, added.status(), kSeeOrgs);
  if (ctx.json()) {
    ctx.out() << JsonOut(admin::NewNotifyEndpointJson(*added).get(), true) << "\n";
    return kExitOk;
  }
  ctx.out() << KeyValueBlock({{"id", added->endpoint.id},
                              {"org", added->endpoint.org},
                              {"url", added->endpoint.url},
                              {"secret", added->secret}})
            << "\nThe secret is shown once: the endpoint checks each notification's "
               "webhook-signature with it (Standard Webhooks).\n";
  return kExitOk;
}

int NotifyListCommand(Context& ctx, const Invocation& inv) {
  auto org = ValidOrg(ctx, inv);
  if (!org.ok()) return ctx.Report(org.status());
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  auto list = NotifyStore(ctx.keys()).List(**connected, *org);
  if (!list.ok()) return ReportStore(ctx, list.status(), kSeeOrgs);
  if (ctx.json()) {
    ctx.out() << JsonOut(admin::JsonArrayOf(*list, admin::NotifyEndpointJson).get(), true) << "\n";
    return kExitOk;
  }
  if (list->empty()) {
    ctx.out() << "No notification endpoints: add one with 'onepctl notify add'.\n";
    return kExitOk;
  }
  Table table({"ID", "URL", "CREATED", "LAST DELIVERY"});
  for (const auto& e : *list) {
    std::string last = "-";
    if (e.last_delivery) {
      last = e.last_delivery->outcome +
             (e.last_delivery->status.empty() ? "" : " " + e.last_delivery->status) + " at " +
             HumanTime(e.last_delivery->time);
    }
    table.AddRow({e.id, e.url, HumanTime(e.created_at), last});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

int NotifyRemoveCommand(Context& ctx, const Invocation& inv) {
  const std::string& id = inv.args.at(0);
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  auto removed = NotifyStore(ctx.keys()).Remove(**connected, id, ctx.actor());
  if (!removed.ok()) return ReportStore(ctx, removed.status(), kSeeEndpoints);
  if (ctx.json()) {
    ctx.out() << JsonOut(admin::NotifyEndpointJson(*removed).get(), true) << "\n";
    return kExitOk;
  }
  ctx.out() << "Removed " << removed->id << " (" << removed->url << ").\n";
  return kExitOk;
}

int NotifyTestCommand(Context& ctx, const Invocation& inv) {
  const std::string& id = inv.args.at(0);
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  auto entry = NotifyStore(ctx.keys()).Test(**connected, id, ctx.actor());
  if (!entry.ok()) return ReportStore(ctx, entry.status(), kSeeEndpoints);
  if (ctx.json()) {
    JsonPtr object(json_object());
    json_object_set_new(object.get(), "outbox_id", json_string(entry->c_str()));
    ctx.out() << JsonOut(object.get(), true) << "\n";
    return kExitOk;
  }
  ctx.out() << *entry << "\n";
  return kExitOk;
}

int DeliveriesCommand(Context& ctx, const Invocation& inv) {
  auto query = admin::DeliveryQueryInput(inv.Inputs());
  if (!query.ok()) return ctx.UsageError(query.status().message());
  auto org = ValidOrg(ctx, inv);
  if (!org.ok()) return ctx.Report(org.status());
  query->org = *org;
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  auto deliveries = NotifyStore(ctx.keys()).Deliveries(**connected, *query);
  if (!deliveries.ok()) return ReportStore(ctx, deliveries.status(), kSeeOrgs);
  if (ctx.json()) {
    ctx.out() << JsonOut(admin::JsonArrayOf(*deliveries, admin::DeliveryJson).get(), true) << "\n";
    return kExitOk;
  }
  if (deliveries->empty()) {
    ctx.out() << "No deliveries.\n";
    return kExitOk;
  }
  Table table({"TIME", "ENDPOINT", "TYPE", "APP", "ATTEMPT", "OUTCOME", "STATUS", "MS",
               "NEXT RETRY", "ERROR"});
  for (const auto& d : *deliveries) {
    table.AddRow({HumanTime(d.time), d.endpoint, d.type, d.app.empty() ? "-" : d.app,
                  std::to_string(d.attempt), d.outcome, d.status.empty() ? "-" : d.status,
                  std::to_string(d.duration_ms), HumanTime(d.next_retry),
                  d.error.empty() ? "-" : d.error});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

}  // namespace onep::cli
