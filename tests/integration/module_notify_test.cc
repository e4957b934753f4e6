// SPDX-License-Identifier: Apache-2.0
// Notification delivery through the real module (docs/design.md,
// "Notification delivery"): the deliverer in a child's watchdog sends each
// outbox entry to a receiver (support/webhook_receiver.py) that checks every
// signature itself; retries keep the webhook-id, a crash loses nothing,
// order holds per endpoint, a slow or huge answer costs neither memory nor
// webhooks, a loopback address is refused and a redirect is not followed.
#include <gtest/gtest.h>
#include <jansson.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "onep/json.h"
#include "onep/notify_store.h"
#include "onep/secret_box.h"
#include "onep/webhook_message.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/process.h"

namespace onep::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kKeyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// Polls `done` every 50 ms until it holds or `bound` has passed.
bool WaitUntil(const std::function<bool()>& done, milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(milliseconds(50));
  }
  return true;
}

// One request the receiver logged.
struct Received {
  std::string path, id, body, answer, user_agent, content_type;
  bool verified = false;
};

// One entry of a stream: its id and fields.
struct Entry {
  std::string id;
  std::map<std::string, std::string> fields;
};

class Receiver {
 public:
  explicit Receiver(const std::string& secret) : dir_(MakeTempDir("receiver")) {
    pid_ = Spawn(
        {"/usr/bin/python3", std::string(ONEP_SOURCE_DIR) + "/tests/support/webhook_receiver.py",
         dir_ + "/port", dir_ + "/log", secret},
        dir_ + "/receiver.out");
    WaitUntil([&] { return !ReadFile(dir_ + "/port").empty(); }, seconds(20));
    port_ = std::atoi(ReadFile(dir_ + "/port").c_str());
  }
  ~Receiver() {
    StopSpawned(pid_, SIGTERM);
    PrintLogIfTestFailed("webhook receiver", dir_ + "/receiver.out");
    RemoveTree(dir_);
  }
  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Received> Log() const {
    std::vector<Received> all;
    std::istringstream lines(ReadFile(dir_ + "/log"));
    for (std::string line; std::getline(lines, line);) {
      JsonPtr json(json_loads(line.c_str(), 0, nullptr));
      if (!json) continue;
      Received r;
      auto text = [&](const char* name) {
        const json_t* v = json_object_get(json.get(), name);
        if (json_is_string(v)) return std::string(json_string_value(v));
        if (json_is_integer(v)) return std::to_string(json_integer_value(v));
        return std::string();
      };
      r.path = text("path");
      r.id = text("id");
      r.body = text("body");
      r.answer = text("answer");
      r.user_agent = text("user_agent");
      r.content_type = text("content_type");
      r.verified = json_is_true(json_object_get(json.get(), "verified"));
      all.push_back(std::move(r));
    }
    return all;
  }
  void Release() const { Get(port_, "/_release"); }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

ApacheOptions NotifyOptions(const std::string& key_file, bool allow_private) {
  ApacheOptions options;
  options.server_directives = {"OnepSecretKeyFile " + key_file, "OnepNotifyAllowHttp On",
                               "OnepNotifyRetryBase 100ms"};
  if (allow_private) options.server_directives.push_back("OnepNotifyAllowPrivate On");
  options.extra_config =
      "<Location \"/metrics\">\n  SetHandler onep-metrics\n  Require all granted\n</Location>\n";
  return options;
}

class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("notify");
    key_file_ = dir_ + "/secret.key";
    WriteFile(key_file_, std::string(kKeyHex) + "\n");
    chmod(key_file_.c_str(), 0600);
    auto key = ParseSecretKey(kKeyHex);
    ASSERT_TRUE(key.ok());
    key_.emplace(*key);
    auto secret = NewWebhookSecret();
    ASSERT_TRUE(secret.ok());
    secret_ = *secret;
    secret_file_ = dir_ + "/receiver.secret";
    WriteFile(secret_file_, secret_);
    receiver_ = std::make_unique<Receiver>("@" + secret_file_);
    ASSERT_GT(receiver_->port(), 0);
  }
  void TearDown() override {
    stack_.reset();
    receiver_.reset();
    RemoveTree(dir_);
  }

  void StartStack(bool allow_private = true) {
    stack_ = std::make_unique<OnepStack>(NotifyOptions(key_file_, allow_private));
    ASSERT_TRUE(stack_->Start());
    token_ = stack_->Create("acme", "hits", "web").token;
    tag_ = stack_->Tag("acme");
    ASSERT_FALSE(tag_.empty());
  }

  std::string Key(const std::string& rest) const { return "onep:{" + tag_ + "}:" + rest; }

  // An endpoint as `onepctl notify add` writes it; its group starts at the
  // outbox's end.
  std::string AddEndpoint(const std::string& url) {
    const std::string id = "ne_" + tag_ + "test" + std::to_string(++endpoints_) + "abcdefg";
    auto sealed = Seal(*key_, secret_, id);
    EXPECT_TRUE(sealed.ok());
    const std::string record = "{\"id\":\"" + id + "\",\"url\":\"" + url +
                               "\",\"created_at\":1700000000000,\"secret\":\"" + *sealed +
                               "\",\"key_id\":\"" + key_->key_id() + "\"}";
    EXPECT_TRUE(Cmd(Key("notify"), {"HSET", Key("notify"), id, record}).ok());
    EXPECT_TRUE(Cmd(Key("outbox"), {"XGROUP", "CREATE", Key("outbox"), id, "$", "MKSTREAM"}).ok());
    EXPECT_TRUE(Cmd("onep:notifyorgs", {"SADD", "onep:notifyorgs", tag_}).ok());
    return id;
  }

  // An incident opened on app `app`, as the record script writes it.
  std::string AddOpened(const std::string& app, const std::string& incident_id) {
    const std::string incident = "{\"id\":\"" + incident_id + "\",\"org\":\"acme\",\"app\":\"" +
                                 app +
                                 "\",\"cause\":\"failures\",\"severity\":\"sev2\","
                                 "\"opened_at\":1700000584000,\"detected_at\":1700000590000,"
                                 "\"failures\":3,\"first_error\":\"boom\"}";
    auto reply = Cmd(Key("outbox"),
                     {"XADD", Key("outbox"), "MAXLEN", "~", "10000", "*", "type", "incident_opened",
                      "org", "acme", "app", app, "incident", incident, "time", "1700000590000"});
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? reply->str : "";
  }

  std::string AddTest(const std::string& endpoint) {
    auto reply =
        Cmd(Key("outbox"), {"XADD", Key("outbox"), "*", "type", "test", "org", "acme", "app", "",
                            "incident", "{}", "time", "1700000590000", "endpoint", endpoint});
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? reply->str : "";
  }

  Result<Reply> Cmd(const std::string& key, const std::vector<std::string>& argv) {
    return stack_->redis().Command(key, argv);
  }

  std::vector<Entry> Deliveries() {
    std::vector<Entry> entries;
    auto reply = Cmd(Key("deliveries"), {"XRANGE", Key("deliveries"), "-", "+"});
    if (!reply.ok()) return entries;
    for (const Reply& e : reply->elements) {
      Entry entry;
      entry.id = e.elements[0].str;
      const auto& f = e.elements[1].elements;
      for (std::size_t i = 0; i + 1 < f.size(); i += 2) entry.fields[f[i].str] = f[i + 1].str;
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  std::vector<Entry> DeliveriesOf(const std::string& endpoint) {
    std::vector<Entry> of;
    for (Entry& e : Deliveries()) {
      if (e.fields["endpoint"] == endpoint) of.push_back(std::move(e));
    }
    return of;
  }

  std::vector<Received> ReceivedAt(const std::string& path) const {
    std::vector<Received> at;
    for (Received& r : receiver_->Log()) {
      if (r.path == path) at.push_back(std::move(r));
    }
    return at;
  }

  long long Pending(const std::string& endpoint) {
    auto reply = Cmd(Key("outbox"), {"XPENDING", Key("outbox"), endpoint});
    return reply.ok() && !reply->elements.empty() ? reply->elements[0].integer : -1;
  }

  std::string dir_, key_file_, secret_, secret_file_, token_, tag_;
  std::optional<SecretKey> key_;
  std::unique_ptr<Receiver> receiver_;
  std::unique_ptr<OnepStack> stack_;
  int endpoints_ = 0;
};

long long MetricSample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stoll(line.substr(series.size() + 1));
  }
  return -1;
}

// (a) Three answers 500, then 200: four attempts of one webhook-id, each
// signed; three retries and a delivery in the deliveries stream and the
// metrics; the entry acknowledged and the state cleared.
TEST_F(NotifyTest, RetriedUntilDeliveredUnderOneWebhookId) {
  StartStack();
  const std::string endpoint = AddEndpoint(receiver_->Url("/fail/3"));
  const std::string msg = AddOpened("web", "in_abc");
  const std::string webhook_id = WebhookId(endpoint, msg);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto d = DeliveriesOf(endpoint);
        return !d.empty() && d.back().fields["outcome"] == "delivered";
      },
      seconds(30)))
      << stack_->apache().ErrorLog();
  const auto received = ReceivedAt("/fail/3");
  ASSERT_EQ(received.size(), 4u);
  for (std::size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].id, webhook_id);
    EXPECT_TRUE(received[i].verified) << i;
    EXPECT_EQ(received[i].answer, i < 3 ? "500" : "200");
    EXPECT_EQ(received[i].content_type, "application/json");
    EXPECT_EQ(received[i].user_agent, std::string("onep/") + ONEP_VERSION);
  }
  JsonPtr body(json_loads(received[3].body.c_str(), 0, nullptr));
  ASSERT_TRUE(json_is_object(body.get())) << received[3].body;
  EXPECT_STREQ(json_string_value(json_object_get(body.get(), "type")), "incident.opened");
  EXPECT_STREQ(json_string_value(json_object_get(body.get(), "org")), "acme");
  EXPECT_STREQ(
      json_string_value(json_object_get(body.get(), "text")),
      "\xF0\x9F\x94\xB4 acme/web is down: 3 failures since 22:23:04 UTC (incident in_abc)");
  EXPECT_STREQ(
      json_string_value(json_object_get(json_object_get(body.get(), "incident"), "opened_at")),
      "2023-11-14T22:23:04.000Z");

  const auto deliveries = DeliveriesOf(endpoint);
  ASSERT_EQ(deliveries.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    auto f = deliveries[i].fields;
    EXPECT_EQ(f["msg"], msg);
    EXPECT_EQ(f["webhook_id"], webhook_id);
    EXPECT_EQ(f["attempt"], std::to_string(i + 1));
    EXPECT_EQ(f["status"], i < 3 ? "500" : "200");
    EXPECT_EQ(f["outcome"], i < 3 ? "retry" : "delivered");
    EXPECT_EQ(f["type"], "incident_opened");
    EXPECT_EQ(f["app"], "web");
    EXPECT_EQ(f["next_retry"].empty(), i == 3);
  }
  EXPECT_EQ(Pending(endpoint), 0);
  auto state = Cmd(Key("notifystate"), {"HGET", Key("notifystate"), endpoint});
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->is_nil());
  // Counted just after the attempt is logged.
  std::string metrics;
  EXPECT_TRUE(WaitUntil(
      [&] {
        metrics = Get(stack_->port(), "/metrics").body;
        return MetricSample(metrics, "onep_notifications_total{outcome=\"delivered\"}") >= 1;
      },
      seconds(10)));
  EXPECT_EQ(MetricSample(metrics, "onep_notifications_total{outcome=\"retry\"}"), 3);
  EXPECT_EQ(MetricSample(metrics, "onep_notifications_total{outcome=\"delivered\"}"), 1);
  EXPECT_EQ(MetricSample(metrics, "onep_notifications_total{outcome=\"failed\"}"), 0);
  EXPECT_NE(stack_->apache().ErrorLog().find("ONEP0401: notification " + webhook_id),
            std::string::npos);
}

// (e) Five notifications to one endpoint that fails each twice first: they
// arrive in outbox order, the next only after the one before was delivered.
TEST_F(NotifyTest, OrderPerEndpointHoldsThroughRetries) {
  StartStack();
  const std::string endpoint = AddEndpoint(receiver_->Url("/fail/2"));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(WebhookId(endpoint, AddOpened("web", "in_" + std::to_string(i))));
  }
  ASSERT_TRUE(WaitUntil([&] { return ReceivedAt("/fail/2").size() >= 15; }, seconds(60)));
  const auto received = ReceivedAt("/fail/2");
  ASSERT_EQ(received.size(), 15u);
  for (std::size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].id, ids[i / 3]) << i;
    EXPECT_EQ(received[i].answer, i % 3 == 2 ? "200" : "500") << i;
    EXPECT_TRUE(received[i].verified) << i;
  }
}

// A test notification goes only to its endpoint; another endpoint's group
// acknowledges it without sending.
TEST_F(NotifyTest, ATestNotificationGoesToItsEndpointOnly) {
  StartStack();
  const std::string mine = AddEndpoint(receiver_->Url("/ok"));
  const std::string other = AddEndpoint(receiver_->Url("/redirect"));
  const std::string msg = AddTest(mine);
  ASSERT_TRUE(
      WaitUntil([&] { return !DeliveriesOf(mine).empty() && Pending(other) == 0; }, seconds(30)));
  // The other group has read past it.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto info = Cmd(Key("outbox"), {"XINFO", "GROUPS", Key("outbox")});
        if (!info.ok()) return false;
        for (const Reply& g : info->elements) {
          for (std::size_t i = 0; i + 1 < g.elements.size(); i += 2) {
            if (g.elements[i].str == "last-delivered-id" && g.elements[i + 1].str == msg) {
              bool is_other = false;
              for (std::size_t j = 0; j + 1 < g.elements.size(); j += 2) {
                if (g.elements[j].str == "name" && g.elements[j + 1].str == other) is_other = true;
              }
              if (is_other) return true;
            }
          }
        }
        return false;
      },
      seconds(10)));
  const auto received = receiver_->Log();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].path, "/ok");
  EXPECT_EQ(received[0].id, WebhookId(mine, msg));
  EXPECT_NE(received[0].body.find("\"text\":\"onep test notification for acme\""),
            std::string::npos)
      << received[0].body;
  EXPECT_TRUE(DeliveriesOf(other).empty());
}

// (d) A redirect is an answer, not followed: the attempt is a retry with
// status 302, and /ok never sees the notification.
TEST_F(NotifyTest, ARedirectIsNotFollowed) {
  StartStack();
  const std::string endpoint = AddEndpoint(receiver_->Url("/redirect"));
  AddOpened("web", "in_r");
  ASSERT_TRUE(WaitUntil([&] { return DeliveriesOf(endpoint).size() >= 2; }, seconds(30)));
  auto first = DeliveriesOf(endpoint)[0].fields;
  EXPECT_EQ(first["status"], "302");
  EXPECT_EQ(first["outcome"], "retry");
  EXPECT_EQ(first["error"], "HTTP 302");
  EXPECT_TRUE(ReceivedAt("/ok").empty());
}

// (d) Without OnepNotifyAllowPrivate, a loopback URL is refused before any
// connection: failed at its first attempt, with the reason, acknowledged.
TEST_F(NotifyTest, ALoopbackUrlIsRefusedAndFailed) {
  StartStack(/*allow_private=*/false);
  const std::string endpoint = AddEndpoint(receiver_->Url("/ok"));
  const std::string msg = AddOpened("web", "in_l");
  ASSERT_TRUE(WaitUntil([&] { return !DeliveriesOf(endpoint).empty(); }, seconds(30)));
  auto d = DeliveriesOf(endpoint);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].fields["outcome"], "failed");
  EXPECT_EQ(d[0].fields["status"], "");
  EXPECT_EQ(d[0].fields["error"],
            "refused: 127.0.0.1 is a loopback address; OnepNotifyAllowPrivate On allows it");
  // Final: acknowledged, no state left for a retry.
  EXPECT_EQ(Pending(endpoint), 0);
  auto state = Cmd(Key("notifystate"), {"HGET", Key("notifystate"), endpoint});
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->is_nil());
  EXPECT_TRUE(receiver_->Log().empty());
  EXPECT_NE(stack_->apache().ErrorLog().find("ONEP0402: notification " + WebhookId(endpoint, msg)),
            std::string::npos);
}

// (b) Apache killed (SIGKILL, parent and children) while the receiver holds
// the first of three notifications: once started again, every one arrives,
// the first again under its webhook-id, in order, none under another id.
TEST_F(NotifyTest, NothingIsLostWhenApacheIsKilledMidDelivery) {
  StartStack();
  const std::string endpoint = AddEndpoint(receiver_->Url("/hold"));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(WebhookId(endpoint, AddOpened("web", "in_k" + std::to_string(i))));
  }
  ASSERT_TRUE(WaitUntil([&] { return !ReceivedAt("/hold").empty(); }, seconds(30)));
  stack_->apache().Kill();
  receiver_->Release();
  ASSERT_TRUE(stack_->apache().Start());
  // The first is leased for 15 s to the dead deliverer, then taken again.
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::set<std::string> seen;
        for (const auto& r : ReceivedAt("/hold")) seen.insert(r.id);
        return seen.size() == 3 && DeliveriesOf(endpoint).size() >= 3;
      },
      seconds(60)))
      << stack_->apache().ErrorLog();
  const auto received = ReceivedAt("/hold");
  std::vector<std::string> first_seen;
  for (const auto& r : received) {
    EXPECT_TRUE(r.verified);
    EXPECT_NE(std::find(ids.begin(), ids.end(), r.id), ids.end()) << r.id;
    if (std::find(first_seen.begin(), first_seen.end(), r.id) == first_seen.end()) {
      first_seen.push_back(r.id);
    }
  }
  EXPECT_EQ(first_seen, ids);
  EXPECT_EQ(received[0].id, ids[0]);
  EXPECT_EQ(received[1].id, ids[0]) << "the first is sent again after the crash";
  for (const Entry& d : DeliveriesOf(endpoint)) EXPECT_EQ(d.fields.at("outcome"), "delivered");
  EXPECT_EQ(Pending(endpoint), 0);
}

// From end to end: an endpoint added as `onepctl notify add` adds it, a
// failure over HTTP opens an incident and a hit resolves it (the record
// script writes both to the outbox), `notify test` adds a test: the three
// arrive in that order, signed with the endpoint's own secret.
TEST_F(NotifyTest, AnIncidentOpenedAndResolvedOverHttpIsDelivered) {
  StartStack();
  NotifyStore store{KeySpace("onep:")};
  auto added = store.Add(stack_->client(), *key_, "acme", receiver_->Url("/ok"),
                         /*allow_http=*/true, "tester");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  WriteFile(secret_file_, added->secret);
  ASSERT_EQ(
      PostJson(stack_->port(), "/onep/failures", token_, R"({"error":"boom","count":1})").status,
      202);
  ASSERT_EQ(PostJson(stack_->port(), "/onep/hits", token_, R"({"count":1})").status, 202);
  auto test = store.Test(stack_->client(), added->endpoint.id, "tester");
  ASSERT_TRUE(test.ok()) << test.status().ToString();
  ASSERT_TRUE(WaitUntil([&] { return ReceivedAt("/ok").size() >= 3; }, seconds(30)))
      << stack_->apache().ErrorLog();
  const auto received = ReceivedAt("/ok");
  ASSERT_EQ(received.size(), 3u);
  const char* types[] = {"incident.opened", "incident.resolved", "test"};
  std::string incident_id;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(received[i].verified) << i;
    JsonPtr body(json_loads(received[i].body.c_str(), 0, nullptr));
    ASSERT_TRUE(json_is_object(body.get())) << received[i].body;
    EXPECT_STREQ(json_string_value(json_object_get(body.get(), "type")), types[i]);
    const json_t* incident = json_object_get(body.get(), "incident");
    if (i == 0) incident_id = json_string_value(json_object_get(incident, "id"));
    if (i < 2) {
      EXPECT_EQ(json_string_value(json_object_get(incident, "id")), incident_id);
      EXPECT_STREQ(json_string_value(json_object_get(incident, "first_error")), "boom");
    } else {
      EXPECT_TRUE(json_is_null(incident));
    }
  }
  EXPECT_EQ(received[2].id, WebhookId(added->endpoint.id, *test));
  EXPECT_NE(received[0].body.find("acme/web is down: 1 failure since "), std::string::npos)
      << received[0].body;
  EXPECT_NE(received[1].body.find("acme/web recovered after "), std::string::npos)
      << received[1].body;
  // Each attempt is logged once its answer is in: the receiver may have
  // answered the last one a moment before.
  DeliveryQuery query;
  query.org = "acme";
  std::vector<Delivery> deliveries;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto read = store.Deliveries(stack_->client(), query);
        if (read.ok()) deliveries = *read;
        return deliveries.size() >= 3;
      },
      seconds(10)));
  ASSERT_EQ(deliveries.size(), 3u);
  for (const Delivery& d : deliveries) EXPECT_EQ(d.outcome, "delivered");
}

long VmRssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// (c) An endpoint that never answers and one that answers 1 GB: the child
// that delivers keeps its memory, another endpoint is served meanwhile, and
// webhooks are accepted as fast as ever.
TEST_F(NotifyTest, ASlowOrHugeAnswerCostsNeitherMemoryNorWebhooks) {
  StartStack();
  const std::string ok = AddEndpoint(receiver_->Url("/ok"));
  AddOpened("web", "in_warm");
  ASSERT_TRUE(WaitUntil([&] { return !DeliveriesOf(ok).empty(); }, seconds(30)));
  const auto pids = stack_->apache().PidsInLog("ONEP0405");
  ASSERT_EQ(pids.size(), 1u) << stack_->apache().ErrorLog();
  const pid_t deliverer = static_cast<pid_t>(pids[0]);
  const long before_kb = VmRssKb(deliverer);

  const std::string never = AddEndpoint(receiver_->Url("/never"));
  const std::string huge = AddEndpoint(receiver_->Url("/huge"));
  for (int i = 0; i < 3; ++i) AddOpened("web", "in_h" + std::to_string(i));
  ASSERT_TRUE(WaitUntil([&] { return !ReceivedAt("/never").empty(); }, seconds(30)));
  // Webhooks while the deliverer holds both.
  long worst_ms = 0;
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(PostJson(stack_->port(), "/onep/hits", token_, R"({"count":1})").status, 202);
    worst_ms = std::max<long>(
        worst_ms,
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count());
  }
  // The huge answers end at 64 KB; the /ok endpoint gets its three while
  // /never is still held.
  ASSERT_TRUE(WaitUntil(
      [&] { return DeliveriesOf(huge).size() >= 3 && DeliveriesOf(ok).size() >= 4; }, seconds(30)));
  EXPECT_TRUE(DeliveriesOf(never).empty()) << "the never-answering one is still in flight";
  // Then /never times out after 10 s: a retry.
  ASSERT_TRUE(WaitUntil([&] { return !DeliveriesOf(never).empty(); }, seconds(30)));
  auto timed_out = DeliveriesOf(never)[0].fields;
  EXPECT_EQ(timed_out["outcome"], "retry");
  EXPECT_EQ(timed_out["error"], "timed out");
  EXPECT_GE(std::atol(timed_out["duration_ms"].c_str()), 9000);
  for (const Entry& d : DeliveriesOf(huge)) {
    EXPECT_EQ(d.fields.at("status"), "200");
    EXPECT_EQ(d.fields.at("error"), "the answer is larger than 64 KB");
  }
  // Each 1 GB answer was cut off early: what the receiver could write went
  // into socket buffers, a few MB at most.
  ASSERT_TRUE(WaitUntil([&] { return ReceivedAt("/huge-sent").size() >= 3; }, seconds(30)));
  for (const Received& r : ReceivedAt("/huge-sent")) {
    std::cout << "1 GB answer cut off after " << r.answer << " bytes\n";
    EXPECT_LT(std::atoll(r.answer.c_str()), 16LL << 20);
  }
  const long after_kb = VmRssKb(deliverer);
  std::cout << "deliverer child VmRSS before " << before_kb << " kB, after " << after_kb
            << " kB; worst webhook " << worst_ms << " ms\n";
  EXPECT_LT(after_kb - before_kb, 16 * 1024);
  EXPECT_LT(worst_ms, 2000);
}

}  // namespace
}  // namespace onep::testing
