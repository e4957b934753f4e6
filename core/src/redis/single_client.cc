// SPDX-License-Identifier: Apache-2.0
// RedisClient for one server: a NodePool and nothing else. Slot keys are
// ignored; there is nothing to redirect.
#include "single_client.h"

#include <memory>

#include "node_pool.h"

namespace onep {
namespace {

RedisOptions ConnectionOptions(const RedisTarget& target, const RedisClientOptions& options) {
  RedisOptions connection{target.nodes.at(0), options.timeout};
  connection.preload = options.preload;
  connection.tls = options.tls;
  return connection;
}

class SingleClient : public RedisClient {
 public:
  SingleClient(const RedisTarget& target, RedisClientOptions options)
      : timeout_(options.timeout),
        pool_(ConnectionOptions(target, options), options.max_idle_per_node,
              std::move(options.log)) {}

  Result<Reply> Command(std::string_view, const std::vector<std::string>& argv,
                        Deadline until = kNoDeadline) override {
    return pool_.Run([&](RedisConnection& conn) { return conn.Command(argv); }, until);
  }

  Result<std::vector<Reply>> Pipeline(
      std::string_view, const std::vector<std::vector<std::string>>& commands) override {
    return pool_.Run([&](RedisConnection& conn) { return conn.Pipeline(commands); });
  }

  Result<Reply> Eval(std::string_view, const ScriptCall& call) override {
    return ScriptReplyStatus(
        pool_.Run([&](RedisConnection& conn) { return conn.EvalRaw(call); }, call.until),
        pool_.redacted());
  }

  std::vector<Result<Reply>> EvalAll(const std::vector<SlotCall>& calls) override {
    std::vector<const ScriptCall*> raw;
    for (const SlotCall& c : calls) raw.push_back(c.call);
    auto replies = pool_.Run(
        [&](RedisConnection& conn) -> Result<std::vector<Result<Reply>>> {
          return conn.EvalAll(raw);
        },
        EarliestUntil(calls));
    if (!replies.ok()) return std::vector<Result<Reply>>(calls.size(), replies.status());
    for (auto& reply : *replies) reply = ScriptReplyStatus(std::move(reply), pool_.redacted());
    return std::move(replies).value();
  }

  Status Ping() override {
    return pool_
        .Run([](RedisConnection& conn) -> Result<bool> {
          if (Status alive = conn.Ping(); !alive.ok()) return alive;
          return true;
        })
        .status();
  }

  Result<std::vector<Reply>> OnEveryMaster(const std::vector<std::string>& command) override {
    auto reply = Command("", command);
    if (!reply.ok()) return reply.status();
    return std::vector<Reply>{std::move(reply).value()};
  }

  std::string Describe() const override { return pool_.redacted(); }
  std::chrono::milliseconds timeout() const override { return timeout_; }
  uint64_t commands_sent() const override { return pool_.commands_sent(); }

 private:
  const std::chrono::milliseconds timeout_;
  NodePool pool_;
};

}  // namespace

std::unique_ptr<RedisClient> NewSingleClient(const RedisTarget& target,
                                             RedisClientOptions options) {
  return std::make_unique<SingleClient>(target, std::move(options));
}

}  // namespace onep
