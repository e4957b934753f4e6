// SPDX-License-Identifier: Apache-2.0
// onepctl(1) and the bash completion, generated from the command table, must
// say what --help says: the man page is rendered by man(1) and every line of
// every --help must be found in it; the completion script is driven by bash
// the way readline drives it (COMP_WORDS, COMP_CWORD, then the function).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "command_table.h"
#include "manual.h"
#include "support/process.h"

namespace onep::cli {
namespace {

// Runs of spaces and newlines become one space: man fills and indents text.
std::string Squeeze(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  return out;
}

std::string RenderedManPage() {
  EXPECT_TRUE(testing::ProgramInstalled("/usr/bin/man", "man-db"));
  auto r = testing::Run({"/usr/bin/man", "--nh", "--nj", "-E", "ascii", "-l", ONEPCTL_MAN_PATH},
                        {{"MANWIDTH", "2000"}, {"MAN_KEEP_FORMATTING", ""}, {"LC_ALL", "C"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Squeeze(r.out);
}

// Every line of a --help text, but the pointers to other help.
void ExpectEveryLineIn(const std::string& help, const std::string& man, const std::string& what) {
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    std::string text = Squeeze(line);
    if (!text.empty() && text[0] == ' ') text.erase(0, 1);
    if (text.empty() || text.back() == ':' || text.rfind("Run '", 0) == 0 ||
        text.rfind("Global options: --redis", 0) == 0) {
      continue;
    }
    for (const char* label :
         {"Usage: ", "Durations: ", "Times: ", "Environment: ", "Exit status: "}) {
      if (text.rfind(label, 0) == 0) text.erase(0, std::string(label).size());
    }
    if (text.rfind("onepctl: ", 0) == 0) text = "onepctl - " + text.substr(9);
    if (!text.empty() && text.back() == '.') text.pop_back();
    EXPECT_NE(man.find(text), std::string::npos) << what << ": not in the man page: " << text;
  }
}

TEST(CliManualTest, TheManPageSaysWhatEveryHelpSays) {
  const std::string man = RenderedManPage();
  ASSERT_FALSE(man.empty());
  ExpectEveryLineIn(GlobalHelp(), man, "onepctl --help");
  for (const auto& command : Commands()) {
    ExpectEveryLineIn(CommandHelp(command), man,
                      "onepctl " + std::string(command.name) + " --help");
  }
}

TEST(CliManualTest, TheInstalledFilesAreTheGeneratedOnes) {
  EXPECT_EQ(testing::ReadFile(ONEPCTL_MAN_PATH), ManPage(ONEP_VERSION_FOR_TESTS));
  EXPECT_EQ(testing::ReadFile(ONEPCTL_COMPLETION_PATH), BashCompletion());
}

// What bash completes for `line` (the word under the cursor is the last,
// possibly empty), one candidate per line, sorted.
std::string Complete(const std::string& line) {
  const std::string script =
      std::string("source '") + ONEPCTL_COMPLETION_PATH +
      "'\n"
      "read -ra COMP_WORDS <<< \"$LINE\"\n"
      "[[ $LINE == *' ' ]] && COMP_WORDS+=('')\n"
      "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
      "_onepctl\n"
      "if [[ ${#COMPREPLY[@]} -gt 0 ]]; then printf '%s\\n' \"${COMPREPLY[@]}\" | sort; fi\n";
  auto r = testing::Run({"/bin/bash", "-c", script}, {{"LINE", line}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(CliManualTest, BashCompletesCommandsOptionsAndTypes) {
  EXPECT_EQ(Complete("onepctl r"), "rename\nrotate\n");
  EXPECT_EQ(Complete("onepctl --json m"), "migrate\nmonitor\n");
  EXPECT_NE(Complete("onepctl --").find("--redis\n"), std::string::npos);
  EXPECT_EQ(Complete("onepctl create --ty"), "--type\n");
  EXPECT_EQ(Complete("onepctl create --type "), "deploy\nhits\n");
  EXPECT_EQ(Complete("onepctl events --org acme --type "),
            "deploy\nfailure\nhit\nincident_opened\nincident_resolved\n");
  EXPECT_EQ(Complete("onepctl monitor acme api --severity "), "");  // S: free text
  EXPECT_EQ(Complete("onepctl monitor acme api --pa"), "--pause\n");
  EXPECT_EQ(Complete("onepctl list --org acme --type h"), "hits\n");
  EXPECT_EQ(Complete("onepctl rotate wh_x --g"), "--grace\n");
  EXPECT_EQ(Complete("onepctl create --name "), "");  // free text
  // Every command's every option, from the table.
  for (const auto& command : Commands()) {
    const std::string all = Complete("onepctl " + std::string(command.name) + " --");
    for (const auto& option : command.options) {
      EXPECT_NE(all.find(std::string(option.name) + "\n"), std::string::npos)
          << command.name << " " << option.name;
    }
  }
}

}  // namespace
}  // namespace onep::cli
