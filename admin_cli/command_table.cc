// SPDX-License-Identifier: Apache-2.0
// The command table: one entry per command, driving dispatch and --help.
#include "command_table.h"

#include <algorithm>
#include <ostream>
#include <string>

#include "commands/credential_commands.h"
#include "commands/doctor_command.h"
#include "commands/events_command.h"
#include "commands/insights_command.h"
#include "commands/migrate_command.h"
#include "commands/monitor_commands.h"
#include "commands/notify_commands.h"
#include "commands/report_commands.h"
#include "commands/token_commands.h"
#include "context.h"

#ifndef ONEP_VERSION
#define ONEP_VERSION "unknown"
#endif

namespace onep::cli {
namespace {

const OptionSpec kOrg{"--org", "ORG", "the organization's slug", true};
const OptionSpec kAppFilter{"--app", "APP", "only this application"};
const OptionSpec kGrace{"--grace", "DURATION",
                        "the old token keeps working this long, at most 7d (default: stops now)"};
const OptionSpec kLimit{"--limit", "N", "at most N entries, the newest (default 100, max 10000)"};
const OptionSpec kNewExpiry{"--expires", "DURATION",
                            "a new expiry, from now (needed to reissue an expired credential)"};
const OptionSpec kNoExpiry{"--no-expiry", "", "remove the expiry"};

std::vector<CommandSpec> BuildCommands() {
  return {
      {"create",
       "create a credential; prints its token once and a curl command",
       {},
       {kOrg,
        {"--type", "hits|deploy", "hits: hits and failures; deploy: deployments", true},
        {"--name", "NAME", "1-100 printable characters", true},
        {"--app", "APP",
         "application slug: required for deploy (one deploy credential per application); "
         "binds a hits credential to one application"},
        {"--expires", "DURATION", "the credential stops working after this long (default: never)"},
        {"--url", "BASE_URL",
         "where mod_onep is mounted, for the curl command (default: $ONEP_URL, else "
         "http://localhost/onep)"}},
       "Creates a webhook credential and prints its id, its token and a curl command that "
       "posts a first event. The token is shown this once only: only its hash is stored.",
       {"onepctl create --org acme --type hits --name 'nightly jobs'",
        "onepctl create --org acme --type deploy --name 'CI deploys' --app api --expires 90d"},
       CreateCommand},
      {"list",
       "list an organization's credentials (never their tokens)",
       {},
       {kOrg,
        {"--app", "APP", "only the credentials bound to this application"},
        {"--type", "hits|deploy", "only credentials of this type"}},
       "Lists the organization's credentials, oldest first: id, name, type, application, the "
       "last 4 characters of the current token, when it was created and last used, and state.",
       {"onepctl list --org acme", "onepctl list --org acme --app api --type deploy --json"},
       ListCommand},
      {"show",
       "show one credential (never its token)",
       {"ID"},
       {},
       "Shows one credential by id (wh_...).",
       {"onepctl show wh_4fQx9TbR2kLm8ZpA"},
       ShowCommand},
      {"rotate",
       "issue a new token; the old one stops working",
       {"ID"},
       {kGrace, kNewExpiry, kNoExpiry},
       "Issues a new token for the credential and prints it once with its curl command. The "
       "old token stops working at once, or after the grace period. Rotating again ends any "
       "earlier grace period, so at most two tokens are ever valid. An expired credential is "
       "rotated only with a new expiry (--expires or --no-expiry): a token that is refused from "
       "its first use helps nobody.",
       {"onepctl rotate wh_4fQx9TbR2kLm8ZpA", "onepctl rotate wh_4fQx9TbR2kLm8ZpA --grace 1h"},
       RotateCommand},
      {"rename",
       "rename a credential; this issues a new token too",
       {"ID", "NAME"},
       {kGrace, kNewExpiry, kNoExpiry},
       "Gives the credential a new name and, as a rotation does, a new token, printed once. "
       "The old token stops working at once, or after the grace period. As for rotate, an "
       "expired credential needs --expires or --no-expiry.",
       {"onepctl rename wh_4fQx9TbR2kLm8ZpA 'CI deploys (GitLab)'"},
       RenameCommand},
      {"delete",
       "delete a credential; its token stops working, its events stay",
       {"ID"},
       {{"--yes", "", "do not ask for confirmation (required when stdin is not a terminal)"}},
       "Deletes the credential and every token of it, at once. Events it recorded stay. "
       "Asks for confirmation on a terminal unless --yes is given.",
       {"onepctl delete wh_4fQx9TbR2kLm8ZpA", "onepctl delete wh_4fQx9TbR2kLm8ZpA --yes"},
       DeleteCommand},
      {"orgs",
       "list organizations with their credential and event counts",
       {},
       {},
       "Lists every organization with the number of its credentials and of the events it "
       "ever recorded.",
       {"onepctl orgs", "onepctl orgs --json"},
       OrgsCommand},
      {"events",
       "show recorded events, newest last; export them all; --follow keeps printing",
       {},
       {kOrg,
        kAppFilter,
        {"--type", "hit|failure|deploy|incident_opened|incident_resolved",
         "only events of this type, or only incidents opened or resolved"},
        {"--credential", "ID", "only events recorded with this credential (wh_...)"},
        {"--since", "DURATION|TIME",
         "only events whose own time is at or after this: that long ago, or an RFC 3339 time"},
        {"--until", "DURATION|TIME", "only events whose own time is before this (same forms)"},
        {"--after", "ID", "only events after this event id: the next page, oldest first"},
        {"--before", "ID", "only events before this event id: the page before"},
        {"--limit", "N",
         "at most N events (default 100, max 10000): the newest, or with --after the oldest"},
        {"--all", "", "every matching event, oldest first, streamed as it is read", false,
         "--limit"},
        {"--follow", "", "after the listed events, print new ones as they arrive, until Ctrl-C"}},
       "Prints the organization's recorded events, oldest first, newest last: the newest N "
       "matching ones, or with --after the first N after that id (pass the last id printed to "
       "get the next page), or with --all every one of them, streamed with flat memory. With "
       "--json, an array; with --json --all or --json --follow, one compact object per line "
       "(JSON Lines). --since and --until filter by the event's own time (its timestamp), the "
       "time the table shows.",
       {"onepctl events --org acme --since 1h",
        "onepctl events --org acme --credential wh_4fQx9TbR2kLm8ZpA --since "
        "2026-11-27T08:00:00Z --until 2026-11-27T12:00:00Z",
        "onepctl events --org acme --all --json > acme-events.jsonl",
        "onepctl events --org acme --after 1795751048302-0 --limit 1000 --json",
        "onepctl events --org acme --type deploy --follow"},
       EventsCommand},
      {"expire",
       "give a credential a new expiry, or none; its token stays",
       {"ID", "DURATION|never"},
       {},
       "Sets when the credential stops working: DURATION from now, or never. The token does not "
       "change, so the systems that hold it need nothing new. Also revives an expired "
       "credential.",
       {"onepctl expire wh_C9u8L8vcFE3sxQxQrEcb 90d",
        "onepctl expire wh_C9u8L8vcFE3sxQxQrEcb never"},
       ExpireCommand},
      {"verify",
       "say which credential a token belongs to (the token is read from stdin)",
       {},
       {},
       "Reads one token from standard input (never from the command line, where other users "
       "and the shell history would see it) and says which credential it authenticates now and "
       "its state, or that it authenticates none. Records nothing. Exit 0 for a token that "
       "works, 3 for one that does not (unknown, rotated away, deleted, expired), 2 for "
       "something that is not a token.",
       {"onepctl verify < token.txt", "onepctl verify --json < token.txt"},
       VerifyCommand},
      {"doctor",
       "check that the Redis onep uses keeps what it accepts",
       {},
       {},
       "Checks the Redis of --redis / ONEP_REDIS_URL, one line each, ok or what to fix: "
       "reachable; Redis 7 or newer; maxmemory-policy noeviction (else Redis may evict tokens); "
       "persistence (AOF or RDB) on (else a restart loses everything); the key layout; the ACL "
       "rights mod_onep needs; the clock of this host against Redis'. Exit 0 only when every "
       "check passes, 1 otherwise. mod_onep logs the same warnings when Apache starts.",
       {"onepctl doctor", "onepctl doctor --json --redis redis://redis.example.net:6379/0"},
       DoctorCommand},
      {"migrate",
       "upgrade the Redis keyspace to the layout this version uses",
       {},
       {{"--dry-run", "", "only say what would be done"}},
       "Moves every key of a keyspace written by an earlier onep (layout 1) to this version's "
       "layout (2), in place, keeping every credential, event, counter and audit entry. Safe to "
       "run again, and an interrupted run is finished by running it again. Until it is done, "
       "mod_onep answers 503 and other onepctl commands refuse the keyspace. Lists the "
       "credentials whose tokens should be rotated.",
       {"onepctl migrate --dry-run", "onepctl migrate"},
       MigrateCommand},
      {"stats",
       "hits, failures, failure rate and deploys per application",
       {},
       {kOrg,
        kAppFilter,
        {"--since", "DURATION", "the window, in whole hours, at most 30d (default 24h)"}},
       "Totals per application over the window (whole hours, the current hour included). The "
       "failure rate is failures / (hits + failures).",
       {"onepctl stats --org acme", "onepctl stats --org acme --app api --since 7d --json"},
       StatsCommand},
      {"audit",
       "the organization's credential changes, what changed and who made them",
       {},
       {kOrg,
        {"--credential", "ID", "only the changes of this credential (wh_...)"},
        {"--since", "DURATION|TIME", "only changes at or after this: that long ago, or a time"},
        {"--until", "DURATION|TIME", "only changes before this (same forms)"},
        kLimit},
       "Lists the organization's credential changes (create, rotate, rename, expire, delete), "
       "newest last, with what changed (the name, and before a rename the old one; the old "
       "token's grace period; the expiry) and who made it: the user who ran onepctl (under "
       "sudo, $SUDO_USER), or --actor. The trail keeps an organization's newest 10000 changes.",
       {"onepctl audit --org acme --limit 20",
        "onepctl audit --org acme --credential wh_C9u8L8vcFE3sxQxQrEcb --since 30d"},
       AuditCommand},
      {"apps",
       "each application: up or down, since when, its open incident and its monitor",
       {},
       {kOrg},
       "Lists the organization's applications, those down first, then by name: the state (new "
       "before any hit or failure, up, DOWN while an incident is open, paused), since when, the "
       "open incident, the last event and the last deploy, and the monitor's settings. An "
       "application exists once a credential is bound to it or an event names it.",
       {"onepctl apps --org acme", "onepctl apps --org acme --json"},
       AppsCommand},
      {"monitor",
       "show an application's monitor, or change it (audited)",
       {"ORG", "APP"},
       {{"--failures-to-open", "N", "consecutive failures that open an incident, 1-100"},
        {"--hits-to-close", "N", "consecutive hits that resolve it, 1-100"},
        {"--severity", "S", "the incidents' severity: sev1..sev5 or none"},
        {"--expect-every", "DURATION|off",
         "an event is expected this often, 1m to 30d (stored; silence is not yet detected)"},
        {"--grace", "DURATION",
         "how late an expected event may be, 1m to 30d (default: a fifth of --expect-every, at "
         "least 1m)"},
        {"--pause", "", "open no incident until --resume (an open one still resolves)"},
        {"--resume", "", "open incidents again", false, "--pause"}},
       "Without options, shows the application's state and its monitor. With options, changes "
       "the settings given, keeps the others, records the change in the audit trail and shows "
       "the result. A change applies from the next event on: a streak already counted is not "
       "re-judged.",
       {"onepctl monitor acme api",
        "onepctl monitor acme api --failures-to-open 3 --hits-to-close 2 --severity sev2",
        "onepctl monitor acme api --pause"},
       MonitorCommand},
      {"incidents",
       "the organization's incidents, newest first",
       {},
       {kOrg,
        kAppFilter,
        {"--open", "", "only incidents still open"},
        {"--since", "DURATION|TIME",
         "only incidents opened at or after this: that long ago, or an RFC 3339 time"},
        {"--limit", "N", "at most N incidents (default 100, max 10000)"}},
       "Lists incidents, newest first: when each opened (the first failure of the streak that "
       "opened it), the application, OPEN or resolved, how long it lasted, its severity, the "
       "failures counted, the deploy it follows (the application's last deploy within 24h "
       "before it opened), its id and the first failure's error. The organization keeps its "
       "newest 10000 incidents; resolved ones older than the retention are dropped.",
       {"onepctl incidents --org acme --open",
        "onepctl incidents --org acme --app api --since 7d --json"},
       IncidentsCommand},
      {"notify add",
       "add a notification endpoint; prints its signing secret once",
       {},
       {kOrg,
        {"--url", "URL", "where notifications are POSTed: https, at most 2048 characters", true},
        {"--allow-http", "",
         "accept an http URL (Apache sends to it only with "
         "OnepNotifyAllowHttp On)"},
        {"--secret-key-file", "FILE",
         "the key the secret is sealed with, as OnepSecretKeyFile names it (default: "
         "$ONEP_SECRET_KEY_FILE, else /etc/onep/secret.key)"}},
       "Adds an endpoint to the organization (at most 10): each incident opened or resolved from "
       "now on is POSTed to it as JSON, signed as Standard Webhooks says (webhook-id, "
       "webhook-timestamp, webhook-signature). Prints the endpoint's id and its secret "
       "(whsec_...) once; Redis holds the secret sealed with the secret key file. Audited.",
       {"onepctl notify add --org acme --url https://hooks.example.com/onep",
        "onepctl notify add --org acme --url https://hooks.example.com/onep --json"},
       NotifyAddCommand},
      {"notify list",
       "the organization's notification endpoints, never a secret",
       {},
       {kOrg},
       "Lists the organization's endpoints, oldest first: id, URL, when it was added and its "
       "last delivery attempt (outcome, HTTP status, time).",
       {"onepctl notify list --org acme", "onepctl notify list --org acme --json"},
       NotifyListCommand},
      {"notify remove",
       "remove a notification endpoint (audited)",
       {"ID"},
       {},
       "Removes the endpoint: nothing more is sent to it, including what was waiting.",
       {"onepctl notify remove ne_AbCdEfGh3xQ9LmN2pR7t"},
       NotifyRemoveCommand},
      {"notify test",
       "send a test notification to one endpoint (audited)",
       {"ID"},
       {},
       "Queues a notification of type test for this endpoint only and prints its outbox id; "
       "'onepctl deliveries' shows how its delivery went.",
       {"onepctl notify test ne_AbCdEfGh3xQ9LmN2pR7t"},
       NotifyTestCommand},
      {"deliveries",
       "each attempt to deliver a notification, newest first",
       {},
       {kOrg,
        {"--endpoint", "ID", "only this endpoint's"},
        {"--limit", "N", "at most N attempts (default 50, max 1000)"}},
       "Lists delivery attempts, newest first: when, the endpoint, the notification's type and "
       "application, the attempt's number, its outcome (delivered, retry, failed), the HTTP "
       "status, how long it took, when the next retry is due and the error.",
       {"onepctl deliveries --org acme",
        "onepctl deliveries --org acme --endpoint "
        "ne_AbCdEfGh3xQ9LmN2pR7t --json"},
       DeliveriesCommand},
      {"insights",
       "uptime, MTTR, MTBF and the DORA figures of each application",
       {},
       {kOrg,
        kAppFilter,
        {"--since", "DURATION|TIME",
         "the window's start: that long ago or an RFC 3339 time, within the last 30d (default "
         "30d); an application's window starts at its first event at the earliest"},
        {"--change-window", "DURATION",
         "a deploy followed this soon by an incident of its application is a failed change, at "
         "most 7d (default 1h)"}},
       "One row per application over the window, until now: the uptime (the share of the "
       "window not covered by incidents) and the downtime, the incidents opened, the mean "
       "time to resolve those resolved in the window (MTTR) and the up time between them "
       "(MTBF), hits, failures and the failure rate (whole hours), and from the deploy "
       "reports: deploys (each deploy_id once) and deploys per day, the change failure rate "
       "(deploys reported failed or rolled_back, or followed within --change-window by an "
       "incident), the median time to recover from a failed change (until its incident "
       "resolved or the next succeeded deploy) and the median lead time (from a deploy's "
       "committed_at to when it was recorded). Reads the window's incidents, hourly counters "
       "and deploy reports, never the event stream.",
       {"onepctl insights --org acme", "onepctl insights --org acme --app api --since 7d --json",
        "onepctl insights --org acme --change-window 30m"},
       InsightsCommand},
  };
}

}  // namespace

std::string OptionLabel(const OptionSpec& option) {
  std::string label(option.name);
  if (!option.value_name.empty()) label += " " + std::string(option.value_name);
  return label;
}

namespace {

void AppendOptions(std::string& out, const std::vector<OptionSpec>& options) {
  std::size_t width = 0;
  for (const auto& option : options) width = std::max(width, OptionLabel(option).size());
  for (const auto& option : options) {
    std::string label = OptionLabel(option);
    out += "  " + label + std::string(width - label.size() + 2, ' ') + std::string(option.help);
    out += "\n";
  }
}

}  // namespace

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> commands = BuildCommands();
  return commands;
}

const CommandSpec* FindCommand(std::string_view name) {
  for (const auto& command : Commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

const std::vector<OptionSpec>& GlobalOptions() {
  static const std::vector<OptionSpec> options = {
      {"--redis", "URL",
       "Redis: redis://[[user]:password@]host:port[/db], unix:///path[?db=N], "
       "redis-cluster://[[user]:password@]host:port[,host:port...] or "
       "redis-sentinel://[[user]:password@]host:port[,host:port...]/MASTER[/db]; rediss://, "
       "rediss-cluster://, rediss-sentinel://: the same over TLS "
       "(default: $ONEP_REDIS_URL, else redis://127.0.0.1:6379/0)"},
      {"--tls-ca", "FILE",
       "with rediss*: the CA bundle Redis' certificate must chain to (default: "
       "$ONEP_REDIS_TLS_CA, else the system's CAs)"},
      {"--tls-cert", "FILE",
       "with rediss*: the client certificate, when Redis requires one (default: "
       "$ONEP_REDIS_TLS_CERT)"},
      {"--tls-key", "FILE",
       "with rediss*: the client certificate's key (default: $ONEP_REDIS_TLS_KEY)"},
      {"--tls-sni", "NAME",
       "with rediss*: the server name to verify and send (default: $ONEP_REDIS_TLS_SNI, else "
       "the URL's host)"},
      {"--prefix", "STRING", "prefix of every Redis key (default: $ONEP_KEY_PREFIX, else onep:)"},
      {"--actor", "NAME",
       "who the audit trail names for a change (default: the invoking user: $SUDO_USER under "
       "sudo, else the user running onepctl)"},
      {"--json", "", "machine-readable output on stdout"},
      {"--help", "", "this help; 'onepctl COMMAND --help' for one command"},
      {"--version", "", "print the version"},
  };
  return options;
}

std::string Synopsis(const CommandSpec& command) {
  std::string out = "onepctl " + std::string(command.name);
  for (const auto& arg : command.args) out += " " + std::string(arg);
  const auto& options = command.options;
  for (std::size_t i = 0; i < options.size(); ++i) {
    std::string label = OptionLabel(options[i]);
    // "[--limit N|--all]": an option and the one that excludes it.
    while (i + 1 < options.size() && options[i + 1].excludes == options[i].name) {
      label += "|" + OptionLabel(options[++i]);
    }
    out += options[i].required ? " " + label : " [" + label + "]";
  }
  return out;
}

std::string GlobalHelp() {
  std::string out = "onepctl: " + std::string(kSummary) +
                    ".\n\n"
                    "Usage: onepctl [GLOBAL OPTIONS] COMMAND [ARGS] [OPTIONS]\n\nCommands:\n";
  std::size_t width = 0;
  for (const auto& command : Commands()) width = std::max(width, command.name.size());
  for (const auto& command : Commands()) {
    out += "  " + std::string(command.name) + std::string(width - command.name.size() + 2, ' ') +
           std::string(command.summary) + "\n";
  }
  out += "\nGlobal options (before or after the command):\n";
  AppendOptions(out, GlobalOptions());
  out += "\nDurations: " + std::string(kDurationHelp) +
         ".\nEnvironment: " + std::string(kEnvironmentHelp) +
         ".\nExit status: " + std::string(kExitStatusHelp) +
         ".\n\nRun 'onepctl COMMAND --help' for a command's options and examples.\n";
  return out;
}

std::string CommandHelp(const CommandSpec& command) {
  std::string out =
      "Usage: " + Synopsis(command) + "\n\n" + std::string(command.description) + "\n";
  if (!command.options.empty()) {
    out += "\nOptions:\n";
    AppendOptions(out, command.options);
  }
  out += "\nGlobal options: --redis URL, --prefix STRING, --json (see 'onepctl --help').\n";
  bool takes_duration = std::any_of(
      command.options.begin(), command.options.end(),
      [](const OptionSpec& o) { return o.value_name.find("DURATION") != std::string_view::npos; });
  if (takes_duration) out += "Durations: " + std::string(kDurationHelp) + ".\n";
  bool takes_time = std::any_of(
      command.options.begin(), command.options.end(),
      [](const OptionSpec& o) { return o.value_name.find("TIME") != std::string_view::npos; });
  if (takes_time) out += "Times: " + std::string(kTimeHelp) + ".\n";
  out += command.examples.size() == 1 ? "\nExample:\n" : "\nExamples:\n";
  for (const auto& example : command.examples) out += "  " + std::string(example) + "\n";
  return out;
}

int Run(const std::vector<std::string>& argv, Io io) {
  Invocation inv = ParseArgs(argv);
  if (inv.help) {
    io.out << (inv.command != nullptr ? CommandHelp(*inv.command) : GlobalHelp());
    return kExitOk;
  }
  if (inv.version) {
    io.out << "onepctl " << ONEP_VERSION << "\n";
    return kExitOk;
  }
  auto usage = [&io](const std::string& what, const std::string& todo) {
    io.err << "onepctl: " << what << "; " << todo << "\n";
    return kExitUsage;
  };
  if (!inv.error.empty()) {
    return usage(inv.error, inv.command != nullptr
                                ? "see 'onepctl " + std::string(inv.command->name) + " --help'"
                                : "run 'onepctl --help' to see the commands and options");
  }
  if (inv.command == nullptr) return usage("no command given", "run 'onepctl --help'");

  const CommandSpec& command = *inv.command;
  std::string todo = "usage: " + Synopsis(command);
  if (inv.args.size() < command.args.size()) {
    return usage("missing " + std::string(command.args[inv.args.size()]), todo);
  }
  if (inv.args.size() > command.args.size()) {
    return usage("unexpected argument " + QuoteForMessage(inv.args[command.args.size()]), todo);
  }
  for (const auto& option : command.options) {
    if (option.required && !inv.Has(option.name)) {
      return usage("missing " + OptionLabel(option), todo);
    }
    if (!option.excludes.empty() && inv.Has(option.name) && inv.Has(option.excludes)) {
      return usage(std::string(option.name) + " and " + std::string(option.excludes) +
                       " cannot be used together",
                   todo);
    }
  }
  Context ctx(std::move(io), inv);
  const int exit_code = command.handler(ctx, inv);
  // Nothing is lost silently: output that could not be written is a failure.
  if (exit_code == kExitOk && !ctx.OutputOk()) {
    return ctx.Fail(kExitFailure, "cannot write the output: " + ctx.OutputError(),
                    "check where stdout goes (a full disk, a closed pipe)");
  }
  return exit_code;
}

}  // namespace onep::cli
