// SPDX-License-Identifier: Apache-2.0
// onep-admin locations for tests: Apache's own Basic authentication in front
// of the admin API and the console, as a site would put it (docs/console.md).
#ifndef ONEP_TESTS_SUPPORT_ADMIN_SITE_H_
#define ONEP_TESTS_SUPPORT_ADMIN_SITE_H_

#include <string>
#include <utility>
#include <vector>

#include "support/http_client.h"

namespace onep::testing {

// A password file for Basic authentication with these users, in a folder of
// its own that Apache's children can read; removed with the object.
class PasswordFile {
 public:
  explicit PasswordFile(const std::vector<std::pair<std::string, std::string>>& users);
  ~PasswordFile();
  PasswordFile(const PasswordFile&) = delete;
  PasswordFile& operator=(const PasswordFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

// The LoadModule lines that Basic authentication against a file needs.
std::string BasicAuthModules();

// <Location path> SetHandler onep-admin, Basic authentication against
// `password_file` (Require valid-user), and `extra` lines inside.
std::string AdminLocation(const std::string& path, const std::string& password_file,
                          const std::vector<std::string>& extra = {});

// "Authorization: Basic ..." for user:password.
std::pair<std::string, std::string> BasicAuth(const std::string& user, const std::string& password);

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_ADMIN_SITE_H_
