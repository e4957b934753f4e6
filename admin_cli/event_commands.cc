// orgs, events (with --follow), stats, audit: the read-only commands.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>

#include "cli.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "output.h"

namespace onep::cli {
namespace {

constexpr uint64_t kMaxLimit = 10000;
constexpr std::size_t kDefaultLimit = 100;
constexpr int64_t kFollowBlockMs = 1000;
constexpr std::size_t kFollowBatch = 1000;
constexpr int64_t kDefaultStatsWindowMs = 24LL * 3600 * 1000;
constexpr int64_t kMaxStatsWindowMs = 30LL * 24 * 3600 * 1000;

// Set by SIGINT/SIGTERM while `events --follow` runs; a signal handler may
// only touch a volatile sig_atomic_t.
volatile std::sig_atomic_t g_stop_following = 0;

extern "C" void StopFollowing(int) { g_stop_following = 1; }

// Installs StopFollowing for SIGINT and SIGTERM for its lifetime.
class StopSignals {
 public:
  StopSignals() {
    g_stop_following = 0;
    struct sigaction action = {};
    action.sa_handler = StopFollowing;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

// Stream ids "ms-seq" in numeric order.
std::tuple<uint64_t, uint64_t> StreamIdKey(const std::string& id) {
  std::size_t dash = id.find('-');
  uint64_t ms = std::strtoull(id.substr(0, dash).c_str(), nullptr, 10);
  uint64_t seq = dash == std::string::npos ? 0 : std::strtoull(id.c_str() + dash + 1, nullptr, 10);
  return {ms, seq};
}

const std::string& LaterStreamId(const std::string& a, const std::string& b) {
  return StreamIdKey(a) < StreamIdKey(b) ? b : a;
}

// --limit as a count, 0 after printing an error.
std::size_t Limit(Context& ctx, const Invocation& inv, int* exit_code) {
  const std::string* text = inv.Get("--limit");
  if (text == nullptr) return kDefaultLimit;
  auto limit = ParseUint(*text, kMaxLimit);
  if (!limit.ok() || *limit == 0) {
    *exit_code = ctx.UsageError("invalid --limit " + QuoteInput(*text) +
                                ": it must be a whole number from 1 to 10000");
    return 0;
  }
  return static_cast<std::size_t>(*limit);
}

bool ValidAppFilter(Context& ctx, const Invocation& inv, int* exit_code) {
  const std::string* app = inv.Get("--app");
  if (app != nullptr && !IsValidSlug(*app)) {
    *exit_code = ctx.UsageError("invalid --app " + QuoteInput(*app) +
                                ": it must match ^[a-z0-9][a-z0-9-]{0,62}$");
    return false;
  }
  return true;
}

std::vector<std::string> EventCells(const StoredEvent& e) {
  return {e.id,         HumanTime(e.time_ms),       e.type, e.app.empty() ? "-" : e.app,
          e.credential, EventDetails(e.fields_json)};
}

// For rows printed without a Table, which would sanitize them.
std::vector<std::string> SafeEventCells(const StoredEvent& e) {
  std::vector<std::string> cells = EventCells(e);
  for (auto& cell : cells) cell = SanitizeForTerminal(cell);
  return cells;
}

Table EventTable() { return Table({"ID", "TIME", "TYPE", "APP", "CREDENTIAL", "DETAILS"}); }

// Prints the events already shown by List, then new ones until a signal
// (the caller has installed StopSignals).
int Follow(Context& ctx, RedisClient& conn, const EventStore& store, const EventQuery& query,
           const std::vector<StoredEvent>& initial, const std::string& last_id_before) {
  std::vector<std::size_t> widths;
  if (ctx.json()) {
    for (const auto& e : initial) ctx.out() << JsonOut(EventJson(e).get()) << "\n";
  } else {
    Table table = EventTable();
    for (const auto& e : initial) table.AddRow(EventCells(e));
    // Room for typical values, since later rows cannot widen the columns.
    widths = table.Widths();
    const std::size_t kMinWidths[] = {15, 20, 7, 8, 19};
    for (std::size_t i = 0; i < 5; ++i) widths[i] = std::max(widths[i], kMinWidths[i]);
    ctx.out() << Table::RenderRow({"ID", "TIME", "TYPE", "APP", "CREDENTIAL", "DETAILS"}, widths);
    for (const auto& e : initial) ctx.out() << Table::RenderRow(SafeEventCells(e), widths);
  }
  ctx.out() << std::flush;

  // Events recorded between LastId and List were listed already: start after
  // whichever of the two is later.
  std::string cursor = last_id_before;
  if (!initial.empty()) cursor = LaterStreamId(cursor, initial.back().id);
  EventQuery live = query;
  live.since_ms = 0;
  live.limit = kFollowBatch;

  while (!g_stop_following) {
    // The cursor moves past filtered-out events too, so they are read once.
    std::string next = cursor;
    auto batch = store.ReadAfter(conn, live, cursor, kFollowBlockMs, &next);
    if (!batch.ok()) {
      if (g_stop_following) break;
      return ctx.Fail(batch.status());
    }
    cursor = next;
    for (const auto& e : *batch) {
      if (ctx.json()) {
        ctx.out() << JsonOut(EventJson(e).get()) << "\n";
      } else {
        ctx.out() << Table::RenderRow(SafeEventCells(e), widths);
      }
    }
    ctx.out() << std::flush;
  }
  return kExitOk;
}

}  // namespace

int OrgsCommand(Context& ctx, const Invocation&) {
  int exit_code = kExitOk;
  CredentialStore* store = ctx.Credentials(&exit_code);
  if (store == nullptr) return exit_code;
  auto orgs = store->Orgs();
  if (!orgs.ok()) return ctx.Fail(orgs.status());
  if (ctx.json()) {
    ctx.out() << JsonOut(JsonArrayOf(*orgs, OrgJson).get(), true) << "\n";
    return kExitOk;
  }
  if (orgs->empty()) {
    ctx.out() << "No organizations yet: 'onepctl create' makes the first one.\n";
    return kExitOk;
  }
  Table table({"ORG", "CREDENTIALS", "EVENTS"});
  for (const auto& o : *orgs) {
    table.AddRow({o.org, std::to_string(o.credentials), std::to_string(o.events)});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

int EventsCommand(Context& ctx, const Invocation& inv) {
  int exit_code = kExitOk;
  EventQuery query;
  if (!ValidAppFilter(ctx, inv, &exit_code)) return exit_code;
  if (const std::string* app = inv.Get("--app")) query.app = *app;
  if (const std::string* text = inv.Get("--type")) {
    query.type = ParseEventType(*text);
    if (!query.type) {
      return ctx.UsageError("invalid --type " + QuoteInput(*text) + ": use hit, failure or deploy");
    }
  }
  if (const std::string* text = inv.Get("--since")) {
    auto ms = ParseDurationMs(*text);
    if (!ms.ok()) {
      return ctx.UsageError("invalid --since " + QuoteInput(*text) + ": " + ms.status().message());
    }
    query.since_ms = NowMs() - *ms;
  }
  query.limit = Limit(ctx, inv, &exit_code);
  if (query.limit == 0) return exit_code;
  const bool follow = inv.Has("--follow");

  if (int rc = RequireExistingOrg(ctx, inv, &query.org); rc != kExitOk) return rc;
  RedisClient* conn = ctx.Redis(&exit_code);
  if (conn == nullptr) return exit_code;
  EventStore store(ctx.keys());

  // From here on, Ctrl-C ends a --follow cleanly (exit 0).
  std::optional<StopSignals> signals;
  if (follow) signals.emplace();
  std::string last_id_before = "0-0";
  if (follow) {
    auto last = store.LastId(*conn, query.org);
    if (!last.ok()) return ctx.Fail(last.status());
    last_id_before = *last;
  }
  auto events = store.List(*conn, query);
  if (!events.ok()) return ctx.Fail(events.status());
  if (follow) return Follow(ctx, *conn, store, query, *events, last_id_before);

  if (ctx.json()) {
    ctx.out() << JsonOut(JsonArrayOf(*events, EventJson).get(), true) << "\n";
    return kExitOk;
  }
  if (events->empty()) {
    ctx.out() << "No events match.\n";
    return kExitOk;
  }
  Table table = EventTable();
  for (const auto& e : *events) table.AddRow(EventCells(e));
  ctx.out() << table.Render();
  return kExitOk;
}

int StatsCommand(Context& ctx, const Invocation& inv) {
  int exit_code = kExitOk;
  if (!ValidAppFilter(ctx, inv, &exit_code)) return exit_code;
  const std::string* app = inv.Get("--app");
  int64_t window_ms = kDefaultStatsWindowMs;
  if (const std::string* text = inv.Get("--since")) {
    auto ms = ParseDurationMs(*text);
    if (!ms.ok()) {
      return ctx.UsageError("invalid --since " + QuoteInput(*text) + ": " + ms.status().message());
    }
    if (*ms > kMaxStatsWindowMs) {
      return ctx.UsageError("--since " + QuoteInput(*text) +
                            " is longer than 30d, the longest window stats keep");
    }
    window_ms = *ms;
  }
  std::string org;
  if (int rc = RequireExistingOrg(ctx, inv, &org); rc != kExitOk) return rc;
  RedisClient* conn = ctx.Redis(&exit_code);
  if (conn == nullptr) return exit_code;
  auto stats = EventStore(ctx.keys()).Stats(*conn, org, app ? *app : "", window_ms);
  if (!stats.ok()) return ctx.Fail(stats.status());

  if (ctx.json()) {
    ctx.out() << JsonOut(JsonArrayOf(*stats, StatsJson).get(), true) << "\n";
    return kExitOk;
  }
  if (stats->empty()) {
    ctx.out() << "No events in this window.\n";
    return kExitOk;
  }
  Table table({"APP", "HITS", "FAILURES", "FAILURE RATE", "DEPLOYS"});
  for (const auto& s : *stats) {
    table.AddRow({s.app, std::to_string(s.hits), std::to_string(s.failures),
                  HumanRate(s.failure_rate), std::to_string(s.deploys)});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

int AuditCommand(Context& ctx, const Invocation& inv) {
  int exit_code = kExitOk;
  std::size_t limit = Limit(ctx, inv, &exit_code);
  if (limit == 0) return exit_code;
  std::string org;
  if (int rc = RequireValidOrg(ctx, inv, &org); rc != kExitOk) return rc;
  CredentialStore* store = ctx.Credentials(&exit_code);
  if (store == nullptr) return exit_code;
  auto entries = store->Audit(org, limit);
  if (!entries.ok()) return ctx.Fail(entries.status());
  // The trail outlives the org's last credential: only an org with neither is unknown.
  if (entries->empty()) {
    if (int rc = RequireExistingOrg(ctx, inv, &org); rc != kExitOk) return rc;
  }
  // The store gives newest first; print newest last, like events.
  std::vector<AuditEntry> ordered(entries->rbegin(), entries->rend());

  if (ctx.json()) {
    ctx.out() << JsonOut(JsonArrayOf(ordered, AuditJson).get(), true) << "\n";
    return kExitOk;
  }
  if (ordered.empty()) {
    ctx.out() << "No credential changes recorded.\n";
    return kExitOk;
  }
  Table table({"TIME", "ACTION", "CREDENTIAL", "ACTOR"});
  for (const auto& a : ordered)
    table.AddRow({HumanTime(a.time_ms), a.action, a.credential, a.actor});
  ctx.out() << table.Render();
  return kExitOk;
}

}  // namespace onep::cli
