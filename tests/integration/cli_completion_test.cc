// SPDX-License-Identifier: Apache-2.0
// The generated bash completion against a real Redis: organizations after
// --org and credential ids after show/rotate/rename/delete come from onepctl
// itself, with the --redis and --prefix typed on the line.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "cli_fixture.h"

namespace onep::testing {
namespace {

class CliCompletionTest : public CliTest {
 protected:
  // Candidates for `words` (after onepctl --redis URL --prefix onep:), the
  // last being the word under the cursor.
  std::set<std::string> Complete(const std::string& words) {
    const std::string script =
        std::string("source '") + ONEPCTL_COMPLETION_PATH +
        "'\n"
        "read -ra rest <<< \"$WORDS\"\n"
        "COMP_WORDS=(\"$ONEPCTL\" --redis \"$URL\" --prefix onep: \"${rest[@]}\")\n"
        "[[ $WORDS == *' ' || -z $WORDS ]] && COMP_WORDS+=('')\n"
        "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        "_onepctl\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    auto r = Exec({"/bin/bash", "-c", script},
                  {{"WORDS", words}, {"ONEPCTL", ONEPCTL_PATH}, {"URL", redis_->url()}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) out.insert(line);
    }
    return out;
  }
};

TEST_F(CliCompletionTest, CompletesOrgsAndTheCredentialIdsOfAnOrg) {
  auto a = Create("acme", "hits", "one");
  auto b = Create("acme", "deploy", "two", "api");
  auto c = Create("beta", "hits", "three");
  EXPECT_EQ(Complete("list --org "), (std::set<std::string>{"acme", "beta"}));
  EXPECT_EQ(Complete("list --org a"), (std::set<std::string>{"acme"}));
  EXPECT_EQ(Complete("show "), (std::set<std::string>{a.id, b.id, c.id}));
  EXPECT_EQ(Complete("rotate " + a.id.substr(0, a.id.size() - 2)), (std::set<std::string>{a.id}));
  EXPECT_EQ(Complete("delete --org beta "), (std::set<std::string>{c.id}));
}

}  // namespace
}  // namespace onep::testing
