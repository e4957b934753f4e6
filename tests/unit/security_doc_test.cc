// SPDX-License-Identifier: Apache-2.0
// docs/security.md's threat table backs each claim with the tests named in
// its last column. Every name there must be a test of the suite: a renamed
// or deleted test would otherwise leave a claim that nothing checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace onep {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last cell of every row (below its header) of the table under "## Threat model".
std::vector<std::string> TestCells(const std::string& doc) {
  std::vector<std::string> cells;
  const auto start = doc.find("## Threat model");
  if (start == std::string::npos) return cells;
  const auto end = doc.find("\n## ", start + 1);
  std::istringstream table(doc.substr(start, end - start));
  std::string line;
  bool header = true;
  while (std::getline(table, line)) {
    if (line.rfind("| ", 0) != 0 || line.rfind("|---", 0) == 0) continue;
    if (header) {  // the column names
      header = false;
      continue;
    }
    const auto last = line.find_last_of('|', line.size() - 2);
    cells.push_back(line.substr(last + 1));
  }
  return cells;
}

// Suite and test names ("Suite.Test") that the test sources define, with
// `Suite.*` for each suite.
std::set<std::string> DefinedTests(const fs::path& tests_dir) {
  std::set<std::string> names;
  const std::regex definition(R"re(TEST(?:_F|_P)?\(\s*(\w+),\s*(\w+)\))re");
  for (const auto& entry : fs::recursive_directory_iterator(tests_dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".cc") continue;
    const std::string text = ReadFile(entry.path());
    for (std::sregex_iterator it(text.begin(), text.end(), definition), none; it != none; ++it) {
      names.insert((*it)[1].str() + "." + (*it)[2].str());
      names.insert((*it)[1].str() + ".*");
    }
  }
  return names;
}

TEST(SecurityDocTest, EveryTestTheThreatTableNamesExists) {
  const fs::path root = ONEP_SOURCE_DIR_FOR_TESTS;
  const std::vector<std::string> cells = TestCells(ReadFile(root / "docs/security.md"));
  ASSERT_GT(cells.size(), 10u) << "no threat table found in docs/security.md";
  const std::set<std::string> defined = DefinedTests(root / "tests");

  const std::regex named(R"re(`([A-Za-z]\w*\.(?:\w+|\*))`)re");
  const std::regex file(R"re(`(tests/[\w/.-]+)`)re");
  std::size_t names = 0;
  for (const std::string& cell : cells) {
    std::size_t in_cell = 0;
    for (std::sregex_iterator it(cell.begin(), cell.end(), named), none; it != none; ++it) {
      ++in_cell;
      EXPECT_TRUE(defined.count((*it)[1].str())) << "no such test: " << (*it)[1].str();
    }
    for (std::sregex_iterator it(cell.begin(), cell.end(), file), none; it != none; ++it) {
      ++in_cell;
      EXPECT_TRUE(fs::exists(root / (*it)[1].str())) << "no such test: " << (*it)[1].str();
    }
    EXPECT_GT(in_cell, 0u) << "a row names no test: " << cell;
    names += in_cell;
  }
  EXPECT_GT(names, cells.size());
}

}  // namespace
}  // namespace onep
