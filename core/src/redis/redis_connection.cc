// SPDX-License-Identifier: Apache-2.0
#include "onep/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "onep/clock.h"
#include "onep/parse.h"
#include "onep/redis_client.h"
#include "onep/text.h"
#include "redis/reply_builder.h"
#include "redis/tls_failure.h"

namespace onep {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

}  // namespace

RedisConnection::RedisConnection(RedisOptions options) : options_(std::move(options)) {}

RedisConnection::~RedisConnection() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const RedisOptions& options,
                                                                  Deadline until) {
  std::unique_ptr<RedisConnection> conn(new RedisConnection(options));
  const RedisEndpoint& ep = options.endpoint;
  const std::chrono::milliseconds budget = Remaining(until, options.timeout);
  if (budget.count() <= 0) {
    return Status::Unavailable("no time left to connect to " + ep.Redacted(),
                               RedisFailure::kTimedOut);
  }
  timeval tv = ToTimeval(budget);
  conn->ctx_ = ep.is_unix ? redisConnectUnixWithTimeout(ep.path.c_str(), tv)
                          : redisConnectWithTimeout(ep.host.c_str(), ep.port, tv);
  if (conn->ctx_ == nullptr) {
    return Status::Unavailable("cannot connect to " + ep.Redacted() + ": out of memory",
                               RedisFailure::kCannotConnect);
  }
  if (conn->ctx_->err != 0) {
    return Status::Unavailable("cannot connect to " + ep.Redacted() + ": " + conn->ctx_->errstr,
                               RedisFailure::kCannotConnect);
  }
  UseReplyBuilder(conn->ctx_);  // before any reply is read
  conn->socket_timeout_ = budget;
  conn->until_ = until;  // the handshake and the first commands share it
  if (redisSetTimeout(conn->ctx_, tv) != REDIS_OK) {
    return Status::Unavailable("cannot set timeout on " + ep.Redacted(),
                               RedisFailure::kCannotConnect);
  }
  if (!ep.is_unix) redisEnableKeepAlive(conn->ctx_);
  if (ep.tls && !ep.is_unix) {
    // After the timeout is set: it bounds the handshake too.
    if (!options.tls) return Status::InvalidArgument(ep.Redacted() + " needs TLS settings");
    const std::string where =
        (ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host) + ":" +
        std::to_string(ep.port);
    auto ssl = options.tls->Handshake(conn->ctx_, ep.host, where);
    if (!ssl.ok()) return ssl.status();
    conn->ssl_ = *ssl;
  }

  auto check = [&](const Result<Reply>& r, const char* what) -> Status {
    if (!r.ok()) return r.status();
    if (r->is_error()) {
      return Status::Unavailable(std::string(what) + " refused by " + ep.Redacted() + ": " + r->str,
                                 RedisFailure::kCannotConnect);
    }
    return Status::Ok();
  };
  if (!ep.password.empty()) {
    Status s = check(ep.user.empty() ? conn->Command({"AUTH", ep.password})
                                     : conn->Command({"AUTH", ep.user, ep.password}),
                     "AUTH");
    if (!s.ok()) return s;
  }
  if (ep.db != 0) {
    Status s = check(conn->Command({"SELECT", std::to_string(ep.db)}), "SELECT");
    if (!s.ok()) return s;
  }
  if (!options.read_clock) {
    conn->Unbind();
    return conn;
  }
  // The SCRIPT LOADs and TIME in one write; each reply read within the
  // timeout of its own. TIME last: Redis reads a client's commands 16 KB at
  // a time and answers those of each read together, so TIME first, before a
  // script that takes the pipeline past 16 KB, would be answered in a write
  // of its own, and the scripts' replies in another; last, it is read with
  // the scripts' end, and all the replies come back in one write.
  const int64_t sent = NowMs();
  for (const Script* script : options.preload) {
    const std::string_view load[] = {"SCRIPT", "LOAD", script->source()};
    if (Status s = conn->Append(load, 3); !s.ok()) return s;
  }
  static constexpr std::string_view kTime[] = {"TIME"};
  if (Status s = conn->Append(kTime, 1); !s.ok()) return s;
  for (std::size_t i = 0; i < options.preload.size(); ++i) {
    // An error reply (NOPERM, OOM, ...) is not a failure: EVALSHA falls back.
    if (auto loaded = conn->ReadReply(); !loaded.ok()) return loaded.status();
  }
  auto time = conn->ReadReply();
  if (Status s = check(time, "TIME"); !s.ok()) return s;
  if (time->elements.size() == 2) {
    const int64_t server_ms = std::strtoll(time->elements[0].str.c_str(), nullptr, 10) * 1000 +
                              std::strtoll(time->elements[1].str.c_str(), nullptr, 10) / 1000;
    conn->clock_offset_ms_ = server_ms - (sent + NowMs()) / 2;
  }
  conn->Unbind();
  return conn;
}

Status RedisConnection::Ping() {
  auto reply = Command({"PING"});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kStatus || reply->str != "PONG") {
    return Status::Unavailable(
        options_.endpoint.Redacted() + " answered PING with \"" + reply->str + "\"",
        RedisFailure::kCannotServeNow);
  }
  return Status::Ok();
}

bool RedisConnection::PeerClosed() const {
  if (broken_ || ctx_ == nullptr) return true;
  char byte;
  ssize_t n = recv(ctx_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  // Over TLS, the bytes may be a record that is not a reply (a TLS 1.3
  // session ticket): the TLS layer tells.
  if (n > 0 && ssl_ != nullptr) return TlsPeerClosed(ssl_, ctx_->fd);
  // 0: the server closed it; > 0: bytes nobody asked for. Either way, unusable.
  return true;
}

Status RedisConnection::Fail(std::string_view what) {
  int saved_errno = errno;
  broken_ = true;
  std::string reason = ctx_->errstr[0] != '\0' ? ctx_->errstr : "unknown error";
  RedisFailure failure = RedisFailure::kConnectionLost;
  const std::string tls_reason = ssl_ != nullptr ? TlsFailureReason(ssl_) : std::string();
  if (ctx_->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
    reason = "timed out after " + std::to_string(socket_timeout_.count()) + "ms";
    failure = RedisFailure::kTimedOut;
  } else if (!tls_reason.empty()) {
    // hiredis says only "I/O error" here; OpenSSL knows (e.g. an alert from
    // a server that refused our certificate after the handshake).
    reason = "TLS: " + tls_reason;
  }
  return Status::Unavailable(std::string(what) + " " + options_.endpoint.Redacted() + ": " + reason,
                             failure);
}

void RedisConnection::Unbind() {
  until_ = kNoDeadline;
  if (socket_timeout_ != options_.timeout && !broken_) {
    if (redisSetTimeout(ctx_, ToTimeval(options_.timeout)) == REDIS_OK) {
      socket_timeout_ = options_.timeout;
    } else {
      broken_ = true;  // a timeout we cannot restore: not for another caller
    }
  }
}

Status RedisConnection::Tighten() {
  const std::chrono::milliseconds left = Remaining(until_, options_.timeout);
  if (left.count() <= 0) {
    broken_ = true;  // a reply may be on its way: the connection is done
    return Status::Unavailable("timed out: the caller's deadline passed before the reply from " +
                                   options_.endpoint.Redacted(),
                               RedisFailure::kTimedOut);
  }
  // A millisecond's slack, so that the socket is not reset for every read.
  if (left + std::chrono::milliseconds(1) < socket_timeout_) {
    if (redisSetTimeout(ctx_, ToTimeval(left)) != REDIS_OK) {
      broken_ = true;
      return Status::Unavailable("cannot set timeout on " + options_.endpoint.Redacted(),
                                 RedisFailure::kConnectionLost);
    }
    socket_timeout_ = left;
  }
  return Status::Ok();
}

Result<Reply> RedisConnection::ReadReply() {
  if (until_ != kNoDeadline) {
    if (Status in_time = Tighten(); !in_time.ok()) return in_time;
  }
  void* raw = nullptr;
  errno = 0;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
    return Fail("no reply from");
  }
  std::unique_ptr<Reply> reply(static_cast<Reply*>(raw));  // made by UseReplyBuilder's functions
  if (ssl_ != nullptr) TlsReplyRead(ssl_);
  return std::move(*reply);
}

Status RedisConnection::Append(const std::string_view* argv, std::size_t argc) {
  if (broken_) {
    return Status::Unavailable("connection to " + options_.endpoint.Redacted() + " is broken",
                               RedisFailure::kConnectionLost);
  }
  // The RESP framing hiredis would write (every argument a length-prefixed
  // bulk string, so no value can change the command), written straight into
  // one buffer: hiredis' own formatting costs several times more.
  auto digits = [](std::size_t n) {
    std::size_t d = 1;
    while (n >= 10) n /= 10, ++d;
    return d;
  };
  std::size_t size = 1 + digits(argc) + 2;
  for (std::size_t i = 0; i < argc; ++i) {
    size += 1 + digits(argv[i].size()) + 2 + argv[i].size() + 2;
  }
  // Formatted in this thread's buffer, kept between commands up to 16 KiB
  // (a batch of 64 events; hiredis copies the command into its own output
  // buffer): no allocation per command.
  constexpr std::size_t kKeptBuffer = 16 * 1024;
  thread_local std::string kept;
  std::string large;
  std::string& command = size <= kKeptBuffer ? kept : large;
  if (command.size() < size) command.resize(size);
  char* out = command.data();
  char* const end = out + size;
  auto put_line = [&](char type, std::size_t n) {
    *out++ = type;
    out = std::to_chars(out, end, n).ptr;
    *out++ = '\r';
    *out++ = '\n';
  };
  put_line('*', argc);
  for (std::size_t i = 0; i < argc; ++i) {
    put_line('$', argv[i].size());
    if (!argv[i].empty()) std::memcpy(out, argv[i].data(), argv[i].size());
    out += argv[i].size();
    *out++ = '\r';
    *out++ = '\n';
  }
  if (redisAppendFormattedCommand(ctx_, command.data(), size) != REDIS_OK) {
    return Fail("cannot send to");
  }
  ++commands_sent_;
  return Status::Ok();
}

Result<Reply> RedisConnection::RoundTrip(const std::string_view* argv, std::size_t argc) {
  if (Status sent = Append(argv, argc); !sent.ok()) return sent;
  return ReadReply();
}

Result<std::vector<Reply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::vector<std::string_view> argv;
  for (const auto& command : commands) {
    argv.assign(command.begin(), command.end());
    if (Status sent = Append(argv.data(), argv.size()); !sent.ok()) return sent;
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    auto reply = ReadReply();
    if (!reply.ok()) return reply.status();
    replies.push_back(std::move(reply).value());
  }
  return replies;
}

Result<Reply> RedisConnection::Command(const std::vector<std::string>& argv) {
  const std::vector<std::string_view> views(argv.begin(), argv.end());
  return RoundTrip(views.data(), views.size());
}

int64_t RedisConnection::ServerDeadlineMs() const {
  const int64_t timeout_ms = Remaining(until_, options_.timeout).count();
  return NowMs() + clock_offset_ms_ + timeout_ms - std::max<int64_t>(timeout_ms / 10, 5);
}

// One script call's command, as EVALSHA or (after NOSCRIPT) EVAL: views of
// the call's keys and arguments, and the strings made for it.
struct RedisConnection::EvalCommand {
  std::string key_count;
  std::string deadline;
  std::string wait_replicas;
  std::string wait_timeout;
  std::vector<std::string_view> argv;
  std::size_t deadline_at = 0;
};

// Appends `call` (behind ASKING with `asking`, followed by its WAIT) with a
// deadline computed now; `command` keeps what the views point to.
Status RedisConnection::AppendEval(const ScriptCall& call, bool asking, bool as_eval,
                                   EvalCommand& command) {
  static constexpr std::string_view kAsking[] = {"ASKING"};
  if (command.argv.empty()) {
    command.key_count = std::to_string(call.keys.size());
    command.deadline_at = 3 + call.keys.size();
    command.argv.reserve(4 + call.keys.size() + call.args.size());
    command.argv.push_back("EVALSHA");
    command.argv.push_back(call.script->sha1());
    command.argv.push_back(command.key_count);
    command.argv.insert(command.argv.end(), call.keys.begin(), call.keys.end());
    if (call.deadline) command.argv.push_back("");  // set below
    command.argv.insert(command.argv.end(), call.args.begin(), call.args.end());
    if (call.wait_replicas > 0) {
      command.wait_replicas = std::to_string(call.wait_replicas);
      command.wait_timeout = std::to_string(call.wait_timeout_ms);
    }
  }
  if (as_eval) {
    command.argv[0] = "EVAL";
    command.argv[1] = call.script->source();
  }
  // A command of its own, with a bound of its own: the time an earlier one
  // took (a NOSCRIPT) is not taken from this one.
  if (call.deadline) {
    command.deadline = std::to_string(ServerDeadlineMs());
    command.argv[command.deadline_at] = command.deadline;
  }
  if (asking) {
    if (Status sent = Append(kAsking, 1); !sent.ok()) return sent;
  }
  if (Status sent = Append(command.argv.data(), command.argv.size()); !sent.ok()) return sent;
  if (call.wait_replicas > 0) {
    const std::string_view wait[] = {"WAIT", command.wait_replicas, command.wait_timeout};
    if (Status sent = Append(wait, 3); !sent.ok()) return sent;
  }
  return Status::Ok();
}

// Reads what AppendEval(call, asking) asked for: the script's reply, with
// too few replicas' acknowledgements (WAIT) as Unavailable.
Result<Reply> RedisConnection::ReadEval(const ScriptCall& call, bool asking) {
  if (asking) {
    auto ok = ReadReply();
    if (!ok.ok()) return ok;
  }
  auto reply = ReadReply();
  if (!reply.ok() || call.wait_replicas == 0) return reply;
  auto acked = ReadReply();
  if (!acked.ok()) return acked.status();
  if (!reply->is_error() &&
      (acked->type != Reply::Type::kInteger || acked->integer < call.wait_replicas)) {
    return Status::Unavailable(
        options_.endpoint.Redacted() + ": " +
            std::to_string(acked->type == Reply::Type::kInteger ? acked->integer : 0) + " of " +
            std::to_string(call.wait_replicas) + " replica(s) acknowledged the write within " +
            std::to_string(call.wait_timeout_ms) + "ms",
        RedisFailure::kNotAcknowledged);
  }
  return reply;
}

std::vector<Result<Reply>> RedisConnection::EvalCalls(const std::vector<const ScriptCall*>& calls,
                                                      bool asking) {
  std::vector<EvalCommand> commands(calls.size());
  std::vector<Result<Reply>> replies;
  replies.reserve(calls.size());
  // One write, then the replies in order: once one cannot be read, the
  // connection is broken and the rest fail with it.
  auto round = [&](const std::vector<std::size_t>& which, bool as_eval) {
    for (std::size_t i : which) {
      if (Status sent = AppendEval(*calls[i], asking, as_eval, commands[i]); !sent.ok()) {
        for (std::size_t j : which) replies[j] = sent;
        return;
      }
    }
    Status failed = Status::Ok();
    for (std::size_t i : which) {
      replies[i] = failed.ok() ? ReadEval(*calls[i], asking) : Result<Reply>(failed);
      if (!replies[i].ok() && broken_) failed = replies[i].status();
    }
  };
  std::vector<std::size_t> all(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    all[i] = i;
    replies.emplace_back(Status::Internal("not sent"));
  }
  round(all, false);
  // This server restarted, failed over or had SCRIPT FLUSH: EVAL loads the
  // script and runs it. NOSCRIPT proves the first call ran nothing.
  std::vector<std::size_t> again;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (replies[i].ok() && replies[i]->is_error() && replies[i]->str.rfind("NOSCRIPT", 0) == 0) {
      again.push_back(i);
    }
  }
  if (!again.empty()) round(again, true);
  return replies;
}

Result<Reply> RedisConnection::EvalRaw(const ScriptCall& call, bool asking) {
  // EvalCalls for one call, without its vectors (the path of every webhook).
  EvalCommand command;
  if (Status sent = AppendEval(call, asking, false, command); !sent.ok()) return sent;
  auto reply = ReadEval(call, asking);
  if (reply.ok() && reply->is_error() && reply->str.rfind("NOSCRIPT", 0) == 0) {
    if (Status sent = AppendEval(call, asking, true, command); !sent.ok()) return sent;
    reply = ReadEval(call, asking);
  }
  return reply;
}

std::vector<Result<Reply>> RedisConnection::EvalAll(const std::vector<const ScriptCall*>& calls) {
  if (calls.size() == 1) return {EvalRaw(*calls.front())};
  return EvalCalls(calls, false);
}

Result<Reply> RedisConnection::Eval(const Script& script, const std::vector<std::string>& keys,
                                    const std::vector<std::string>& args) {
  return ScriptReplyStatus(EvalRaw(ScriptCall{&script, keys, args, false}),
                           options_.endpoint.Redacted());
}

}  // namespace onep
