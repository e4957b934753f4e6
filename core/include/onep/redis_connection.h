// SPDX-License-Identifier: Apache-2.0
// A Redis connection: RAII over a hiredis context, with timeouts; over TLS
// for a rediss endpoint (onep/redis_tls.h).
//
// Every value goes to Redis as its own length-prefixed RESP bulk string, so
// no user-supplied string can change a command. Replies are copied into Reply
// values, so no hiredis object outlives a call.
//
// Thread-safety: a RedisConnection is used by one thread at a time.
#ifndef ONEP_REDIS_CONNECTION_H_
#define ONEP_REDIS_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "onep/deadline.h"
#include "onep/redis_reply.h"
#include "onep/redis_script.h"
#include "onep/redis_tls.h"
#include "onep/redis_url.h"
#include "onep/status.h"

namespace onep {

struct RedisOptions {
  RedisEndpoint endpoint;
  std::chrono::milliseconds timeout{500};  // bounds connect and every command
  // TIME once when connecting, for clock_offset_ms(). Off for a sentinel,
  // which serves only its own command set.
  bool read_clock = true;
  // Scripts loaded (SCRIPT LOAD) when connecting, in the same round trip as
  // TIME, so that the first EVALSHA on a fresh connection finds them. A
  // refusal (an ACL without SCRIPT) is ignored: EVALSHA then falls back to
  // EVAL once. Only with read_clock.
  std::vector<const Script*> preload = {};
  // The TLS context of a TLS endpoint (endpoint.tls); ignored otherwise.
  std::shared_ptr<const RedisTls> tls = {};
};

class RedisConnection {
 public:
  // Connects, makes the TLS handshake (a TLS endpoint), authenticates and
  // selects the db, each bounded by the timeout, and all of it by `until`.
  // Unavailable naming the (redacted) server when that fails; InvalidArgument
  // for a TLS endpoint without options.tls.
  static Result<std::unique_ptr<RedisConnection>> Connect(const RedisOptions& options,
                                                          Deadline until = kNoDeadline);

  // Until Unbind(), every read waits at most what is left of `until` (and at
  // most the timeout): the steps of one caller's operation share its budget.
  // A pool binds a lent connection to its caller's deadline.
  void Bind(Deadline until) { until_ = until; }
  // Back to the timeout alone, for the next caller.
  void Unbind();

  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command, one round trip. An error reply from Redis comes back as an
  // OK Result holding a Reply of Type::kError; Unavailable means the
  // connection failed (it is then broken() and must be dropped).
  Result<Reply> Command(const std::vector<std::string>& argv);

  // Several commands in one round trip; replies in order.
  Result<std::vector<Reply>> Pipeline(const std::vector<std::vector<std::string>>& commands);

  // EVALSHA; on NOSCRIPT loads the script with EVAL (a second round trip, only
  // after Redis lost its script cache). Error replies come back as they are
  // (see ScriptReplyStatus in redis_client.h). With `asking`, each is sent
  // behind an ASKING (a Cluster's ASK redirection), in the same write.
  Result<Reply> EvalRaw(const ScriptCall& call, bool asking = false);
  // Several EvalRaw in one round trip: every call (and its WAIT) in one
  // write, the replies read in order; the calls that got NOSCRIPT go again
  // as EVAL, together, each with a deadline of its own. A result per call.
  // When the connection fails, the calls whose replies had not arrived fail
  // with it (each may have run, as with EvalRaw).
  std::vector<Result<Reply>> EvalAll(const std::vector<const ScriptCall*>& calls);
  // EvalRaw with error replies mapped as RedisClient::Eval maps them.
  Result<Reply> Eval(const Script& script, const std::vector<std::string>& keys,
                     const std::vector<std::string>& args);

  // A deadline in the server's clock for a command sent now: what is left of
  // the timeout (and of the bound deadline) less a margin for the reply's way
  // back and the clock offset's error.
  int64_t ServerDeadlineMs() const;

  // One PING: OK when Redis answers PONG within the timeout.
  Status Ping();

  // Whether the server has closed this idle connection (e.g. it restarted),
  // or it holds unexpected data: a non-blocking peek at the socket, no round
  // trip. A pool checks this before lending a connection, so that a command
  // is never sent on a connection known to be dead, and never has to be sent
  // twice.
  bool PeerClosed() const;

  // True after an I/O error or timeout: the connection must not be reused.
  bool broken() const { return broken_; }
  // Commands sent on this connection so far (for tests of the cost model).
  uint64_t commands_sent() const { return commands_sent_; }
  // The server's clock minus ours in milliseconds, measured once when
  // connecting (TIME): lets a caller put a deadline in the server's time.
  int64_t clock_offset_ms() const { return clock_offset_ms_; }
  std::chrono::milliseconds timeout() const { return options_.timeout; }
  const RedisEndpoint& endpoint() const { return options_.endpoint; }

 private:
  explicit RedisConnection(RedisOptions options);
  Status Fail(std::string_view what);
  // Queues one command (RESP, each argument a bulk string) for the next read.
  Status Append(const std::string_view* argv, std::size_t argc);
  Result<Reply> ReadReply();
  // Append + ReadReply: one round trip.
  Result<Reply> RoundTrip(const std::string_view* argv, std::size_t argc);
  // The script calls of EvalRaw and EvalAll: see there.
  struct EvalCommand;
  std::vector<Result<Reply>> EvalCalls(const std::vector<const ScriptCall*>& calls, bool asking);
  Status AppendEval(const ScriptCall& call, bool asking, bool as_eval, EvalCommand& command);
  Result<Reply> ReadEval(const ScriptCall& call, bool asking);
  // Sets the socket's timeout to what is left of until_ when that is shorter
  // than the one set; Unavailable (timed out) when nothing is left.
  Status Tighten();

  RedisOptions options_;
  redisContext* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;  // a TLS connection's session, owned by ctx_
  bool broken_ = false;
  uint64_t commands_sent_ = 0;
  int64_t clock_offset_ms_ = 0;
  Deadline until_ = kNoDeadline;                 // Bind()
  std::chrono::milliseconds socket_timeout_{0};  // as last set on the socket
};

}  // namespace onep

#endif  // ONEP_REDIS_CONNECTION_H_
