// SPDX-License-Identifier: Apache-2.0
// The module and onepctl as the least-privilege Redis ACL users that
// docs/operations.md gives (the lines are read from that file): everything
// works; a user without a right it needs gets a clear 503 (module) or one
// line naming NOPERM (onepctl), never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/apache_server.h"
#include "support/http_client.h"
#include "support/load.h"
#include "support/process.h"

namespace onep::testing {
namespace {

// The "user NAME ..." line of docs/operations.md, its password replaced.
std::string DocumentedUser(const std::string& name, const std::string& password) {
  std::istringstream doc(ReadFile(std::string(ONEP_SOURCE_DIR) + "/docs/operations.md"));
  std::string line;
  while (std::getline(doc, line)) {
    if (line.rfind("user " + name + " ", 0) != 0) continue;
    const std::size_t gt = line.find(" >");
    const std::size_t end = line.find(' ', gt + 2);
    if (gt == std::string::npos || end == std::string::npos) break;
    return line.substr(0, gt + 2) + password + line.substr(end);
  }
  ADD_FAILURE() << "docs/operations.md has no line \"user " << name << " ...\"";
  return "";
}

// `line` without one "+command" right.
std::string Without(std::string line, const std::string& right) {
  const std::size_t at = line.find(" " + right + " ");
  EXPECT_NE(at, std::string::npos) << right << " not in " << line;
  if (at != std::string::npos) line.erase(at, right.size() + 1);
  return line;
}

std::string Url(int port, const std::string& user, const std::string& password) {
  return "redis://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port) + "/0";
}

TEST(ModuleAclTest, TheDocumentedUsersCanDoEverythingAndNoMore) {
  ONEP_SINGLE_REDIS_ONLY("it configures the server's ACL users");
  const std::string module_user = DocumentedUser("onep-module", "module-pw");
  const std::string cli_user = DocumentedUser("onepctl", "cli-pw");
  ASSERT_FALSE(module_user.empty() || cli_user.empty());
  // The same rights under other names, each without one it needs.
  std::string no_xadd = Without(module_user, "+xadd");
  no_xadd.replace(0, std::string("user onep-module").size(), "user module-no-xadd");
  std::string no_hgetall = Without(cli_user, "+hgetall");
  no_hgetall.replace(0, std::string("user onepctl").size(), "user cli-no-hgetall");

  ApacheOptions options;
  OnepStack stack(options, {module_user, cli_user, no_xadd, no_hgetall});
  const int port = stack.redis().server().port();
  // Apache of our own, connecting as the module's user.
  ApacheServer apache([&] {
    ApacheOptions o;
    o.server_directives = {"OnepRedis " + Url(port, "onep-module", "module-pw"),
                           "OnepKeyPrefix onep:"};
    return o;
  }());
  ASSERT_TRUE(apache.Start());

  const std::map<std::string, std::string> cli = {
      {"ONEP_REDIS_URL", Url(port, "onepctl", "cli-pw")}};
  RunResult created = ::onep::testing::Run(
      {ONEPCTL_PATH, "create", "--org", "acme", "--type", "hits", "--name", "web", "--json"}, cli);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  JsonPtr issued(json_loads(created.out.c_str(), 0, nullptr));
  const std::string token = json_string_value(json_object_get(issued.get(), "token"));
  const std::string id = json_string_value(json_object_get(issued.get(), "id"));

  auto accepted = PostJson(apache.port(), "/onep/hits", token, R"({"app":"web"})",
                           {{"Idempotency-Key", "acl-1"}});
  EXPECT_EQ(accepted.status, 202) << accepted.body << apache.ErrorLog();
  EXPECT_EQ(Get(apache.port(), "/onep/health").status, 200);

  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"list", "--org", "acme"},
                                             {"show", id},
                                             {"events", "--org", "acme"},
                                             {"stats", "--org", "acme"},
                                             {"audit", "--org", "acme"},
                                             {"insights", "--org", "acme"},
                                             {"orgs"},
                                             {"rotate", id},
                                             {"rename", id, "renamed"},
                                             {"delete", id, "--yes"}}) {
    std::vector<std::string> argv = {ONEPCTL_PATH};
    argv.insert(argv.end(), command.begin(), command.end());
    RunResult r = ::onep::testing::Run(argv, cli);
    EXPECT_EQ(r.exit_code, 0) << command[0] << ": " << r.err;
  }
  ExpectNoChildCrash(apache);

  // Without +xadd: the record script fails at XADD, before it writes the
  // event (Redis does not name the command in its reply; its ACL LOG does).
  ApacheServer lacking([&] {
    ApacheOptions o;
    o.server_directives = {"OnepRedis " + Url(port, "module-no-xadd", "module-pw"),
                           "OnepKeyPrefix onep:"};
    return o;
  }());
  ASSERT_TRUE(lacking.Start());
  RunResult again = ::onep::testing::Run(
      {ONEPCTL_PATH, "create", "--org", "acme", "--type", "hits", "--name", "w2", "--json"}, cli);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  JsonPtr second(json_loads(again.out.c_str(), 0, nullptr));
  const std::string token2 = json_string_value(json_object_get(second.get(), "token"));
  const std::string id2 = json_string_value(json_object_get(second.get(), "id"));
  auto refused = PostJson(lacking.port(), "/onep/hits", token2, R"({"app":"web"})");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("\"store_unavailable\""), std::string::npos) << refused.body;
  const std::string log = lacking.ErrorLog();
  EXPECT_NE(log.find("ONEP0102"), std::string::npos) << log;
  EXPECT_NE(log.find("NOPERM"), std::string::npos) << log;
  EXPECT_NE(log.find("may not run a command the script calls"), std::string::npos) << log;
  ExpectNoChildCrash(lacking);

  // Without +hgetall: show cannot read the credential.
  RunResult denied = ::onep::testing::Run(
      {ONEPCTL_PATH, "show", id2}, {{"ONEP_REDIS_URL", Url(port, "cli-no-hgetall", "cli-pw")}});
  EXPECT_EQ(denied.exit_code, 1) << denied.out << denied.err;
  EXPECT_NE(denied.err.find("NOPERM"), std::string::npos) << denied.err;
  EXPECT_EQ(std::count(denied.err.begin(), denied.err.end(), '\n'), 1) << denied.err;
  EXPECT_EQ(denied.err.find("cli-pw"), std::string::npos) << denied.err;
}

}  // namespace
}  // namespace onep::testing
