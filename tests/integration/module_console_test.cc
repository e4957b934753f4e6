// SPDX-License-Identifier: Apache-2.0
// The web console in a real browser: Debian's headless Chromium, driven by
// Selenium (tests/browser/console_flow.py), against the real module on a
// real Apache with Basic authentication and a real Redis. The script clicks
// through the credentials page and checks every outcome (its own comments
// list them); this test gives it the servers and asserts that it passed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "support/admin_site.h"
#include "support/apache_server.h"
#include "support/process.h"

namespace onep::testing {
namespace {

TEST(ModuleConsoleTest, TheCredentialsPageWorksInARealBrowser) {
  ONEP_SINGLE_REDIS_ONLY("the console's API runs on the cluster in ModuleAdminTest");
  ASSERT_TRUE(ProgramInstalled("/usr/bin/chromium", "chromium"));
  ASSERT_TRUE(ProgramInstalled("/usr/bin/chromedriver", "chromium-driver"));
  ASSERT_TRUE(ProgramInstalled("/usr/bin/python3", "python3"));
  PasswordFile passwords({std::make_pair(std::string("alice"), std::string("alice-pw"))});
  ApacheOptions options;
  options.extra_config = BasicAuthModules() + AdminLocation("/admin", passwords.path()) +
                         AdminLocation("/admin-acme", passwords.path(), {"OnepAdminOrgs acme"});
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  const std::string base = "http://127.0.0.1:" + std::to_string(stack.port());
  std::map<std::string, std::string> env = {
      {"ONEP_CONSOLE_URL", base + "/admin/"}, {"ONEP_LIMITED_URL", base + "/admin-acme/"},
      {"ONEP_WEBHOOK_URL", base + "/onep"},   {"ONEP_ADMIN_USER", "alice"},
      {"ONEP_ADMIN_PASSWORD", "alice-pw"},
  };
  // Set to a folder to refresh the screenshots of docs/console.md.
  if (const char* shots = std::getenv("ONEP_SCREENSHOT_DIR")) env["ONEP_SCREENSHOT_DIR"] = shots;
  RunResult r = ::onep::testing::Run(
      {"/usr/bin/python3", std::string(ONEP_SOURCE_DIR) + "/tests/browser/console_flow.py"}, env);
  EXPECT_EQ(r.exit_code, 0) << "console_flow.py:\n" << r.out << r.err;
  // The tokens the page showed never reached a log line.
  const std::string log = stack.apache().ErrorLog();
  EXPECT_FALSE(std::regex_search(log, std::regex("onep_[A-Za-z0-9]{40}"))) << log;
}

TEST(ModuleConsoleTest, TheApplicationPagesWorkInARealBrowser) {
  ONEP_SINGLE_REDIS_ONLY("the apps API runs on the cluster in ModuleAdminTest");
  ASSERT_TRUE(ProgramInstalled("/usr/bin/chromium", "chromium"));
  ASSERT_TRUE(ProgramInstalled("/usr/bin/chromedriver", "chromium-driver"));
  PasswordFile passwords({std::make_pair(std::string("alice"), std::string("alice-pw"))});
  ApacheOptions options;
  options.extra_config = BasicAuthModules() + AdminLocation("/admin", passwords.path());
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  const std::string base = "http://127.0.0.1:" + std::to_string(stack.port());
  std::map<std::string, std::string> env = {
      {"ONEP_CONSOLE_URL", base + "/admin/"}, {"ONEP_LIMITED_URL", base + "/admin/"},
      {"ONEP_WEBHOOK_URL", base + "/onep"},   {"ONEP_ADMIN_USER", "alice"},
      {"ONEP_ADMIN_PASSWORD", "alice-pw"},
  };
  if (const char* shots = std::getenv("ONEP_SCREENSHOT_DIR")) env["ONEP_SCREENSHOT_DIR"] = shots;
  RunResult r = ::onep::testing::Run(
      {"/usr/bin/python3", std::string(ONEP_SOURCE_DIR) + "/tests/browser/apps_flow.py"}, env);
  EXPECT_EQ(r.exit_code, 0) << "apps_flow.py:\n" << r.out << r.err;
  // Its count of checks, and whether the insights were there to check.
  std::cout << r.out;
}

TEST(ModuleConsoleTest, AFirstIntegrationReadsRightInARealBrowser) {
  ONEP_SINGLE_REDIS_ONLY("the admin API runs on the cluster in ModuleAdminTest");
  ASSERT_TRUE(ProgramInstalled("/usr/bin/chromium", "chromium"));
  ASSERT_TRUE(ProgramInstalled("/usr/bin/chromedriver", "chromium-driver"));
  ASSERT_TRUE(ProgramInstalled("/usr/bin/curl", "curl"));
  PasswordFile passwords({std::make_pair(std::string("alice"), std::string("alice-pw"))});
  ApacheOptions options;
  options.extra_config = BasicAuthModules() + AdminLocation("/admin", passwords.path());
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  const std::string base = "http://127.0.0.1:" + std::to_string(stack.port());
  std::map<std::string, std::string> env = {
      {"ONEP_CONSOLE_URL", base + "/admin/"}, {"ONEP_LIMITED_URL", base + "/admin/"},
      {"ONEP_WEBHOOK_URL", base + "/onep"},   {"ONEP_ADMIN_USER", "alice"},
      {"ONEP_ADMIN_PASSWORD", "alice-pw"},
  };
  if (const char* shots = std::getenv("ONEP_SCREENSHOT_DIR")) env["ONEP_SCREENSHOT_DIR"] = shots;
  RunResult r = ::onep::testing::Run(
      {"/usr/bin/python3", std::string(ONEP_SOURCE_DIR) + "/tests/browser/first_steps_flow.py"},
      env);
  EXPECT_EQ(r.exit_code, 0) << "first_steps_flow.py:\n" << r.out << r.err;
  const std::string log = stack.apache().ErrorLog();
  EXPECT_FALSE(std::regex_search(log, std::regex("onep_[A-Za-z0-9]{40}"))) << log;
}

TEST(ModuleConsoleTest, ATestNotificationAddedInTheConsoleIsDeliveredAndSigned) {
  ONEP_SINGLE_REDIS_ONLY("the notification routes run on the cluster in ModuleNotifyAdminTest");
  ASSERT_TRUE(ProgramInstalled("/usr/bin/chromium", "chromium"));
  ASSERT_TRUE(ProgramInstalled("/usr/bin/chromedriver", "chromium-driver"));
  const std::string dir = MakeTempDir("notifyconsole");
  const std::string key_file = dir + "/secret.key";
  WriteFile(key_file, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
  chmod(key_file.c_str(), 0600);
  // The receiver reads its secret at each request: the flow writes the one
  // the console showed there.
  const std::string secret_file = dir + "/receiver.secret";
  WriteFile(secret_file, "whsec_");
  const pid_t receiver = Spawn(
      {"/usr/bin/python3", std::string(ONEP_SOURCE_DIR) + "/tests/support/webhook_receiver.py",
       dir + "/port", dir + "/log", "@" + secret_file},
      dir + "/receiver.out");
  // Stopped, and the folder removed, however the test ends.
  struct Cleanup {
    pid_t pid;
    std::string dir;
    ~Cleanup() {
      StopSpawned(pid, SIGTERM);
      PrintLogIfTestFailed("webhook receiver", dir + "/receiver.out");
      RemoveTree(dir);
    }
  } cleanup{receiver, dir};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ReadFile(dir + "/port").empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string port = ReadFile(dir + "/port");
  ASSERT_FALSE(port.empty()) << ReadFile(dir + "/receiver.out");
  PasswordFile passwords({std::make_pair(std::string("alice"), std::string("alice-pw"))});
  ApacheOptions options;
  options.server_directives = {"OnepSecretKeyFile " + key_file, "OnepNotifyAllowHttp On",
                               "OnepNotifyAllowPrivate On", "OnepNotifyRetryBase 100ms"};
  options.extra_config = BasicAuthModules() + AdminLocation("/admin", passwords.path());
  OnepStack stack(options);
  ASSERT_TRUE(stack.Start());
  const std::string base = "http://127.0.0.1:" + std::to_string(stack.port());
  std::map<std::string, std::string> env = {
      {"ONEP_CONSOLE_URL", base + "/admin/"},     {"ONEP_LIMITED_URL", base + "/admin/"},
      {"ONEP_WEBHOOK_URL", base + "/onep"},       {"ONEP_ADMIN_USER", "alice"},
      {"ONEP_ADMIN_PASSWORD", "alice-pw"},        {"ONEP_RECEIVER_URL", "http://127.0.0.1:" + port},
      {"ONEP_RECEIVER_SECRET_FILE", secret_file}, {"ONEP_RECEIVER_LOG", dir + "/log"},
  };
  if (const char* shots = std::getenv("ONEP_SCREENSHOT_DIR")) env["ONEP_SCREENSHOT_DIR"] = shots;
  RunResult r = ::onep::testing::Run(
      {"/usr/bin/python3", std::string(ONEP_SOURCE_DIR) + "/tests/browser/notify_flow.py"}, env);
  EXPECT_EQ(r.exit_code, 0) << "notify_flow.py:\n" << r.out << r.err;
  std::cout << r.out;
  // Exactly one webhook, verified with the secret the console showed.
  const std::string log = ReadFile(dir + "/log");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_NE(log.find("\"verified\": true"), std::string::npos) << log;
  // The secret never reached a log line.
  const std::string secret = ReadFile(secret_file);
  EXPECT_GT(secret.size(), 10u);
  EXPECT_EQ(stack.apache().ErrorLog().find(secret), std::string::npos);
}

}  // namespace
}  // namespace onep::testing
