// SPDX-License-Identifier: Apache-2.0
// events: the newest N, a page after or before an id, every event (--all,
// streamed), and --follow. Filtering happens in core (EventQuery); this file
// turns options into a query and events into output.
#include "commands/events_command.h"

#include <algorithm>
#include <csignal>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "onep/clock.h"
#include "onep/event_store.h"
#include "onep/parse.h"
#include "onep/stream_id.h"
#include "onep/token.h"
#include "output.h"

namespace onep::cli {
namespace {

constexpr int64_t kFollowBlockMs = 1000;
constexpr std::size_t kFollowBatch = 1000;

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

// What the options ask for, beyond the filters.
struct EventsRequest {
  EventQuery query;
  bool all = false;
  bool follow = false;
};

// The options as a request; InvalidArgument naming the first bad one. The
// table (command_table.cc) already refused --limit with --all.
Result<EventsRequest> ParseRequest(const Invocation& inv, int64_t now_ms) {
  EventsRequest r;
  r.all = inv.Has("--all");
  r.follow = inv.Has("--follow");
  auto query = admin::EventQueryInput(inv.Inputs(), now_ms, r.all);
  if (!query.ok()) return query.status();
  r.query = std::move(query).value();
  // --follow reads on past the newest event: an upper bound or "everything
  // first" would contradict it.
  for (const char* option : {"--all", "--before", "--until"}) {
    if (r.follow && inv.Has(option)) {
      return Status::InvalidArgument(std::string("--follow cannot be used with ") + option +
                                     " (--after ID --follow resumes from an event)");
    }
  }
  return r;
}

std::vector<std::string> EventCells(const StoredEvent& e) {
  return {
      e.id,         HumanTime(e.time_ms),
      e.type,       e.app.empty() ? "-" : e.app,
      e.credential, IsFlipType(e.type) ? FlipDetails(e.fields_json) : EventDetails(e.fields_json)};
}

const std::vector<std::string> kEventHeaders = {"ID",  "TIME",       "TYPE",
                                                "APP", "CREDENTIAL", "DETAILS"};

// Prints events as they come (--all, --follow): JSON Lines with --json, else
// table rows under a header sized by the first events. Flushes after every
// batch and notices when stdout refused the output.
class EventStream {
 public:
  explicit EventStream(Context& ctx) : ctx_(ctx) {}

  // The header (in a table) and the first events, which size the columns.
  Status Start(const std::vector<StoredEvent>& first) {
    if (!ctx_.json()) {
      Table table(kEventHeaders);
      for (const auto& e : first) table.AddRow(EventCells(e));
      // Room for typical values, since later rows cannot widen the columns.
      widths_ = table.Widths();
      const std::size_t kMinWidths[] = {15, 20, 7, 8, 19};
      for (std::size_t i = 0; i < 5; ++i) widths_[i] = std::max(widths_[i], kMinWidths[i]);
      ctx_.out() << Table::RenderRow(kEventHeaders, widths_);
    }
    started_ = true;
    return Print(first);
  }

  Status Print(const std::vector<StoredEvent>& events) {
    if (!started_) return Start(events);
    for (const auto& e : events) {
      if (ctx_.json()) {
        ctx_.out() << JsonOut(EventJson(e).get()) << "\n";
      } else {
        std::vector<std::string> cells = EventCells(e);
        for (auto& cell : cells) cell = SanitizeForTerminal(cell);  // no Table to do it
        ctx_.out() << Table::RenderRow(cells, widths_);
      }
    }
    ctx_.out() << std::flush;
    if (!ctx_.out()) {
      write_failed_ = true;
      return Status::Unavailable("standard output refused the events");
    }
    printed_ += events.size();
    return Status::Ok();
  }

  bool started() const { return started_; }

  // The exit code for a status that stopped the stream.
  int Fail(const Status& status) {
    if (!write_failed_) return ctx_.Fail(status);
    return ctx_.Fail(
        kExitFailure,
        "could not write to standard output after " + std::to_string(printed_) + " events",
        "check the file system or pipe it goes to, then run the command again "
        "(--after the last id written resumes)");
  }

 private:
  Context& ctx_;
  std::vector<std::size_t> widths_;
  bool started_ = false;
  bool write_failed_ = false;
  std::size_t printed_ = 0;
};

// Prints `initial`, then new events until a signal (the caller has installed
// StopSignals). `cursor` is the id to read after: no event up to it is new.
int Follow(Context& ctx, RedisClient& conn, const EventStore& store, const EventQuery& query,
           const std::vector<StoredEvent>& initial, std::string cursor) {
  EventStream stream(ctx);
  if (Status s = stream.Start(initial); !s.ok()) return stream.Fail(s);
  EventQuery live = query;
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
    if (Status s = stream.Print(*batch); !s.ok()) return stream.Fail(s);
  }
  return kExitOk;
}

// The later of two stream ids, in Redis' order (not as strings).
std::string LaterStreamId(const std::string& a, const std::string& b) {
  auto first = ParseStreamId(a);
  auto second = ParseStreamId(b);
  if (!first.ok() || !second.ok()) return second.ok() ? b : a;
  return *first < *second ? b : a;
}

int WrittenOrFail(Context& ctx) {
  ctx.out() << std::flush;
  if (ctx.out()) return kExitOk;
  return ctx.Fail(kExitFailure, "could not write the events to standard output",
                  "check the file system or pipe it goes to");
}

int PrintPage(Context& ctx, const std::vector<StoredEvent>& events) {
  if (ctx.json()) {
    ctx.out() << JsonOut(JsonArrayOf(events, EventJson).get(), true) << "\n";
  } else if (events.empty()) {
    ctx.out() << "No events match.\n";
  } else {
    Table table(kEventHeaders);
    for (const auto& e : events) table.AddRow(EventCells(e));
    ctx.out() << table.Render();
  }
  return WrittenOrFail(ctx);
}

}  // namespace

int EventsCommand(Context& ctx, const Invocation& inv) {
  if (Status app = CheckAppFilter(ctx, inv); !app.ok()) return ctx.Report(app);
  auto request = ParseRequest(inv, NowMs());
  if (!request.ok()) return ctx.UsageError(request.status().message());
  EventQuery& query = request->query;
  auto org = ExistingOrg(ctx, inv);
  if (!org.ok()) return ctx.Report(org.status());
  query.org = *org;
  auto connected = ctx.Redis();
  if (!connected.ok()) return ctx.Report(connected.status());
  RedisClient* conn = *connected;
  EventStore store(ctx.keys());

  if (request->all) {
    EventStream stream(ctx);
    Status s = store.Scan(*conn, query, [&stream](const std::vector<StoredEvent>& page) {
      return stream.Print(page);
    });
    if (!s.ok()) return stream.Fail(s);
    // A table without a match says so, as the bounded forms do; JSON Lines
    // of nothing are no lines.
    if (!ctx.json() && !stream.started()) {
      ctx.out() << "No events match.\n";
      return WrittenOrFail(ctx);
    }
    return kExitOk;
  }

  // From here on, Ctrl-C ends a --follow cleanly (exit 0).
  std::optional<StopSignals> signals;
  if (request->follow) signals.emplace();
  std::string last_id_before = "0-0";
  if (request->follow && !query.after) {
    auto last = store.LastId(*conn, query.org);
    if (!last.ok()) return ctx.Fail(last.status());
    last_id_before = *last;
  }
  auto events = admin::EventPage(*conn, store, query);
  if (!events.ok()) return ctx.Fail(events.status());
  if (request->follow) {
    // After --after's page, read on from its last event: nothing is skipped.
    // After the newest N, events recorded between LastId and List were
    // listed already: start after whichever of the two is later.
    std::string cursor = query.after ? query.after->ToString() : last_id_before;
    if (!events->empty()) {
      cursor = query.after ? events->back().id : LaterStreamId(cursor, events->back().id);
    }
    return Follow(ctx, *conn, store, query, *events, cursor);
  }
  return PrintPage(ctx, *events);
}

}  // namespace onep::cli
