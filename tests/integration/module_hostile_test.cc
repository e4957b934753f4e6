// SPDX-License-Identifier: Apache-2.0
// Hostile input against a real Apache with mod_onep: one table of malformed or
// adversarial requests, each sent as raw bytes over a loopback socket. For
// every row: the exact status and error code, nothing recorded, and the
// server still serves a valid request right after.
//
// A few rows are answered by Apache itself before the module runs (a broken
// request line, an oversized or malformed header, malformed chunked framing,
// a path Apache refuses to map): their code is empty, and the row asserts
// Apache's status (a 4xx or 5xx that says "no"), that the body is not ours,
// and that nothing was recorded.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "onep/clock.h"
#include "onep/parse.h"
#include "onep/token.h"
#include "support/apache_server.h"
#include "support/http_client.h"

namespace onep::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Row {
  std::string name;
  std::string raw;  // the request, byte for byte
  int status;
  std::string code = "";     // the JSON error code; empty when Apache answers itself
  std::string mention = "";  // text the error message must contain (422: the field)
  Headers expect_headers = {};
  bool close_write = false;  // half-close after sending (a body that never ends)
};

// "METHOD target HTTP/1.1" with Host and Connection: close, `headers`, and
// `body` with its Content-Length (none when `content_length` is -2).
std::string Raw(const std::string& method, const std::string& target, const Headers& headers,
                const std::string& body = "", long long content_length = -1) {
  std::ostringstream out;
  out << method << " " << target << " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) out << name << ": " << value << "\r\n";
  if (content_length == -1) content_length = static_cast<long long>(body.size());
  if (content_length >= 0 && (method == "POST" || !body.empty())) {
    out << "Content-Length: " << content_length << "\r\n";
  }
  out << "\r\n" << body;
  return out.str();
}

Headers Auth(const std::string& token) {
  return {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
}

std::string Chunked(const std::string& body, std::size_t chunk) {
  std::ostringstream out;
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    std::string part = body.substr(at, chunk);
    out << std::hex << part.size() << std::dec << "\r\n" << part << "\r\n";
  }
  out << "0\r\n\r\n";
  return out.str();
}

std::string Nested(int depth) {
  std::string inner = "1";
  for (int i = 0; i < depth; ++i) inner = "{\"a\":" + inner + "}";
  return R"({"app":"web","x":)" + inner + "}";
}

class ModuleHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.Start());
    hits_ = stack_.Create("acme", "hits");
    deploy_ = stack_.Create("acme", "deploy", "shop");
    auto rotated = stack_.Create("acme", "hits");
    rotated_away_ = rotated.token;
    ASSERT_TRUE(stack_.service().Rotate(rotated.credential.id, 0).ok());
    auto deleted = stack_.Create("acme", "hits");
    deleted_ = deleted.token;
    ASSERT_TRUE(stack_.service().Delete(deleted.credential.id).ok());
    auto unknown = GenerateToken(GenerateRoutingTag().value());
    ASSERT_TRUE(unknown.ok());
    unknown_ = *unknown;
  }

  long long StreamLength() {
    const std::string events = "onep:{" + stack_.Tag("acme") + "}:events";
    auto len = stack_.redis().Command(events, {"XLEN", events});
    EXPECT_TRUE(len.ok());
    return len.ok() ? len->integer : -1;
  }

  std::vector<Row> Rows();

  OnepStack stack_;
  IssuedCredential hits_, deploy_;
  std::string rotated_away_, deleted_, unknown_;
};

std::vector<Row> ModuleHostileTest::Rows() {
  const std::string hits = hits_.token, deploy = deploy_.token;
  const std::string ok_body = R"({"app":"web"})";
  const std::string count0 = R"({"app":"web","count":0})";  // routes to /hits show as 422 count
  const Headers json = {{"Content-Type", "application/json"}};
  const Headers bearer_challenge = {{"WWW-Authenticate", "Bearer"}};
  const Headers invalid_challenge = {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}};
  auto post_hits = [&](const std::string& token, const std::string& body) {
    return Raw("POST", "/onep/hits", Auth(token), body);
  };
  auto with_auth = [&](const std::string& authorization) {
    return Raw("POST", "/onep/hits",
               {{"Authorization", authorization}, {"Content-Type", "application/json"}}, ok_body);
  };
  auto token_row = [&](const std::string& name, const std::string& token) {
    return Row{name, post_hits(token, ok_body), 401, "invalid_token", "", invalid_challenge};
  };
  auto bad_event = [&](const std::string& name, const std::string& body, const std::string& field) {
    return Row{name, post_hits(hits, body), 422, "invalid_event", field};
  };
  auto bad_deploy = [&](const std::string& name, const std::string& body,
                        const std::string& field) {
    return Row{name, Raw("POST", "/onep/deploys", Auth(deploy), body), 422, "invalid_event", field};
  };
  auto bad_json = [&](const std::string& name, const std::string& body) {
    return Row{name, post_hits(hits, body), 400, "invalid_json"};
  };
  auto time_string = [](int64_t offset_ms) { return FormatRfc3339Ms(NowMs() + offset_ms); };

  std::string short_token = hits.substr(0, hits.size() - 1);
  std::string long_token = hits + "A";
  std::string bad_checksum = hits;
  bad_checksum.back() = bad_checksum.back() == 'A' ? 'B' : 'A';
  std::string changed_random = hits;
  changed_random[10] = changed_random[10] == 'x' ? 'y' : 'x';
  std::string non_base62 = hits;
  non_base62[12] = '-';
  std::string base64ish = hits;
  base64ish[12] = '+';
  base64ish[13] = '/';
  std::string unicode = hits.substr(0, 20) + "\xC3\xA9" + hits.substr(22);  // same byte length
  std::string nul_token = hits.substr(0, 20) + std::string(1, '\0') + hits.substr(21);
  std::string lowercased = hits;
  for (char& c : lowercased) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  std::vector<Row> rows = {
      // --- the Authorization header ---------------------------------------------------
      {"no Authorization", Raw("POST", "/onep/hits", json, ok_body), 401, "missing_token", "",
       bearer_challenge},
      {"Basic scheme", with_auth("Basic dXNlcjpwYXNz"), 401, "missing_token", "", bearer_challenge},
      {"Bearer without a token", with_auth("Bearer"), 401, "missing_token", "", bearer_challenge},
      {"Bearer and spaces", with_auth("Bearer     "), 401, "missing_token", "", bearer_challenge},
      {"empty Authorization", with_auth(""), 401, "missing_token", "", bearer_challenge},
      {"Token scheme with a valid token", with_auth("Token " + hits), 401, "missing_token"},
      {"Bearer: with a colon", with_auth("Bearer: " + hits), 401, "missing_token"},
      {"token without a scheme", with_auth(hits), 401, "missing_token"},
      // The scheme is case-insensitive and surrounding spaces are not part of
      // the token: the (deploy) token is recognised, and refused on /hits.
      {"lowercase bearer", with_auth("bearer " + deploy), 403, "forbidden"},
      {"uppercase BEARER", with_auth("BEARER " + deploy), 403, "forbidden"},
      {"valid token, trailing spaces", with_auth("Bearer " + deploy + "   "), 403, "forbidden"},
      {"valid token, leading spaces", with_auth("Bearer    " + deploy), 403, "forbidden"},
      // Apache joins repeated headers with ", ": that is no token.
      {"two Authorization headers",
       Raw("POST", "/onep/hits",
           {{"Authorization", "Bearer " + hits},
            {"Authorization", "Bearer " + deploy},
            {"Content-Type", "application/json"}},
           ok_body),
       401, "invalid_token"},
      {"token and more words", with_auth("Bearer " + hits + " extra"), 401, "invalid_token"},
      {"quoted token", with_auth("Bearer \"" + hits + "\""), 401, "invalid_token"},
      {"huge header (Apache: LimitRequestFieldSize)",
       Raw("POST", "/onep/hits",
           {{"Authorization", "Bearer " + hits},
            {"Content-Type", "application/json"},
            {"X-Padding", std::string(10000, 'p')}},
           ok_body),
       400, ""},
      {"too many headers (Apache: LimitRequestFields)",
       [&] {
         Headers many = Auth(hits);
         for (int i = 0; i < 120; ++i) many.emplace_back("X-H" + std::to_string(i), "v");
         return Raw("POST", "/onep/hits", many, ok_body);
       }(),
       400, ""},
      {"header name with a space (Apache)",
       Raw("POST", "/onep/hits", {{"Authorization", "Bearer " + hits}, {"Bad Header", "x"}},
           ok_body),
       400, ""},

      // --- tokens of every wrong shape and size -----------------------------------------
      token_row("wrong prefix", "xnep_" + hits.substr(5)),
      token_row("uppercase prefix", "ONEP_" + hits.substr(5)),
      token_row("one character short", short_token),
      token_row("one character long", long_token),
      token_row("bad checksum", bad_checksum),
      token_row("random part changed", changed_random),
      token_row("non-base62 character", non_base62),
      token_row("base64 characters", base64ish),
      token_row("non-ASCII (UTF-8) characters", unicode),
      token_row("all lowercase", lowercased),
      token_row("prefix only", "onep_"),
      token_row("7 KB token", "onep_" + std::string(7 * 1024, 'A')),
      token_row("unknown well-formed token", unknown_),
      token_row("rotated-away token", rotated_away_),
      token_row("deleted credential's token", deleted_),
      {"NUL byte in the token (Apache)", post_hits(nul_token, ok_body), 400, ""},
      {"10 KB token (Apache: LimitRequestFieldSize)",
       post_hits("onep_" + std::string(10 * 1024, 'A'), ok_body), 400, ""},
      {"hits token on /deploys", Raw("POST", "/onep/deploys", Auth(hits), R"({"version":"1"})"),
       403, "forbidden"},
      {"deploy token on /failures",
       Raw("POST", "/onep/failures", Auth(deploy), R"({"app":"shop"})"), 403, "forbidden"},

      // --- other headers ----------------------------------------------------------------
      {"no Content-Type", Raw("POST", "/onep/hits", {{"Authorization", "Bearer " + hits}}, ok_body),
       415, "unsupported_media_type"},
      {"text/plain",
       Raw("POST", "/onep/hits",
           {{"Authorization", "Bearer " + hits}, {"Content-Type", "text/plain"}}, ok_body),
       415, "unsupported_media_type"},
      {"application/json-seq",
       Raw("POST", "/onep/hits",
           {{"Authorization", "Bearer " + hits}, {"Content-Type", "application/json-seq"}},
           ok_body),
       415, "unsupported_media_type"},
      {"Idempotency-Key too long",
       Raw("POST", "/onep/hits",
           {{"Authorization", "Bearer " + hits},
            {"Content-Type", "application/json"},
            {"Idempotency-Key", std::string(201, 'k')}},
           ok_body),
       422, "invalid_event", "Idempotency-Key"},
      {"Idempotency-Key not ASCII",
       Raw("POST", "/onep/hits",
           {{"Authorization", "Bearer " + hits},
            {"Content-Type", "application/json"},
            {"Idempotency-Key", "cl\xC3\xA9"}},
           ok_body),
       422, "invalid_event", "Idempotency-Key"},

      // --- bodies and their framing -------------------------------------------------------
      bad_json("empty body", ""),
      {"POST without Content-Length", Raw("POST", "/onep/hits", Auth(hits), "", -2), 400,
       "invalid_json"},
      bad_json("truncated JSON", R"({"app":"web")"),
      {"Content-Length larger than the body",
       Raw("POST", "/onep/hits", Auth(hits), ok_body, 40),
       400,
       "invalid_json",
       "",
       {},
       true},
      {"Content-Length smaller than the body",
       Raw("POST", "/onep/hits", Auth(hits), R"({"app":"web","count":0})", 12), 400,
       "invalid_json"},
      {"oversized by Content-Length",
       Raw("POST", "/onep/hits", Auth(hits), R"({"app":"web"})", 65 * 1024), 413,
       "payload_too_large"},
      {"oversized by chunked encoding",
       [&] {
         Headers h = Auth(hits);
         h.emplace_back("Transfer-Encoding", "chunked");
         return Raw("POST", "/onep/hits", h, "", -2) +
                Chunked(R"({"app":"web","message":")" + std::string(70 * 1024, 'x') + "\"}", 4096);
       }(),
       413, "payload_too_large"},
      {"malformed chunk size (Apache)",
       [&] {
         Headers h = Auth(hits);
         h.emplace_back("Transfer-Encoding", "chunked");
         return Raw("POST", "/onep/hits", h, "", -2) + "zz\r\n" + ok_body + "\r\n0\r\n\r\n";
       }(),
       400, ""},
      {"chunk longer than announced (Apache)",
       [&] {
         Headers h = Auth(hits);
         h.emplace_back("Transfer-Encoding", "chunked");
         return Raw("POST", "/onep/hits", h, "", -2) + "5\r\n" + ok_body + "\r\n0\r\n\r\n";
       }(),
       400, ""},
      {"chunked body that never ends",
       [&] {
         Headers h = Auth(hits);
         h.emplace_back("Transfer-Encoding", "chunked");
         return Raw("POST", "/onep/hits", h, "", -2) + "d\r\n" + ok_body + "\r\n";
       }(),
       400,
       "invalid_json",
       "",
       {},
       true},
      {"unknown Transfer-Encoding (Apache)",
       [&] {
         Headers h = Auth(hits);
         h.emplace_back("Transfer-Encoding", "gzip");
         return Raw("POST", "/onep/hits", h, "", -2) + ok_body;
       }(),
       400, ""},
      {"negative Content-Length (Apache)",
       [&] {
         Headers h = Auth(hits);
         h.emplace_back("Content-Length", "-1");
         return Raw("POST", "/onep/hits", h, ok_body, -2);
       }(),
       400, ""},
      bad_json("invalid UTF-8", "{\"app\":\"w\xFF\"}"),
      bad_json("overlong UTF-8", "{\"app\":\"web\",\"message\":\"\xC0\xAF\"}"),
      bad_json("UTF-8 encoded surrogate", "{\"app\":\"web\",\"message\":\"\xED\xA0\x80\"}"),
      bad_json("lone surrogate escape", R"({"app":"web","message":"\ud800"})"),
      bad_json("byte order mark", "\xEF\xBB\xBF{\"app\":\"web\"}"),
      bad_json("raw control character in a string", "{\"app\":\"web\",\"message\":\"a\x01z\"}"),
      bad_json("raw NUL byte", std::string("{\"app\":\"web\"}\0", 14)),
      bad_json("17 levels of nesting", Nested(16)),
      bad_json("30000 levels of nesting", std::string(30000, '[') + std::string(30000, ']')),
      bad_json("top-level array", R"([{"app":"web"}])"),
      bad_json("top-level string", R"("web")"),
      bad_json("top-level number", "42"),
      bad_json("top-level null", "null"),
      bad_json("two objects", R"({"app":"web"}{"app":"web"})"),
      bad_json("trailing garbage", R"({"app":"web"} x)"),
      bad_json("duplicate keys", R"({"app":"web","app":"web"})"),
      bad_json("single quotes", R"({'app':'web'})"),
      bad_event("count 0", count0, "count"),
      bad_event("count 10001", R"({"app":"web","count":10001})", "count"),
      bad_event("count 1.5", R"({"app":"web","count":1.5})", "count"),
      bad_event("count \"3\"", R"({"app":"web","count":"3"})", "count"),
      bad_event("count true", R"({"app":"web","count":true})", "count"),
      bad_event("count -1", R"({"app":"web","count":-1})", "count"),
      bad_event("count null", R"({"app":"web","count":null})", "count"),
      bad_event("count 1e2", R"({"app":"web","count":1e2})", "count"),
      bad_event("count 1e400", R"({"app":"web","count":1e400})", "out of range"),
      bad_event("count 2^64", R"({"app":"web","count":18446744073709551616})", "out of range"),
      bad_event("huge integer elsewhere", R"({"app":"web","n":123456789012345678901234567890})",
                "out of range"),
      bad_event("unknown field", R"({"app":"web","colour":"blue"})", "colour"),
      bad_event("org field", R"({"app":"web","org":"other"})", "org"),
      bad_event("NUL escape in a string", R"({"app":"web","message":"a\u0000b"})", "NUL"),
      bad_event("message of 4097 bytes",
                R"({"app":"web","message":")" + std::string(4097, 'm') + "\"}", "message"),
      bad_event("message not a string", R"({"app":"web","message":["a"]})", "message"),
      bad_event("app null", R"({"app":null})", "app"),
      bad_event("app a number", R"({"app":5})", "app"),
      bad_event("app empty", R"({"app":""})", "app"),
      bad_event("app uppercase", R"({"app":"Web"})", "app"),
      bad_event("app of 64 characters", R"({"app":")" + std::string(64, 'a') + "\"}", "app"),
      bad_event("app with a control escape", R"({"app":"we\u0001b"})", "app"),
      bad_event("timestamp month 13", R"({"app":"web","timestamp":"2026-13-01T00:00:00Z"})",
                "timestamp"),
      bad_event("timestamp without offset", R"({"app":"web","timestamp":"2026-11-27T10:00:00"})",
                "timestamp"),
      bad_event("timestamp as a number", R"({"app":"web","timestamp":1764237600})", "timestamp"),
      bad_event("timestamp 40 days old",
                R"({"app":"web","timestamp":")" + time_string(-40LL * 24 * 3600 * 1000) + "\"}",
                "timestamp"),
      bad_event("timestamp 2 hours ahead",
                R"({"app":"web","timestamp":")" + time_string(2LL * 3600 * 1000) + "\"}",
                "timestamp"),
      {"error field on /failures not a string",
       Raw("POST", "/onep/failures", Auth(hits), R"({"app":"web","error":42})"), 422,
       "invalid_event", "error"},
      {"error field on /hits", post_hits(hits, R"({"app":"web","error":"x"})"), 422,
       "invalid_event", "error"},
      bad_deploy("deploy without version", R"({"environment":"prod"})", "version"),
      bad_deploy("deploy version empty", R"({"version":""})", "version"),
      bad_deploy("deploy version with a control escape", R"({"version":"1\u0007"})", "version"),
      bad_deploy("deploy status unknown", R"({"version":"1","status":"exploded"})", "status"),
      bad_deploy("deploy_id with a space", R"({"version":"1","deploy_id":"has space"})",
                 "deploy_id"),
      bad_deploy("deploy_id empty", R"({"version":"1","deploy_id":""})", "deploy_id"),
      bad_deploy("deploy_id of 129 characters",
                 R"({"version":"1","deploy_id":")" + std::string(129, 'd') + "\"}", "deploy_id"),
      bad_deploy("deploy_id not ASCII", "{\"version\":\"1\",\"deploy_id\":\"d\xC3\xA9\"}",
                 "deploy_id"),
      bad_deploy("deploy started_at not a time", R"({"version":"1","started_at":"soon"})",
                 "started_at"),
      {"deploy for another app",
       Raw("POST", "/onep/deploys", Auth(deploy), R"({"version":"1","app":"web"})"), 403,
       "forbidden"},

      // --- paths: traversal and encoding tricks -----------------------------------------------
      // Apache normalises these to /onep/hits before the module sees them:
      // the route is /hits (the count 0 body makes that visible as 422).
      {"/onep/../onep/hits", Raw("POST", "/onep/../onep/hits", Auth(hits), count0), 422,
       "invalid_event", "count"},
      {"/onep/./hits", Raw("POST", "/onep/./hits", Auth(hits), count0), 422, "invalid_event",
       "count"},
      {"/onep//hits", Raw("POST", "/onep//hits", Auth(hits), count0), 422, "invalid_event",
       "count"},
      {"/onep/%68its", Raw("POST", "/onep/%68its", Auth(hits), count0), 422, "invalid_event",
       "count"},
      {"/onep/%2e%2e/onep/hits", Raw("POST", "/onep/%2e%2e/onep/hits", Auth(hits), count0), 422,
       "invalid_event", "count"},
      {"/onep/hits?x=1", Raw("POST", "/onep/hits?x=1", Auth(hits), count0), 422, "invalid_event",
       "count"},
      {"/onep/health/../hits", Raw("POST", "/onep/health/../hits", Auth(hits), count0), 422,
       "invalid_event", "count"},
      {"/onep/hits/", Raw("POST", "/onep/hits/", Auth(hits), ok_body), 404, "not_found"},
      {"/onep/HITS", Raw("POST", "/onep/HITS", Auth(hits), ok_body), 404, "not_found"},
      {"/onep/hits;x=1", Raw("POST", "/onep/hits;x=1", Auth(hits), ok_body), 404, "not_found"},
      {"/onep/hits%20", Raw("POST", "/onep/hits%20", Auth(hits), ok_body), 404, "not_found"},
      {"/onep/hits/x", Raw("POST", "/onep/hits/x", Auth(hits), ok_body), 404, "not_found"},
      {"/onep/hits%00 (Apache)", Raw("POST", "/onep/hits%00", Auth(hits), ok_body), 404, ""},
      {"/onep/hits%2f (Apache)", Raw("POST", "/onep/hits%2f", Auth(hits), ok_body), 404, ""},
      {"/onepx/hits (not under the location)", Raw("POST", "/onepx/hits", Auth(hits), ok_body), 404,
       ""},
      {"/onep/../../etc/passwd (Apache)", Raw("GET", "/onep/../../etc/passwd", {}), 400, ""},

      // --- request lines -------------------------------------------------------------------
      {"garbage request line (Apache)", "GARBAGE\r\n\r\n", 400, ""},
      {"request line with extra words (Apache)",
       "POST /onep/hits HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n", 400, ""},
      {"lowercase method",
       Raw("post", "/onep/hits", Auth(hits), ok_body),
       405,
       "method_not_allowed",
       "",
       {{"Allow", "POST"}}},
  };

  // --- every wrong method on every route -----------------------------------------------------
  for (const char* route : {"/hits", "/failures", "/deploys", "/health"}) {
    const bool health = std::string(route) == "/health";
    for (const char* method : {"PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}) {
      rows.push_back(Row{std::string(method) + " " + route,
                         Raw(method, std::string("/onep") + route, Auth(hits)),
                         405,
                         "method_not_allowed",
                         "",
                         {{"Allow", health ? "GET, HEAD" : "POST"}}});
    }
  }
  rows.push_back(Row{"GET /hits",
                     Raw("GET", "/onep/hits", Auth(hits)),
                     405,
                     "method_not_allowed",
                     "",
                     {{"Allow", "POST"}}});
  rows.push_back(Row{"POST /health",
                     Raw("POST", "/onep/health", json, "{}"),
                     405,
                     "method_not_allowed",
                     "",
                     {{"Allow", "GET, HEAD"}}});
  return rows;
}

TEST_F(ModuleHostileTest, EveryHostileRequestIsRefusedExactlyAndLeavesNoTrace) {
  const std::vector<Row> rows = Rows();
  ASSERT_GE(rows.size(), 60u);
  std::set<std::string> names;
  for (const auto& row : rows) EXPECT_TRUE(names.insert(row.name).second) << row.name;
  const auto children = stack_.apache().ChildPids();

  long long length = StreamLength();
  ASSERT_EQ(length, 0);
  int apache_rows = 0;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    HttpResponse r = SendRaw(stack_.port(), row.raw, 15000, row.close_write);
    EXPECT_EQ(r.status, row.status) << r.error << "\n" << r.body;
    if (row.code.empty()) {
      ++apache_rows;
      // Apache's own answer: a refusal, not ours, and the module never ran.
      EXPECT_GE(r.status, 400);
      EXPECT_EQ(r.ErrorCode(), "") << r.body;
    } else {
      EXPECT_EQ(r.ErrorCode(), row.code) << r.body;
      EXPECT_EQ(r.Header("Content-Type"), "application/json") << r.body;
      EXPECT_NE(r.body.find("\"ok\":false"), std::string::npos) << r.body;
      if (!row.mention.empty()) {
        EXPECT_NE(r.body.find(row.mention), std::string::npos) << r.body;
      }
    }
    for (const auto& [name, value] : row.expect_headers) {
      EXPECT_EQ(r.Header(name), value) << name;
    }
    // Nothing recorded.
    EXPECT_EQ(StreamLength(), length);
    // The server still serves.
    auto valid = PostJson(stack_.port(), "/onep/hits", hits_.token, R"({"app":"web"})");
    EXPECT_EQ(valid.status, 202) << valid.body << valid.error;
    ++length;
    EXPECT_EQ(StreamLength(), length);
  }
  std::printf("[ hostile  ] %zu rows, %d answered by Apache itself\n", rows.size(), apache_rows);

  // No child crashed on the way.
  EXPECT_EQ(stack_.apache().ChildPids(), children);
  std::istringstream log(stack_.apache().ErrorLog());
  std::string line;
  while (std::getline(log, line)) {
    for (const char* needle : {"exit signal", "Segmentation", "ONEP0199", "ONEP0103"}) {
      EXPECT_EQ(line.find(needle), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace onep::testing
