// SPDX-License-Identifier: Apache-2.0
// onepctl notify add|list|remove|test and deliveries: the secret shown once
// and never again, the key file's rules, the outbox entry of a test.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "cli_fixture.h"
#include "onep/notify_store.h"

namespace onep::testing {
namespace {

constexpr const char* kKeyHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

class CliNotifyTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    char tmpl[] = "/tmp/onep-cli-notify-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    key_file_ = KeyFile("secret.key", std::string(kKeyHex) + "\n", 0600);
  }
  void TearDown() override {
    for (const std::string& f : files_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string KeyFile(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    files_.push_back(path);
    return path;
  }
  std::string Tag() {
    auto reply = redis_->Command("onep:orgtags", {"HGET", "onep:orgtags", "acme"});
    return reply.ok() ? reply->str : "";
  }
  JsonPtr Add(const std::string& url = "https://hooks.example.com/onep") {
    return CtlJson(
        {"notify", "add", "--org", "acme", "--url", url, "--secret-key-file", key_file_});
  }

  std::string dir_, key_file_;
  std::vector<std::string> files_;
};

TEST_F(CliNotifyTest, AddPrintsTheSecretOnceAndListNeverShowsIt) {
  Create("acme", "hits", "web", "web");
  RunResult human = Ctl({"notify", "add", "--org", "acme", "--url", "https://hooks.example.com/a",
                         "--secret-key-file", key_file_});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  const std::size_t at = human.out.find("whsec_");
  ASSERT_NE(at, std::string::npos) << human.out;
  const std::string secret = human.out.substr(at, 6 + 44);
  EXPECT_EQ(Count(human.out, secret), 1u) << human.out;

  JsonPtr added = Add();
  EXPECT_EQ(Keys(added.get()),
            (std::vector<std::string>{"id", "org", "url", "created_at", "secret"}));
  EXPECT_EQ(Str(added.get(), "org"), "acme");
  EXPECT_EQ(Str(added.get(), "url"), "https://hooks.example.com/onep");
  EXPECT_EQ(Str(added.get(), "id").rfind("ne_" + Tag(), 0), 0u);
  EXPECT_EQ(Str(added.get(), "secret").rfind("whsec_", 0), 0u);

  RunResult list = Ctl({"notify", "list", "--org", "acme", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find("whsec_"), std::string::npos);
  EXPECT_EQ(list.out.find(secret.substr(6)), std::string::npos);
  JsonPtr array = ParseJson(list.out);
  ASSERT_EQ(json_array_size(array.get()), 2u);
  const json_t* second = json_array_get(array.get(), 1);
  EXPECT_EQ(Keys(second),
            (std::vector<std::string>{"id", "org", "url", "created_at", "last_delivery"}));
  EXPECT_EQ(Str(second, "id"), Str(added.get(), "id"));
  EXPECT_TRUE(json_is_null(json_object_get(second, "last_delivery")));
  RunResult table = Ctl({"notify", "list", "--org", "acme"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_EQ(table.out.find("whsec_"), std::string::npos);
  EXPECT_NE(table.out.find("https://hooks.example.com/a"), std::string::npos);

  // The audit trail has the add, with the URL, and not the secret.
  const std::string audit = "onep:{" + Tag() + "}:audit";
  auto entries = redis_->Command(audit, {"XRANGE", audit, "-", "+"});
  ASSERT_TRUE(entries.ok());
  std::string all;
  for (const Reply& e : entries->elements) {
    for (const Reply& f : e.elements[1].elements) all += f.str + " ";
  }
  EXPECT_EQ(Count(all, "notify_add"), 2u);
  EXPECT_NE(all.find("https://hooks.example.com/a"), std::string::npos);
  EXPECT_EQ(all.find("whsec_"), std::string::npos);
}

TEST_F(CliNotifyTest, AKeyFileOthersMayReadOrThatIsMissingIsAOneLineErrorExit2) {
  Create("acme", "hits", "web", "web");
  const std::string open = KeyFile("open.key", kKeyHex, 0644);
  RunResult r = Ctl({"notify", "add", "--org", "acme", "--url", "https://h.example.com/",
                     "--secret-key-file", open});
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneErrorLine(r);
  EXPECT_NE(r.err.find("has mode 0644"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(kKeyHex), std::string::npos);

  r = Ctl({"notify", "add", "--org", "acme", "--url", "https://h.example.com/"},
          {{"ONEP_SECRET_KEY_FILE", dir_ + "/none.key"}});
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneErrorLine(r);
  EXPECT_NE(r.err.find("none.key"), std::string::npos) << r.err;

  const std::string short_key = KeyFile("short.key", "abcd\n", 0600);
  r = Ctl({"notify", "add", "--org", "acme", "--url", "https://h.example.com/", "--secret-key-file",
           short_key});
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneErrorLine(r);
  EXPECT_NE(r.err.find("64 hex characters"), std::string::npos) << r.err;

  // From the environment: accepted.
  r = Ctl({"notify", "add", "--org", "acme", "--url", "https://h.example.com/"},
          {{"ONEP_SECRET_KEY_FILE", key_file_}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Nothing was added by the refused ones.
  EXPECT_EQ(redis_->Command("x", {"HLEN", "onep:{" + Tag() + "}:notify"})->integer, 1);
}

TEST_F(CliNotifyTest, HttpOnlyWithAllowHttpAndAnUnknownOrgIsExit3) {
  Create("acme", "hits", "web", "web");
  RunResult r = Ctl({"notify", "add", "--org", "acme", "--url", "http://h.example.com/",
                     "--secret-key-file", key_file_});
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneErrorLine(r);
  r = Ctl({"notify", "add", "--org", "acme", "--url", "http://h.example.com/", "--allow-http",
           "--secret-key-file", key_file_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Ctl({"notify", "add", "--org", "nobody", "--url", "https://h.example.com/",
           "--secret-key-file", key_file_});
  EXPECT_EQ(r.exit_code, 3);
  ExpectOneErrorLine(r);
}

TEST_F(CliNotifyTest, TestWritesAnOutboxEntryAndRemoveTakesTheEndpoint) {
  Create("acme", "hits", "web", "web");
  const std::string id = Str(Add().get(), "id");
  JsonPtr test = CtlJson({"notify", "test", id});
  EXPECT_EQ(Keys(test.get()), std::vector<std::string>{"outbox_id"});
  const std::string entry = Str(test.get(), "outbox_id");
  const std::string outbox = "onep:{" + Tag() + "}:outbox";
  auto entries = redis_->Command(outbox, {"XRANGE", outbox, "-", "+"});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->elements.size(), 1u);
  EXPECT_EQ(entries->elements[0].elements[0].str, entry);
  const auto& f = entries->elements[0].elements[1].elements;
  std::map<std::string, std::string> fields;
  for (std::size_t i = 0; i + 1 < f.size(); i += 2) fields[f[i].str] = f[i + 1].str;
  EXPECT_EQ(fields["type"], "test");
  EXPECT_EQ(fields["endpoint"], id);
  EXPECT_EQ(fields["org"], "acme");

  RunResult removed = Ctl({"notify", "remove", id});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  RunResult again = Ctl({"notify", "remove", id});
  EXPECT_EQ(again.exit_code, 3);
  ExpectOneErrorLine(again);
  EXPECT_EQ(Ctl({"notify", "test", id}).exit_code, 3);
  EXPECT_EQ(redis_->Command(outbox, {"EXISTS", outbox})->integer, 0);
}

TEST_F(CliNotifyTest, DeliveriesNewestFirstWithTheContractKeys) {
  Create("acme", "hits", "web", "web");
  const std::string id = Str(Add().get(), "id");
  const std::string deliveries = "onep:{" + Tag() + "}:deliveries";
  for (const char* outcome : {"retry", "delivered"}) {
    ASSERT_TRUE(redis_
                    ->Command(deliveries, {"XADD",
                                           deliveries,
                                           "*",
                                           "endpoint",
                                           id,
                                           "msg",
                                           "1-0",
                                           "webhook_id",
                                           "msg_" + id + "_1-0",
                                           "type",
                                           "incident_opened",
                                           "app",
                                           "web",
                                           "attempt",
                                           outcome == std::string("retry") ? "1" : "2",
                                           "time",
                                           "1767263400000",
                                           "status",
                                           outcome == std::string("retry") ? "" : "200",
                                           "error",
                                           outcome == std::string("retry") ? "timed out" : "",
                                           "duration_ms",
                                           "30",
                                           "outcome",
                                           outcome,
                                           "next_retry",
                                           outcome == std::string("retry") ? "1767263405000" : ""})
                    .ok());
  }
  JsonPtr list = CtlJson({"deliveries", "--org", "acme"});
  ASSERT_EQ(json_array_size(list.get()), 2u);
  const json_t* newest = json_array_get(list.get(), 0);
  EXPECT_EQ(Keys(newest),
            (std::vector<std::string>{"time", "endpoint", "webhook_id", "type", "app", "attempt",
                                      "status", "error", "duration_ms", "outcome", "next_retry"}));
  EXPECT_EQ(Str(newest, "outcome"), "delivered");
  EXPECT_EQ(json_integer_value(json_object_get(newest, "status")), 200);
  EXPECT_TRUE(json_is_null(json_object_get(newest, "error")));
  EXPECT_TRUE(json_is_null(json_object_get(newest, "next_retry")));
  const json_t* oldest = json_array_get(list.get(), 1);
  EXPECT_TRUE(json_is_null(json_object_get(oldest, "status")));
  EXPECT_EQ(Str(oldest, "error"), "timed out");
  EXPECT_EQ(Str(oldest, "next_retry"), "2026-01-01T10:30:05.000Z");
  EXPECT_EQ(json_array_size(CtlJson({"deliveries", "--org", "acme", "--limit", "1"}).get()), 1u);
  RunResult table = Ctl({"deliveries", "--org", "acme", "--endpoint", id});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("timed out"), std::string::npos);
  EXPECT_EQ(Ctl({"deliveries", "--org", "acme", "--endpoint", "bogus"}).exit_code, 2);
  // list shows the newest as the endpoint's last delivery.
  JsonPtr endpoints = CtlJson({"notify", "list", "--org", "acme"});
  const json_t* last = json_object_get(json_array_get(endpoints.get(), 0), "last_delivery");
  EXPECT_EQ(Str(last, "outcome"), "delivered");
}

}  // namespace
}  // namespace onep::testing
