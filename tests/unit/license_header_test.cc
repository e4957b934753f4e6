// SPDX-License-Identifier: Apache-2.0
// Every source file of the project says its license on top, as
// `SPDX-License-Identifier: Apache-2.0` (LICENSE, packaging/debian/copyright):
// C++, CMake, shell, Python, Lua, the console's HTML, CSS and JavaScript, the
// Apache configuration and the linker's version script. Data (JSON, fuzz
// corpora, images) and prose (Markdown) carry none.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace onep {
namespace {

namespace fs = std::filesystem;

bool IsSource(const fs::path& path) {
  static const std::vector<std::string> kExtensions = {
      ".cc", ".h", ".js", ".css", ".html", ".py", ".lua", ".cmake", ".map", ".conf", ".load"};
  const std::string name = path.filename().string();
  if (name == "CMakeLists.txt") return true;
  for (const auto& ext : kExtensions) {
    if (path.extension() == ext) return true;
  }
  if (!path.extension().empty()) return false;
  // A script: no extension, starts with "#!".
  std::ifstream in(path);
  char start[2] = {};
  return in.read(start, 2) && start[0] == '#' && start[1] == '!';
}

// The first lines of `path` name the license.
bool HasLicenseHeader(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  for (int i = 0; i < 3 && std::getline(in, line); ++i) {
    if (line.find("SPDX-License-Identifier: Apache-2.0") != std::string::npos) return true;
  }
  return false;
}

TEST(LicenseHeaderTest, EverySourceFileNamesTheLicense) {
  const fs::path root = ONEP_SOURCE_DIR_FOR_TESTS;
  std::vector<std::string> missing;
  std::size_t checked = 0;
  for (const char* top : {"core", "mod_onep", "admin_cli", "console", "conf", "cmake", "tests",
                          "scripts", "bench", "packaging", ".ci"}) {
    if (!fs::exists(root / top)) continue;
    for (auto it = fs::recursive_directory_iterator(root / top);
         it != fs::recursive_directory_iterator(); ++it) {
      const std::string name = it->path().filename().string();
      if (it->is_directory() && (name == "node_modules" || name == "corpus")) {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file() || !IsSource(it->path())) continue;
      ++checked;
      if (!HasLicenseHeader(it->path())) {
        missing.push_back(fs::relative(it->path(), root).string());
      }
    }
  }
  if (HasLicenseHeader(root / "CMakeLists.txt")) {
    ++checked;
  } else {
    missing.push_back("CMakeLists.txt");
  }
  EXPECT_GT(checked, 150u) << "the walk found too few source files under " << root;
  std::string list;
  for (const auto& m : missing) list += "\n  " + m;
  EXPECT_TRUE(missing.empty()) << missing.size()
                               << " source file(s) without SPDX-License-Identifier: Apache-2.0 in "
                                  "their first 3 lines:"
                               << list;
}

}  // namespace
}  // namespace onep
