// SPDX-License-Identifier: Apache-2.0
// onepctl's pure output helpers: tables, sanitizing, times, JSON shapes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "output.h"

namespace onep::cli {
namespace {

std::vector<std::string> Keys(const json_t* object) {
  std::vector<std::string> keys;
  const char* key;
  json_t* value;
  json_object_foreach(const_cast<json_t*>(object), key, value) keys.push_back(key);
  return keys;
}

Credential SampleCredential() {
  Credential c;
  c.id = "wh_4fQx9TbR2kLm8ZpA";
  c.org = "acme";
  c.type = CredentialType::kDeploy;
  c.name = "CI deploys";
  c.app = "api";
  c.created_at_ms = 1795773600000;  // 2026-11-27T10:00:00Z
  c.token_hint = "\xE2\x80\xA6WXYZ";
  return c;
}

TEST(CliOutputTest, TableAlignsColumnsAndDoesNotPadTheLastOne) {
  Table table({"ID", "NAME", "STATE"});
  table.AddRow({"wh_1", "a much longer name", "active"});
  table.AddRow({"wh_22", "x", "expired"});
  EXPECT_EQ(table.Render(),
            "ID     NAME                STATE\n"
            "wh_1   a much longer name  active\n"
            "wh_22  x                   expired\n");
}

TEST(CliOutputTest, TableCountsUtf8CodePointsAsColumns) {
  Table table({"NAME", "X"});
  table.AddRow({"d\xC3\xA9ploiement", "1"});  // déploiement: 11 columns, 12 bytes
  table.AddRow({"abc", "2"});
  EXPECT_EQ(table.Render(),
            "NAME         X\n"
            "d\xC3\xA9ploiement  1\n"
            "abc          2\n");
}

TEST(CliOutputTest, TableSanitizesCellsAndDropsTrailingSpaces) {
  Table table({"A", "B"});
  table.AddRow({"evil\x1b[2J", ""});
  EXPECT_EQ(table.Render(), "A         B\nevil?[2J\n");
}

TEST(CliOutputTest, SanitizeReplacesControlsBidiOverridesAndBadUtf8) {
  EXPECT_EQ(SanitizeForTerminal("plain text \xE2\x80\xA6"), "plain text \xE2\x80\xA6");
  EXPECT_EQ(SanitizeForTerminal("a\nb\tc\x7f"), "a?b?c?");
  EXPECT_EQ(SanitizeForTerminal("\xC2\x9B"
                                "31m"),
            "?31m");                                        // C1 CSI
  EXPECT_EQ(SanitizeForTerminal("x\xE2\x80\xAEy"), "x?y");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(SanitizeForTerminal("\xFF\xC3"), "??");         // invalid, truncated
}

TEST(CliOutputTest, DisplayWidthCountsCodePoints) {
  EXPECT_EQ(DisplayWidth(""), 0u);
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("\xE2\x80\xA6WXYZ"), 5u);
}

TEST(CliOutputTest, KeyValueBlockAlignsValues) {
  EXPECT_EQ(KeyValueBlock({{"id", "wh_1"}, {"token_hint", "x"}}),
            "id:          wh_1\n"
            "token_hint:  x\n");
}

TEST(CliOutputTest, HumanTimeIsRfc3339ToTheSecond) {
  EXPECT_EQ(HumanTime(1795773600123), "2026-11-27T10:00:00Z");
  EXPECT_EQ(HumanTime(std::nullopt), "-");
  EXPECT_EQ(HumanTime(std::nullopt, "never"), "never");
}

TEST(CliOutputTest, HumanRateIsAPercentage) {
  EXPECT_EQ(HumanRate(std::nullopt), "-");
  EXPECT_EQ(HumanRate(0.0), "0%");
  EXPECT_EQ(HumanRate(0.25), "25%");
  EXPECT_EQ(HumanRate(1.0 / 3.0), "33.33%");
  EXPECT_EQ(HumanRate(1.0), "100%");
}

TEST(CliOutputTest, EventDetailsQuotesOnlyWhenNeededAndCutsLongValues) {
  EXPECT_EQ(EventDetails(R"({"count":3,"message":"ok"})"), "count=3 message=ok");
  EXPECT_EQ(EventDetails(R"({"error":"disk full","flag":true})"), R"(error="disk full" flag=true)");
  EXPECT_EQ(EventDetails(R"({"m":""})"), R"(m="")");
  std::string details = EventDetails("{\"m\":\"" + std::string(200, 'x') + "\"}");
  EXPECT_EQ(DisplayWidth(details), 2u + 60u);
  EXPECT_EQ(details.substr(details.size() - 3), "\xE2\x80\xA6");
  EXPECT_EQ(EventDetails("not json"), "not json");
  // A test event says so first.
  EXPECT_EQ(EventDetails(R"({"count":1,"test":true})"), "test count=1");
  EXPECT_EQ(EventDetails(R"({"test":true})"), "test");
}

TEST(CliOutputTest, CredentialJsonHasTheContractKeysWithNulls) {
  Credential c = SampleCredential();
  JsonPtr json = CredentialJson(c, c.created_at_ms + 1);
  EXPECT_EQ(Keys(json.get()),
            (std::vector<std::string>{"id", "org", "type", "name", "app", "token_hint",
                                      "created_at", "rotated_at", "last_used_at", "expires_at",
                                      "state", "previous_token_valid_until"}));
  EXPECT_EQ(JsonDump(json.get()),
            "{\"id\":\"wh_4fQx9TbR2kLm8ZpA\",\"org\":\"acme\",\"type\":\"deploy\","
            "\"name\":\"CI deploys\",\"app\":\"api\",\"token_hint\":\"\xE2\x80\xA6WXYZ\","
            "\"created_at\":\"2026-11-27T10:00:00.000Z\",\"rotated_at\":null,"
            "\"last_used_at\":null,\"expires_at\":null,\"state\":\"active\","
            "\"previous_token_valid_until\":null}");
  c.app.clear();
  c.expires_at_ms = c.created_at_ms;
  json = CredentialJson(c, c.created_at_ms + 1);
  EXPECT_TRUE(json_is_null(json_object_get(json.get(), "app")));
  EXPECT_STREQ(json_string_value(json_object_get(json.get(), "state")), "expired");
  EXPECT_STREQ(json_string_value(json_object_get(json.get(), "expires_at")),
               "2026-11-27T10:00:00.000Z");
}

TEST(CliOutputTest, IssuedJsonAddsTokenCurlsAndTheExpectedReply) {
  IssuedCredential issued{SampleCredential(), "onep_secret"};
  JsonPtr json = IssuedJson(issued, {{"hits", "curl h"}, {"failures", "curl f"}}, 0);
  std::vector<std::string> keys = Keys(json.get());
  ASSERT_EQ(keys.size(), 16u);
  EXPECT_EQ(keys[12], "token");
  EXPECT_EQ(keys[13], "curl");
  EXPECT_EQ(keys[14], "curls");
  EXPECT_EQ(keys[15], "expected_reply");
  EXPECT_EQ(JsonDump(json_object_get(json.get(), "curls")),
            R"({"hits":"curl h","failures":"curl f"})");
  EXPECT_STREQ(json_string_value(json_object_get(json.get(), "curl")), "curl h");
  EXPECT_STREQ(json_string_value(json_object_get(json.get(), "expected_reply")),
               R"(HTTP 202 {"ok":true,"id":"...","credential":"...","test":true,"note":"..."})");
}

TEST(CliOutputTest, CredentialRowsFollowTheJsonKeys) {
  KeyValues rows = CredentialRows(SampleCredential(), 0);
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_EQ(rows[0], (std::pair<std::string, std::string>{"id", "wh_4fQx9TbR2kLm8ZpA"}));
  EXPECT_EQ(rows[7].second, "never");  // rotated_at
}

TEST(CliOutputTest, EventJsonMergesFieldsWithoutOverridingTheBaseKeys) {
  StoredEvent e;
  e.id = "1795773600000-0";
  e.type = "hit";
  e.credential = "wh_4fQx9TbR2kLm8ZpA";
  e.time_ms = 1795773600000;
  e.fields_json = R"({"count":2,"message":"ok","id":"spoofed"})";
  JsonPtr json = EventJson(e);
  EXPECT_EQ(JsonDump(json.get()),
            R"({"id":"1795773600000-0","type":"hit","credential":"wh_4fQx9TbR2kLm8ZpA",)"
            R"("app":null,"time":"2026-11-27T10:00:00.000Z","count":2,"message":"ok"})");
}

TEST(CliOutputTest, StatsJsonHasARateOrNull) {
  AppStats s;
  s.app = "api";
  s.hits = 3;
  s.failures = 1;
  s.deploys = 2;
  s.failure_rate = 0.25;
  EXPECT_EQ(JsonDump(StatsJson(s).get()),
            R"({"app":"api","hits":3,"failures":1,"failure_rate":0.25,"deploys":2})");
  s.failure_rate.reset();
  EXPECT_TRUE(json_is_null(json_object_get(StatsJson(s).get(), "failure_rate")));
}

TEST(CliOutputTest, AuditAndOrgJsonShapes) {
  AuditEntry a;
  a.time_ms = 1795773600000;
  a.action = "rotate";
  a.credential = "wh_4fQx9TbR2kLm8ZpA";
  a.actor = "alice";
  EXPECT_EQ(JsonDump(AuditJson(a).get()),
            R"({"time":"2026-11-27T10:00:00.000Z","action":"rotate",)"
            R"("credential":"wh_4fQx9TbR2kLm8ZpA","actor":"alice","name":null,)"
            R"("previous_name":null,"grace_ms":null,"expires_at":null,"app":null,)"
            R"("changes":null})");
  AuditEntry m;
  m.time_ms = 1795773600000;
  m.action = "monitor";
  m.actor = "alice";
  m.app = "web";
  m.changes = R"({"hits_to_close":2})";
  m.pause = "1";
  EXPECT_EQ(JsonDump(AuditJson(m).get()),
            R"({"time":"2026-11-27T10:00:00.000Z","action":"monitor","credential":"",)"
            R"("actor":"alice","name":null,"previous_name":null,"grace_ms":null,)"
            R"("expires_at":null,"app":"web","changes":{"hits_to_close":2,"paused":true}})");
  EXPECT_EQ(AuditDetails(m), "app web, hits_to_close 2, paused");
  OrgSummary o{"acme", 2, 40};
  EXPECT_EQ(JsonDump(OrgJson(o).get()), R"({"org":"acme","credentials":2,"events":40})");
  std::vector<OrgSummary> orgs = {o, o};
  EXPECT_EQ(json_array_size(JsonArrayOf(orgs, OrgJson).get()), 2u);
}

}  // namespace
}  // namespace onep::cli
