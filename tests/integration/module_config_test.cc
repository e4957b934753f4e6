// SPDX-License-Identifier: Apache-2.0
// mod_onep's directives: `apache2 -t` refuses every bad value with a message
// naming the directive, virtual hosts inherit and override the server config,
// mounts belong to their own virtual host (another one's authentication at
// the same path keeps the Authorization header), and the directive table and
// the log ids agree with conf/onep.conf, docs/configuration.md and
// docs/operations.md.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "onep/keys.h"
#include "onep/redis_credential_store.h"
#include "support/admin_site.h"
#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/process.h"

namespace onep::testing {
namespace {

struct BadValue {
  std::string directive;
  std::string value;
  bool in_location;  // directory directives go inside the <Location>
};

TEST(ModuleConfigTest, ConfigTestRefusesEveryBadValueNamingTheDirective) {
  const std::vector<BadValue> cases = {
      {"OnepRedis", "http://127.0.0.1:6379", false},
      {"OnepRedis", "redis://127.0.0.1:99999/0", false},
      {"OnepRedis", "redis://127.0.0.1:6379/notanumber", false},
      {"OnepRedis", "unix://relative/path", false},
      {"OnepRedis", "redis-cluster://", false},
      {"OnepRedis", "redis-cluster://127.0.0.1:7000,:7001", false},
      {"OnepRedis", "redis-cluster://127.0.0.1:7000/3", false},
      {"OnepRedis", "redis-sentinel://127.0.0.1:26379", false},
      {"OnepRedis", "redis-sentinel://127.0.0.1:26379/", false},
      {"OnepRedis", "redis-sentinel://127.0.0.1:26379,:26380/onep-primary", false},
      {"OnepRedis", "redis-sentinel://127.0.0.1:26379/onep-primary/x", false},
      {"OnepRedis", "redis-sentinel://127.0.0.1:26379/bad%20name", false},
      {"OnepRedis", "redis-sentinel://127.0.0.1:26379/onep-primary?db=1", false},
      {"OnepRedis", "redis-sentinel://127.0.0.1:26379/onep-primary?sentinel_user=w", false},
      {"OnepRedisWait", "-1", false},
      {"OnepRedisWait", "one", false},
      {"OnepRedisWait", "1 forever", false},
      {"OnepRedisWait", "1 0", false},
      {"OnepRedisWait", "100", false},
      {"OnepRedisTimeout", "soon", false},
      {"OnepRedisTimeout", "0", false},
      {"OnepRedisTimeout", "-5ms", false},
      {"OnepRedisTimeout", "2h", false},
      {"OnepKeyPrefix", "\"has space\"", false},
      {"OnepKeyPrefix", "{tag}", false},
      {"OnepKeyPrefix", "\"\"", false},
      {"OnepMaxBodySize", "lots", true},
      {"OnepMaxBodySize", "0", true},
      {"OnepMaxBodySize", "1g", true},
      {"OnepMaxBodySize", "-1", true},
      {"OnepRetention", "10m", false},
      {"OnepRetention", "3651d", false},
      {"OnepRetention", "forever", false},
      {"OnepMaxEvents", "999", false},
      {"OnepMaxEvents", "many", false},
      {"OnepMaxIdempotencyKeys", "99", false},
      {"OnepMaxIdempotencyKeys", "10000001", false},
      {"OnepMaxDeployIds", "99", false},
      {"OnepMaxDeployIds", "lots", false},
      {"OnepMaxApps", "0", false},
      {"OnepMaxApps", "100001", false},
      {"OnepMaxApps", "-1", false},
      {"OnepMaxApps", "many", false},
      {"OnepMaxFieldLength", "65k", true},
      {"OnepMaxFieldLength", "0", true},
      {"OnepMaxEventSize", "257k", true},
      {"OnepMaxEventSize", "x", true},
      {"OnepRateLimit", "-1", true},
      {"OnepRateLimit", "ten", true},
      {"OnepRateLimit", "1.5", true},
      {"OnepRateLimit", "99999999999", true},
      {"OnepBodyTimeout", "0", true},
      {"OnepBodyTimeout", "11m", true},
      {"OnepBodyTimeout", "slowly", true},
      {"OnepInvalidTokenLimit", "-1", false},
      {"OnepInvalidTokenLimit", "many", false},
      {"OnepInvalidTokenLimit", "99999999999", false},
      {"OnepPublicURL", "ftp://example.com/onep", true},
      {"OnepPublicURL", "https://user:pw@example.com/onep", true},
      {"OnepPublicURL", "https://example.com/onep#x", true},
      {"OnepPublicURL", "\"https://example.com/a b\"", true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.directive + " " + c.value);
    ApacheOptions options;
    const std::string line = c.directive + " " + c.value;
    (c.in_location ? options.location_directives : options.server_directives).push_back(line);
    RunResult result = ApacheConfigTest(options);
    EXPECT_NE(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE((result.out + result.err).find(c.directive), std::string::npos)
        << result.out << result.err;
  }
}

TEST(ModuleConfigTest, ConfigTestRefusesADirectiveOutOfItsContext) {
  {
    ApacheOptions options;
    options.location_directives = {"OnepRedis redis://127.0.0.1:6379/0"};
    RunResult result = ApacheConfigTest(options);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("OnepRedis"), std::string::npos) << result.err;
  }
  {
    ApacheOptions options;
    options.server_directives = {"OnepRateLimit 5"};
    RunResult result = ApacheConfigTest(options);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("OnepRateLimit"), std::string::npos) << result.err;
  }
  {
    ApacheOptions options;
    options.location_directives = {"OnepInvalidTokenLimit 5"};
    RunResult result = ApacheConfigTest(options);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("OnepInvalidTokenLimit"), std::string::npos) << result.err;
  }
}

TEST(ModuleConfigTest, ConfigTestAcceptsGoodValuesEverywhere) {
  ApacheOptions options;
  options.server_directives = {"OnepRedis redis://:pw@127.0.0.1:6380/2",
                               "OnepRedisTimeout 2s",
                               "OnepKeyPrefix myapp:onep:",
                               "OnepRetention 7d",
                               "OnepMaxEvents 50000",
                               "OnepRedisWait 1 250ms",
                               "OnepInvalidTokenLimit 0"};
  options.location_directives = {"OnepMaxBodySize 1m", "OnepRateLimit 100", "OnepMaxFieldLength 1k",
                                 "OnepMaxEventSize 2k", "OnepBodyTimeout 30s"};
  options.extra_config =
      "<VirtualHost 127.0.0.1:8999>\n"
      "  OnepRedis redis-cluster://onep:pw@127.0.0.1:7000,127.0.0.1:7001\n"
      "  OnepRedisTimeout 750ms\n"
      "  OnepKeyPrefix other:\n"
      "  <Location /hooks>\n"
      "    SetHandler onep\n"
      "    OnepMaxBodySize 65536\n"
      "    OnepRateLimit 0\n"
      "  </Location>\n"
      "</VirtualHost>\n";
  RunResult result = ApacheConfigTest(options);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE((result.out + result.err).find("Syntax OK"), std::string::npos);
}

TEST(ModuleConfigTest, ShippedConfOnepConfPassesTheConfigTest) {
  ApacheOptions options;
  options.location = "/elsewhere";
  options.extra_config = "Include " + std::string(ONEP_SOURCE_DIR) + "/conf/onep.conf\n";
  RunResult result = ApacheConfigTest(options);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

// The shipped configuration turns TRACE off for the whole server: a TRACE
// outside any onep location is refused and echoes no Authorization header.
TEST(ModuleConfigTest, TheShippedConfOnepConfRefusesTrace) {
  ApacheOptions options;
  options.location = "/elsewhere";
  options.extra_config = "Include " + std::string(ONEP_SOURCE_DIR) + "/conf/onep.conf\n";
  ApacheServer apache(options);
  ASSERT_TRUE(apache.Start());
  const std::string secret = "Basic c2VjcmV0OnNlY3JldA==";
  for (const char* path : {"/", "/elsewhere/health"}) {
    HttpRequest trace;
    trace.method = "TRACE";
    trace.path = path;
    trace.headers = {{"Authorization", secret}, {"X-Probe", "echo-me"}};
    HttpResponse r = Send(apache.port(), trace);
    EXPECT_EQ(r.status, 405) << path << "\n" << r.body;
    EXPECT_EQ(r.body.find(secret), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("echo-me"), std::string::npos) << r.body;
  }
}

TEST(ModuleConfigTest, VirtualHostsInheritAndOverrideTheServerConfig) {
  const int vhost_port = FreePort();
  ApacheOptions options;
  options.extra_config = "Listen 127.0.0.1:" + std::to_string(vhost_port) +
                         "\n"
                         "<VirtualHost 127.0.0.1:" +
                         std::to_string(vhost_port) +
                         ">\n"
                         "  OnepKeyPrefix other:\n"
                         "  <Location /hooks>\n"
                         "    SetHandler onep\n"
                         "    Require all granted\n"
                         "  </Location>\n"
                         "</VirtualHost>\n";
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto main_cred = stack.Create("acme", "hits");

  // A credential stored under the vhost's prefix (the vhost inherits
  // OnepRedis from the main server).
  auto client = stack.redis().Client();
  RedisCredentialStore other_store(*client, KeySpace("other:"));
  CredentialService other_service(other_store, "tests");
  auto other = other_service.Create({"acme", "hits", "vhost creds", "", 0});
  ASSERT_TRUE(other.ok()) << other.status().ToString();

  EXPECT_EQ(PostJson(stack.port(), "/onep/hits", main_cred.token, R"({"app":"web"})").status, 202);
  EXPECT_EQ(PostJson(vhost_port, "/hooks/hits", other->token, R"({"app":"web"})").status, 202);
  // Each server only knows the tokens under its own prefix.
  EXPECT_EQ(PostJson(vhost_port, "/hooks/hits", main_cred.token, R"({"app":"web"})").status, 401);
  EXPECT_EQ(PostJson(stack.port(), "/onep/hits", other->token, R"({"app":"web"})").status, 401);
}

// A webhook mount is its virtual host's own: the Authorization header that
// the module keeps out of r->headers_in below it is taken only from requests
// to that virtual host. Another one serving the same path behind
// mod_auth_basic still sees its credentials.
TEST(ModuleConfigTest, AnotherVirtualHostAtTheSamePathKeepsItsBasicAuthentication) {
  const int hooks_port = FreePort();
  const int site_port = FreePort();
  PasswordFile passwords({{"alice", "alice-pw"}, {"bob", "bob-pw"}});
  const std::string site_root = MakeTempDir("onep-site");
  chmod(site_root.c_str(), 0755);
  ASSERT_EQ(mkdir((site_root + "/onep").c_str(), 0755), 0);
  WriteFile(site_root + "/onep/hits", "the site's own page\n");
  chmod((site_root + "/onep/hits").c_str(), 0644);

  ApacheOptions options;
  options.location = "/main-hooks";  // the main server's mount, at another path
  options.extra_config =
      BasicAuthModules() + "Listen 127.0.0.1:" + std::to_string(hooks_port) + "\n" +
      "Listen 127.0.0.1:" + std::to_string(site_port) + "\n" +
      "<VirtualHost 127.0.0.1:" + std::to_string(hooks_port) + ">\n" +
      "  <Location /onep>\n    SetHandler onep\n    Require all granted\n  </Location>\n" +
      "</VirtualHost>\n" + "<VirtualHost 127.0.0.1:" + std::to_string(site_port) + ">\n" +
      "  DocumentRoot \"" + site_root + "\"\n" + "  <Directory \"" + site_root +
      "\">\n    Require all granted\n  </Directory>\n" +
      "  <Location /onep>\n    AuthType Basic\n    AuthName site\n" +
      "    AuthBasicProvider file\n    AuthUserFile \"" + passwords.path() + "\"\n" +
      "    Require valid-user\n  </Location>\n" + "</VirtualHost>\n";
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  auto hits = stack.Create("acme", "hits", "web");

  EXPECT_EQ(PostJson(hooks_port, "/onep/hits", hits.token, "{}").status, 202);
  HttpRequest page;
  page.path = "/onep/hits";
  EXPECT_EQ(Send(site_port, page).status, 401);
  page.headers.push_back(BasicAuth("alice", "alice-pw"));
  HttpResponse seen = Send(site_port, page);
  EXPECT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(seen.body, "the site's own page\n");
  // The main server's mount is every server's: the site has it too.
  EXPECT_EQ(PostJson(site_port, "/main-hooks/hits", hits.token, "{}").status, 202);
  RemoveTree(site_root);
}

// Below a mount there is no file (docs/configuration.md): the module claims
// the URL-to-file mapping of its requests, so Apache does not walk the
// filesystem for them, and .htaccess files or <Directory> sections of the
// document root do not apply there. They still do next to the mount.
TEST(ModuleConfigTest, NoFileIsMappedBelowAMount) {
  ApacheOptions options;
  options.extra_config = "<Directory />\n  AllowOverride All\n</Directory>\n";
  OnepStack stack(options);
  // Broken .htaccess files: Apache answers 500 to a request that reads one.
  for (const char* folder : {"/onep", "/files"}) {
    const std::string path = stack.apache().dir() + folder;
    ASSERT_EQ(mkdir(path.c_str(), 0755), 0) << path;
    WriteFile(path + "/.htaccess", "NotADirective\n");
  }
  ASSERT_TRUE(stack.Start());
  auto hits = stack.Create("acme", "hits", "web");
  EXPECT_EQ(PostJson(stack.port(), stack.path("/hits"), hits.token, "{}").status, 202);
  HttpRequest health;
  health.path = stack.path("/health");
  EXPECT_EQ(Send(stack.port(), health).status, 200);
  HttpRequest file;
  file.path = "/files/x";
  EXPECT_EQ(Send(stack.port(), file).status, 500);
}

// --- the docs agree with the code --------------------------------------------------

std::set<std::string> Matches(const std::string& text, const std::string& pattern) {
  std::set<std::string> found;
  std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    found.insert((*it)[1].str());
  }
  return found;
}

TEST(ModuleConfigTest, EveryDirectiveIsInConfAndDocsAndViceVersa) {
  const std::string src = ONEP_SOURCE_DIR;
  const std::string code = ReadFile(src + "/mod_onep/mod_onep.cc");
  const std::string conf = ReadFile(src + "/conf/onep.conf");
  const std::string docs = ReadFile(src + "/docs/configuration.md");
  ASSERT_FALSE(code.empty());
  ASSERT_FALSE(conf.empty());
  ASSERT_FALSE(docs.empty());

  const auto in_code = Matches(code, R"re(AP_INIT_[A-Z0-9_]+\(\s*"(Onep[A-Za-z]+)")re");
  // conf/onep.conf: each directive on a line of its own, active or commented out.
  const auto in_conf = Matches(conf, R"re((?:^|\n)[ \t]*#?[ \t]*(Onep[A-Za-z]+)[ \t])re");
  // docs/configuration.md: one "## OnepX" section per directive.
  const auto in_docs = Matches(docs, R"re((?:^|\n)## (Onep[A-Za-z]+))re");

  EXPECT_EQ(in_code.size(), 23u);
  EXPECT_EQ(in_conf, in_code);
  EXPECT_EQ(in_docs, in_code);
  // Every documented directive states its syntax, default and context.
  for (const auto& name : in_code) {
    auto at = docs.find("## " + name);
    ASSERT_NE(at, std::string::npos);
    auto next = docs.find("\n## ", at + 1);
    const std::string section = docs.substr(at, next == std::string::npos ? next : next - at);
    for (const char* field : {"Description", "Syntax", "Default", "Context"}) {
      EXPECT_NE(section.find(field), std::string::npos) << name << " lacks " << field;
    }
  }
}

// Every log id in the code (a line's "ONEPnnnn: " start) has its row in
// docs/operations.md's table, once, and every row is a line of the code.
TEST(ModuleConfigTest, EveryLogIdIsInOperationsDocsAndViceVersa) {
  const std::string src = ONEP_SOURCE_DIR;
  std::string code;
  for (const char* dir : {"/mod_onep", "/core"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(src + dir)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".cc" || ext == ".h")) {
        code += ReadFile(entry.path().string());
      }
    }
  }
  const std::string docs = ReadFile(src + "/docs/operations.md");
  ASSERT_FALSE(docs.empty());

  const auto in_code = Matches(code, R"re("(ONEP[0-9]{4}): )re");
  const auto in_docs = Matches(docs, R"re(\n\| `(ONEP[0-9]{4})` \|)re");
  EXPECT_GE(in_code.size(), 30u);
  EXPECT_EQ(in_docs, in_code);
  for (const auto& id : in_docs) {
    const std::string row = "\n| `" + id + "` |";
    EXPECT_EQ(docs.find(row), docs.rfind(row)) << id << " has two rows";
  }
}

}  // namespace
}  // namespace onep::testing
