// SPDX-License-Identifier: Apache-2.0
#include "onep/event.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "onep/json.h"

namespace onep {
namespace {

constexpr int64_t kNow = 1795773600000;  // 2026-11-27T10:00:00Z

const EventType kHit = EventType::kHit;
const EventType kFailure = EventType::kFailure;
const EventType kDeploy = EventType::kDeploy;

TEST(EventTypeTest, NamesRoundTrip) {
  EXPECT_STREQ(EventTypeName(kHit), "hit");
  EXPECT_STREQ(EventTypeName(kFailure), "failure");
  EXPECT_STREQ(EventTypeName(kDeploy), "deploy");
  for (EventType type : {kHit, kFailure, kDeploy}) {
    auto parsed = ParseEventType(EventTypeName(type));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, type);
  }
  for (const char* bad : {"", "hits", "Hit", "deploys", "failures", "hit "}) {
    EXPECT_FALSE(ParseEventType(bad).has_value()) << bad;
  }
}

// ---- accepted bodies -------------------------------------------------------

struct GoodCase {
  EventType type;
  std::string body;
  std::string fields_json;
  std::string app = "";
  int64_t time_ms = 0;
  int64_t count = 1;
  std::string deploy_id = "";
};

TEST(ParseEventTest, AcceptsValidBodies) {
  const std::vector<GoodCase> cases = {
      // hits
      {kHit, R"({})", R"({"count":1})"},
      {kHit, " \n{ } \n", R"({"count":1})"},
      {kHit, R"({"app":"shop"})", R"({"count":1})", "shop"},
      {kHit, R"({"app":"shop","count":3})", R"({"count":3})", "shop", 0, 3},
      {kHit, R"({"count":1})", R"({"count":1})"},
      {kHit, R"({"count":10000})", R"({"count":10000})", "", 0, 10000},
      {kHit, R"({"message":"nightly job ok","app":"batch-1"})",
       R"({"count":1,"message":"nightly job ok"})", "batch-1"},
      {kHit, R"({"message":""})", R"({"count":1,"message":""})"},
      {kHit, R"({"message":"line one\nline two\t\u001b[0m"})",
       R"({"count":1,"message":"line one\nline two\t\u001B[0m"})"},
      {kHit, R"({"message":"caf\u00e9 \u2603 日本"})", R"({"count":1,"message":"café ☃ 日本"})"},
      {kHit, R"({"timestamp":"2026-11-27T09:59:59.500Z"})", R"({"count":1})", "", kNow - 500},
      {kHit, R"({"timestamp":"2026-11-27T11:00:00+01:00"})", R"({"count":1})", "", kNow},
      {kHit, R"({"timestamp":"2026-10-28T10:00:00Z"})", R"({"count":1})", "",
       kNow - kMaxEventAgeMs},
      {kHit, R"({"timestamp":"2026-11-27T11:00:00Z"})", R"({"count":1})", "",
       kNow + kMaxEventSkewMs},
      {kHit, R"({"timestamp":"2026-11-27t10:00:00z","count":2,"app":"a"})", R"({"count":2})", "a",
       kNow, 2},
      // failures
      {kFailure, R"({})", R"({"count":1})"},
      {kFailure, R"({"error":"disk full","message":"backup","count":2,"app":"backup"})",
       R"({"count":2,"message":"backup","error":"disk full"})", "backup", 0, 2},
      {kFailure, R"({"error":"E"})", R"({"count":1,"error":"E"})"},
      // deploys
      {kDeploy, R"({"version":"1.2.0"})",
       R"({"version":"1.2.0","environment":"production","status":"succeeded"})"},
      {kDeploy, R"({"version":"v","environment":"staging","status":"failed"})",
       R"({"version":"v","environment":"staging","status":"failed"})"},
      {kDeploy, R"({"status":"rolled_back","version":"2"})",
       R"({"version":"2","environment":"production","status":"rolled_back"})"},
      {kDeploy, R"({"version":"2","status":"started"})",
       R"({"version":"2","environment":"production","status":"started"})"},
      {kDeploy,
       R"({"deploy_id":"gh-123:attempt.2_x","url":"https://ci.example/1","description":"two\nlines","author":"Zoë","repository":"git@github.com:acme/shop.git","commit":"0123abc","version":"1.2.0","app":"shop","timestamp":"2026-11-27T09:00:00Z","started_at":"2026-11-27T08:55:00+00:00","finished_at":"2026-11-27T10:59:00.5+01:00"})",
       "", "shop", kNow - 3600000, 1, "gh-123:attempt.2_x"},
      {kDeploy,
       R"({"version":"1","commit":"","author":"","url":"","repository":"","description":""})",
       R"({"version":"1","environment":"production","status":"succeeded","commit":"","repository":"","author":"","description":"","url":""})"},
      {kDeploy,
       R"({"version":")" + std::string(200, 'v') + R"(","environment":")" + std::string(100, 'e') +
           R"("})",
       R"({"version":")" + std::string(200, 'v') + R"(","environment":")" + std::string(100, 'e') +
           R"(","status":"succeeded"})"},
      {kDeploy, R"({"version":"1","deploy_id":")" + std::string(128, 'd') + R"("})",
       R"({"version":"1","environment":"production","status":"succeeded","deploy_id":")" +
           std::string(128, 'd') + R"("})",
       "", 0, 1, std::string(128, 'd')},
  };
  for (const GoodCase& c : cases) {
    auto event = ParseEvent(c.type, c.body, kNow);
    ASSERT_TRUE(event.ok()) << c.body << " -> " << event.status().ToString();
    EXPECT_EQ(event->type, c.type) << c.body;
    EXPECT_EQ(event->app, c.app) << c.body;
    EXPECT_EQ(event->time_ms, c.time_ms) << c.body;
    EXPECT_EQ(event->count, c.count) << c.body;
    EXPECT_EQ(event->deploy_id, c.deploy_id) << c.body;
    if (!c.fields_json.empty()) {
      EXPECT_EQ(event->fields_json, c.fields_json) << c.body;
    }
  }
}

// The field order of fields_json is fixed, whatever the order in the body;
// times are normalised to UTC milliseconds.
TEST(ParseEventTest, DeployFieldsJsonHasAFixedOrder) {
  const std::string body =
      R"({"deploy_id":"d-1","finished_at":"2026-11-27T10:59:00.5+01:00",)"
      R"("committed_at":"2026-11-27T07:30:00-02:00",)"
      R"("started_at":"2026-11-27T08:55:00+00:00","url":"https://ci/1","description":"d",)"
      R"("author":"Zoë","repository":"r","commit":"c","status":"failed",)"
      R"("environment":"qa","version":"1.2.0","app":"shop","timestamp":"2026-11-27T09:00:00Z"})";
  auto event = ParseEvent(kDeploy, body, kNow);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->fields_json,
            R"({"version":"1.2.0","environment":"qa","status":"failed","commit":"c",)"
            R"("repository":"r","author":"Zoë","description":"d","url":"https://ci/1",)"
            R"("started_at":"2026-11-27T08:55:00.000Z","finished_at":"2026-11-27T09:59:00.500Z",)"
            R"("committed_at":"2026-11-27T09:30:00.000Z","deploy_id":"d-1"})");
  EXPECT_EQ(event->count, 1);
}

TEST(ParseEventTest, HitFieldsJsonHasAFixedOrder) {
  auto event = ParseEvent(kFailure, R"({"error":"e","message":"m","count":5})", kNow);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->fields_json, R"({"count":5,"message":"m","error":"e"})");
}

TEST(ParseEventTest, AnEventOverItsSizeIsRefusedNamingItsLargestField) {
  EventLimits limits;
  limits.max_event_bytes = 60;
  const std::string message(20, 'm'), error(21, 'e');
  const std::string body =
      R"({"app":"web","message":")" + message + R"(","error":")" + error + R"("})";
  // {"count":1,"message":"<20>","error":"<21>"}: 76 bytes.
  auto refused = ParseEvent(kFailure, body, kNow, limits);
  ASSERT_EQ(refused.status().code(), Code::kInvalidEvent);
  EXPECT_EQ(refused.status().message(),
            "the event's fields take 76 bytes as stored, more than 60; shorten error");
  limits.max_event_bytes = 76;  // exactly its size: accepted
  auto fits = ParseEvent(kFailure, body, kNow, limits);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(fits->fields_json.size(), 76u);
}

TEST(ParseEventTest, ATestEventNeedsNoRequiredFieldAndSaysSoInItsFields) {
  auto hit = ParseEvent(kHit, R"({"test":true})", kNow);
  ASSERT_TRUE(hit.ok()) << hit.status().ToString();
  EXPECT_TRUE(hit->test);
  EXPECT_EQ(hit->fields_json, R"({"count":1,"test":true})");
  EXPECT_EQ(hit->app, "");

  auto failure = ParseEvent(kFailure, R"({"error":"test failure","test":true})", kNow);
  ASSERT_TRUE(failure.ok()) << failure.status().ToString();
  EXPECT_EQ(failure->fields_json, R"({"count":1,"error":"test failure","test":true})");

  // No version needed; the defaults still apply.
  auto deploy = ParseEvent(kDeploy, R"({"test":true,"deploy_id":"d-1"})", kNow);
  ASSERT_TRUE(deploy.ok()) << deploy.status().ToString();
  EXPECT_TRUE(deploy->test);
  EXPECT_EQ(deploy->deploy_id, "d-1");
  EXPECT_EQ(deploy->fields_json,
            R"({"environment":"production","status":"succeeded","deploy_id":"d-1","test":true})");

  // false is as if absent: a deploy needs its version again.
  auto not_test = ParseEvent(kHit, R"({"test":false,"app":"shop"})", kNow);
  ASSERT_TRUE(not_test.ok()) << not_test.status().ToString();
  EXPECT_FALSE(not_test->test);
  EXPECT_EQ(not_test->fields_json, R"({"count":1})");
  auto deploy_false = ParseEvent(kDeploy, R"({"test":false})", kNow);
  EXPECT_EQ(deploy_false.status().message(), "version is required");
}

TEST(ParseEventTest, TheTestFlagIsABooleanAndTheOtherFieldsAreStillChecked) {
  for (const char* body : {R"({"test":"yes"})", R"({"test":1})", R"({"test":null})",
                           R"({"test":"true"})", R"({"test":[true]})"}) {
    for (EventType type : {kHit, kFailure, kDeploy}) {
      auto event = ParseEvent(type, body, kNow);
      ASSERT_FALSE(event.ok()) << body;
      EXPECT_EQ(event.status().code(), Code::kInvalidEvent) << body;
      EXPECT_EQ(event.status().message(), "test must be true or false") << body;
    }
  }
  EXPECT_EQ(ParseEvent(kHit, R"({"test":true,"count":0})", kNow).status().message(),
            "count must be an integer from 1 to 10000");
  EXPECT_EQ(ParseEvent(kDeploy, R"({"test":true,"version":""})", kNow).status().message(),
            "version must be 1 to 200 bytes long");
  EXPECT_EQ(ParseEvent(kHit, R"({"test":true,"tset":1})", kNow).status().code(),
            Code::kInvalidEvent);
}

// ---- refused bodies --------------------------------------------------------

struct BadCase {
  EventType type;
  std::string body;
  Code code;
  std::string in_message;  // the field name, or the reason
};

std::string Nested(int depth, const std::string& inner) {
  // `depth` levels in all, the outer object included.
  std::string s = R"({"app":)";
  for (int i = 1; i < depth; ++i) s += "[";
  s += inner;
  for (int i = 1; i < depth; ++i) s += "]";
  return s + "}";
}

TEST(ParseEventTest, RefusesInvalidJson) {
  const Code J = Code::kInvalidJson;
  const std::vector<BadCase> cases = {
      {kHit, "", J, "line 1"},
      {kHit, "   ", J, ""},
      {kHit, "{", J, "line 1"},
      {kHit, R"({"app":"a",})", J, ""},
      {kHit, R"({"app":"a"} {})", J, ""},
      {kHit, R"({'app':'a'})", J, ""},
      {kHit, R"({"app":"a"}x)", J, ""},
      {kHit, "{\"message\":\"a\nb\"}", J, "newline"},
      {kHit, "{\"message\":\"\xE9t\xE9\"}", J, ""},              // Latin-1, not UTF-8
      {kHit, "{\"message\":\"\xC0\xAF\"}", J, ""},               // overlong
      {kHit, "{\"message\":\"\xED\xA0\x80\"}", J, ""},           // surrogate
      {kHit, R"({"message":"\ud800"})", J, ""},                  // lone surrogate escape
      {kHit, std::string("{\"message\":\"a\0b\"}", 15), J, ""},  // raw NUL
      {kHit, R"({"count":1,"count":2})", J, "duplicate"},
      {kHit, R"({"app":"a","app":"a"})", J, "duplicate"},
      {kHit, "[]", J, "body must be a JSON object"},
      {kHit, R"([{"count":1}])", J, "body must be a JSON object"},
      {kHit, R"("hello")", J, "body must be a JSON object"},
      {kHit, "42", J, "body must be a JSON object"},
      {kHit, "null", J, "body must be a JSON object"},
      {kHit, "true", J, "body must be a JSON object"},
      {kDeploy, "[1,2]", J, "body must be a JSON object"},
      {kHit, Nested(17, "1"), J, "nested deeper than 16"},
      {kHit, Nested(500, "1"), J, "nested deeper than 16"},
      {kHit, std::string(100000, '['), J, "nested deeper than 16"},
      {kHit,
       R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":{"p":{"q":1}}}}}}}}}}}}}}}}})",
       J, "nested deeper than 16"},
  };
  for (const BadCase& c : cases) {
    auto event = ParseEvent(c.type, c.body, kNow);
    ASSERT_FALSE(event.ok()) << "accepted: " << c.body;
    EXPECT_EQ(event.status().code(), c.code) << c.body << " -> " << event.status().ToString();
    EXPECT_NE(event.status().message().find(c.in_message), std::string::npos)
        << c.body << " -> " << event.status().message();
  }
}

TEST(ParseEventTest, DepthLimitCountsOnlyBracketsOutsideStrings) {
  // 16 levels pass the depth check (and then fail as a wrong type).
  auto at_limit = ParseEvent(kHit, Nested(16, "1"), kNow);
  EXPECT_EQ(at_limit.status().code(), Code::kInvalidEvent) << at_limit.status().ToString();
  EXPECT_NE(at_limit.status().message().find("app"), std::string::npos);
  // Brackets and escaped quotes inside strings do not count.
  std::string brackets(100, '[');
  auto in_string = ParseEvent(kHit, R"({"message":"\"[[)" + brackets + R"(\\"})", kNow);
  ASSERT_TRUE(in_string.ok()) << in_string.status().ToString();
}

TEST(ParseEventTest, JsonErrorsCarryThePosition) {
  auto event = ParseEvent(kHit, "{\n  \"app\": \"a\",\n  oops\n}", kNow);
  ASSERT_EQ(event.status().code(), Code::kInvalidJson);
  EXPECT_NE(event.status().message().find("line 3"), std::string::npos) << event.status().message();
  EXPECT_NE(event.status().message().find("column"), std::string::npos);
}

TEST(ParseEventTest, RefusesInvalidEvents) {
  const Code E = Code::kInvalidEvent;
  const std::string long4097(4097, 'x');
  const std::vector<BadCase> cases = {
      // unknown fields, named
      {kHit, R"({"apps":"a"})", E, R"(unknown field "apps")"},
      {kHit, R"({"error":"x"})", E, R"(unknown field "error")"},  // failures only
      {kHit, R"({"version":"1"})", E, R"(unknown field "version")"},
      {kFailure, R"({"deploy_id":"x"})", E, R"(unknown field "deploy_id")"},
      {kDeploy, R"({"version":"1","count":2})", E, R"(unknown field "count")"},
      {kDeploy, R"({"version":"1","message":"m"})", E, R"(unknown field "message")"},
      {kHit, R"({"Count":2})", E, R"(unknown field "Count")"},
      {kHit, R"({"":1})", E, R"(unknown field "")"},
      {kHit, R"({"a\"b":1})", E, R"(unknown field "a\"b")"},
      {kHit, R"({"ctl\u001b[31m":1})", E, R"(unknown field "ctl?[31m")"},
      {kHit, R"({"count":0,"zzz":1})", E, R"(unknown field "zzz")"},  // unknown first
      // "\u0000" is valid JSON; no field accepts it
      {kHit, R"({"message":"a\u0000b"})", E, "message must not contain NUL"},
      {kFailure, R"({"error":"\u0000"})", E, "error must not contain NUL"},
      {kDeploy, R"({"version":"1","description":"x\u0000"})", E, "description must not"},
      {kDeploy, R"({"version":"1\u0000"})", E, "version must not contain control"},
      {kHit, R"({"app":"a\u0000b"})", E, "app must be a slug"},
      {kHit, R"({"a\u0000b":1})", E, "unknown field"},
      // app
      {kHit, R"({"app":""})", E, "app"},
      {kHit, R"({"app":"Shop"})", E, "app must be a slug"},
      {kHit, R"({"app":"-shop"})", E, "app must be a slug"},
      {kHit, R"({"app":"shop_1"})", E, "app must be a slug"},
      {kHit, R"({"app":")" + std::string(64, 'a') + R"("})", E, "app must be a slug"},
      {kHit, R"({"app":1})", E, "app must be a string"},
      {kHit, R"({"app":null})", E, "app must be a string"},
      {kHit, R"({"app":["shop"]})", E, "app must be a string"},
      {kDeploy, R"({"version":"1","app":"Shop"})", E, "app must be a slug"},
      // count
      {kHit, R"({"count":0})", E, "count must be an integer from 1 to 10000"},
      {kHit, R"({"count":-1})", E, "count must be an integer from 1 to 10000"},
      {kHit, R"({"count":10001})", E, "count must be an integer from 1 to 10000"},
      {kHit, R"({"count":1.0})", E, "count must be an integer"},
      {kHit, R"({"count":1.5})", E, "count must be an integer"},
      {kHit, R"({"count":1e2})", E, "count must be an integer"},
      {kHit, R"({"count":"3"})", E, "count must be an integer"},
      {kHit, R"({"count":true})", E, "count must be an integer"},
      {kHit, R"({"count":null})", E, "count must be an integer"},
      {kHit, R"({"count":{}})", E, "count must be an integer"},
      {kFailure, R"({"count":9223372036854775807})", E, "count must be an integer"},
      // numbers Jansson cannot hold
      {kHit, R"({"count":99999999999999999999})", E, "a number is out of range"},
      {kHit, R"({"count":-99999999999999999999})", E, "a number is out of range"},
      {kHit, R"({"count":1e999})", E, "a number is out of range"},
      // message / error
      {kHit, R"({"message":1})", E, "message must be a string"},
      {kHit, R"({"message":null})", E, "message must be a string"},
      {kHit, R"({"message":")" + long4097 + R"("})", E, "message must be at most 4096 bytes"},
      {kFailure, R"({"error":")" + long4097 + R"("})", E, "error must be at most 4096 bytes"},
      {kFailure, R"({"error":false})", E, "error must be a string"},
      // timestamp
      {kHit, R"({"timestamp":"yesterday"})", E, "timestamp must be an RFC 3339"},
      {kHit, R"({"timestamp":"2026-11-27T10:00:00"})", E, "timestamp must be an RFC 3339"},
      {kHit, R"({"timestamp":"2026-02-30T10:00:00Z"})", E, "timestamp must be an RFC 3339"},
      {kHit, R"({"timestamp":1795773600})", E, "timestamp must be a string"},
      {kHit, R"({"timestamp":null})", E, "timestamp must be a string"},
      {kHit, R"({"timestamp":"2026-10-28T09:59:59.999Z"})", E,
       "timestamp must not be more than 30 days in the past"},
      {kHit, R"({"timestamp":"2026-11-27T11:00:00.001Z"})", E,
       "timestamp must not be more than 1 hour in the future"},
      {kHit, R"({"timestamp":"1970-01-01T00:00:00Z"})", E, "in the past"},
      {kDeploy, R"({"version":"1","timestamp":"2027-01-01T00:00:00Z"})", E, "in the future"},
      // deploys
      {kDeploy, R"({})", E, "version is required"},
      {kDeploy, R"({"environment":"prod"})", E, "version is required"},
      {kDeploy, R"({"version":""})", E, "version must be 1 to 200 bytes"},
      {kDeploy, R"({"version":")" + std::string(201, 'v') + R"("})", E,
       "version must be 1 to 200 bytes"},
      {kDeploy, R"({"version":1.2})", E, "version must be a string"},
      {kDeploy, R"({"version":null})", E, "version must be a string"},
      {kDeploy, R"({"version":"1.2\n"})", E, "version must not contain control characters"},
      {kDeploy, R"({"version":"1\u0085"})", E, "version must not contain control characters"},
      {kDeploy, R"({"version":"1","environment":""})", E, "environment must be 1 to 100 bytes"},
      {kDeploy, R"({"version":"1","environment":")" + std::string(101, 'e') + R"("})", E,
       "environment must be 1 to 100 bytes"},
      {kDeploy, R"({"version":"1","environment":7})", E, "environment must be a string"},
      {kDeploy, R"({"version":"1","environment":"prod\tx"})", E, "environment must not contain"},
      {kDeploy, R"({"version":"1","status":"success"})", E,
       "status must be one of succeeded, failed, rolled_back, started"},
      {kDeploy, R"({"version":"1","status":"SUCCEEDED"})", E, "status must be one of"},
      {kDeploy, R"({"version":"1","status":""})", E, "status must be one of"},
      {kDeploy, R"({"version":"1","status":1})", E, "status must be a string"},
      {kDeploy, R"({"version":"1","commit":")" + std::string(201, 'c') + R"("})", E,
       "commit must be at most 200 bytes"},
      {kDeploy, R"({"version":"1","repository":")" + std::string(2049, 'r') + R"("})", E,
       "repository must be at most 2048 bytes"},
      {kDeploy, R"({"version":"1","author":")" + std::string(201, 'a') + R"("})", E,
       "author must be at most 200 bytes"},
      {kDeploy, R"({"version":"1","description":")" + long4097 + R"("})", E,
       "description must be at most 4096 bytes"},
      {kDeploy, R"({"version":"1","url":")" + std::string(2049, 'u') + R"("})", E,
       "url must be at most 2048 bytes"},
      {kDeploy, R"({"version":"1","url":"http://x/\r\nSet-Cookie: a"})", E,
       "url must not contain control characters"},
      {kDeploy, R"({"version":"1","commit":["abc"]})", E, "commit must be a string"},
      {kDeploy, R"({"version":"1","started_at":"now"})", E, "started_at must be an RFC 3339"},
      // Would be stored as "10000-01-01T00:59:59.000Z" or "-001-12-31...".
      {kDeploy, R"({"version":"1","started_at":"9999-12-31T23:59:59-01:00"})", E,
       "started_at must be an RFC 3339"},
      {kDeploy, R"({"version":"1","finished_at":"0000-01-01T00:00:00+01:00"})", E,
       "finished_at must be an RFC 3339"},
      // A control character costs 6 bytes as stored: 683 of them are too many.
      {kHit,
       R"({"message":")" +
           [] {
             std::string s;
             for (int i = 0; i < 683; ++i) s += "\\u0001";
             return s;
           }() +
           R"("})",
       E, "message must be at most 4096 bytes as stored"},
      {kDeploy, R"({"version":"1","finished_at":1})", E, "finished_at must be a string"},
      {kDeploy, R"({"version":"1","committed_at":"yesterday"})", E,
       "committed_at must be an RFC 3339"},
      {kDeploy, R"({"version":"1","committed_at":null})", E, "committed_at must be a string"},
      {kDeploy, R"({"version":"1","deploy_id":""})", E, "deploy_id must be 1 to 128 characters"},
      {kDeploy, R"({"version":"1","deploy_id":")" + std::string(129, 'd') + R"("})", E,
       "deploy_id must be 1 to 128"},
      {kDeploy, R"({"version":"1","deploy_id":"a b"})", E, "deploy_id must be"},
      {kDeploy, R"({"version":"1","deploy_id":"a/b"})", E, "deploy_id must be"},
      {kDeploy, R"({"version":"1","deploy_id":"é"})", E, "deploy_id must be"},
      {kDeploy, R"({"version":"1","deploy_id":12})", E, "deploy_id must be a string"},
      // The first problem in the documented order is reported.
      {kDeploy, R"({"status":"bogus","version":""})", E, "version must be"},
      {kHit, R"({"message":1,"count":0})", E, "count must be"},
  };
  for (const BadCase& c : cases) {
    auto event = ParseEvent(c.type, c.body, kNow);
    ASSERT_FALSE(event.ok()) << "accepted: " << c.body;
    EXPECT_EQ(event.status().code(), c.code)
        << c.body.substr(0, 200) << " -> " << event.status().ToString();
    EXPECT_NE(event.status().message().find(c.in_message), std::string::npos)
        << c.body.substr(0, 200) << " -> " << event.status().message();
  }
}

TEST(ParseEventTest, LimitsAreInclusive) {
  const std::string at(4096, 'x');
  EXPECT_TRUE(ParseEvent(kHit, R"({"message":")" + at + R"("})", kNow).ok());
  EXPECT_TRUE(ParseEvent(kFailure, R"({"error":")" + at + R"("})", kNow).ok());
  EXPECT_TRUE(ParseEvent(kDeploy, R"({"version":"1","description":")" + at + R"("})", kNow).ok());
  EXPECT_TRUE(ParseEvent(kDeploy,
                         R"({"version":"1","url":")" + std::string(2048, 'u') +
                             R"(","repository":")" + std::string(2048, 'r') + R"(","commit":")" +
                             std::string(200, 'c') + R"(","author":")" + std::string(200, 'a') +
                             R"("})",
                         kNow)
                  .ok());
  // Limits count bytes: 2049 bytes of UTF-8 is too long for a url even if
  // it is fewer characters.
  std::string url = "\xC3\xA9";
  while (url.size() < 2049) url += "a";
  EXPECT_EQ(ParseEvent(kDeploy, R"({"version":"1","url":")" + url + R"("})", kNow).status().code(),
            Code::kInvalidEvent);
}

TEST(ParseEventTest, UnknownFieldNamesAreShortenedInMessages) {
  std::string key(1000, 'k');
  auto event = ParseEvent(kHit, R"({")" + key + R"(":1})", kNow);
  ASSERT_EQ(event.status().code(), Code::kInvalidEvent);
  EXPECT_LT(event.status().message().size(), 120u) << event.status().message();
  EXPECT_NE(event.status().message().find("unknown field \"kkkk"), std::string::npos);
}

// ---- json.h (the helpers fields_json is built with) -------------------------

TEST(JsonTest, DumpIsCompactOrIndentedAndKeepsOrderAndUtf8) {
  JsonPtr obj(json_object());
  json_object_set_new(obj.get(), "z", json_integer(1));
  json_object_set_new(obj.get(), "a", json_string("caf\xC3\xA9 \xE2\x80\xA6/"));
  json_object_set_new(obj.get(), "m", json_null());
  EXPECT_EQ(JsonDump(obj.get()), "{\"z\":1,\"a\":\"caf\xC3\xA9 \xE2\x80\xA6/\",\"m\":null}");
  EXPECT_EQ(JsonDump(obj.get(), /*pretty=*/true),
            "{\n  \"z\": 1,\n  \"a\": \"caf\xC3\xA9 \xE2\x80\xA6/\",\n  \"m\": null\n}");
  JsonPtr str(json_string("x"));
  EXPECT_EQ(JsonDump(str.get()), "\"x\"");
  EXPECT_EQ(JsonDump(nullptr), "null");
}

TEST(JsonTest, StringOrNull) {
  EXPECT_EQ(JsonDump(JsonStringOrNull("ab\"c", true).get()), "\"ab\\\"c\"");
  EXPECT_EQ(JsonDump(JsonStringOrNull("ignored", false).get()), "null");
  EXPECT_EQ(JsonDump(JsonStringOrNull("", true).get()), "\"\"");
  // Invalid UTF-8 (e.g. a value read back from Redis) becomes U+FFFD rather
  // than a missing value.
  JsonPtr fixed = JsonStringOrNull(
      "a\xFF"
      "b\xE2\x82",
      true);
  ASSERT_NE(fixed, nullptr);
  EXPECT_EQ(std::string(json_string_value(fixed.get())),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

// JsonDump writes compact JSON itself (the webhook path); it must write the
// very bytes Jansson writes.
TEST(JsonTest, CompactDumpIsByteForByteJansson) {
  std::string every_byte;
  for (int c = 0; c < 0x80; ++c) every_byte.push_back(static_cast<char>(c));
  JsonPtr inner(json_object());
  json_object_set_new(inner.get(), "every ascii byte",
                      json_stringn(every_byte.data(), every_byte.size()));
  json_object_set_new(inner.get(), "utf-8", json_string("\xC3\xA9\xE2\x80\xA8\xF0\x9F\x98\x80"));
  json_object_set_new(inner.get(), "k\"e\\y\n", json_integer(-9223372036854775807LL - 1));
  json_object_set_new(inner.get(), "empty", json_object());
  JsonPtr list(json_array());
  for (json_t* v : {json_integer(0), json_integer(9223372036854775807LL), json_true(), json_false(),
                    json_null(), json_string(""), json_array(), inner.release()}) {
    json_array_append_new(list.get(), v);
  }
  JsonPtr root(json_object());
  json_object_set_new(root.get(), "z", json_integer(1));
  json_object_set(root.get(), "list", list.get());
  json_object_set_new(root.get(), "a", json_string("/"));
  JsonPtr real(json_pack("{s:[f]}", "rate", 0.25));  // left to Jansson
  for (json_t* value : {root.get(), list.get(), real.get()}) {
    char* expected = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    ASSERT_NE(expected, nullptr);
    EXPECT_EQ(JsonDump(value), expected);
    std::free(expected);
  }
}

TEST(JsonTest, AppendJsonStringEscapesLikeJanssonAndRepairsUtf8) {
  std::string out = "x";
  AppendJsonString(std::string_view("a\"\\\x01\x1F\x7F\xC3\xA9\xFF", 9), out);
  EXPECT_EQ(out, "x\"a\\\"\\\\\\u0001\\u001F\x7F\xC3\xA9\xEF\xBF\xBD\"");
}

// ---- Idempotency-Key -------------------------------------------------------

TEST(IdempotencyKeyTest, PrintableAsciiUpTo200) {
  for (const std::string& ok :
       {std::string("a"), std::string("550e8400-e29b-41d4-a716-446655440000"),
        std::string("order 42 / retry #3"), std::string(200, 'k'),
        std::string("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")}) {
    EXPECT_TRUE(IsValidIdempotencyKey(ok)) << ok;
  }
  for (const std::string& bad :
       {std::string(""), std::string(201, 'k'), std::string(" lead"), std::string("trail "),
        std::string("tab\there"), std::string("nl\n"), std::string("del\x7F"),
        std::string("caf\xC3\xA9"), std::string("nul\0x", 5)}) {
    EXPECT_FALSE(IsValidIdempotencyKey(bad)) << bad;
  }
}

}  // namespace
}  // namespace onep
