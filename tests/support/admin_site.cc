// SPDX-License-Identifier: Apache-2.0
#include "support/admin_site.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include "support/process.h"

namespace onep::testing {

PasswordFile::PasswordFile(const std::vector<std::pair<std::string, std::string>>& users) {
  dir_ = MakeTempDir("htpasswd");
  chmod(dir_.c_str(), 0755);  // Apache's children run as www-data under root
  path_ = dir_ + "/htpasswd";
  if (auto installed = ProgramInstalled("/usr/bin/htpasswd", "apache2-utils"); !installed) {
    ADD_FAILURE() << installed.message();
    return;
  }
  for (const auto& [user, password] : users) {
    std::vector<std::string> argv = {"/usr/bin/htpasswd", "-b", "-B", "-C", "4"};
    if (&user == &users.front().first) argv.push_back("-c");
    argv.insert(argv.end(), {path_, user, password});
    RunResult r = Run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  chmod(path_.c_str(), 0644);
}

PasswordFile::~PasswordFile() { RemoveTree(dir_); }

std::string BasicAuthModules() {
  std::string out;
  for (const char* name : {"authn_core", "authn_file", "auth_basic", "authz_user"}) {
    out += "LoadModule " + std::string(name) + "_module /usr/lib/apache2/modules/mod_" + name +
           ".so\n";
  }
  return out;
}

std::string AdminLocation(const std::string& path, const std::string& password_file,
                          const std::vector<std::string>& extra) {
  std::string out = "<Location \"" + path +
                    "\">\n  SetHandler onep-admin\n  AuthType Basic\n  AuthName \"onep admin\"\n"
                    "  AuthBasicProvider file\n  AuthUserFile \"" +
                    password_file + "\"\n  Require valid-user\n";
  for (const auto& line : extra) out += "  " + line + "\n";
  return out + "</Location>\n";
}

std::pair<std::string, std::string> BasicAuth(const std::string& user,
                                              const std::string& password) {
  const std::string plain = user + ":" + password;
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                   reinterpret_cast<const unsigned char*>(plain.data()),
                                   static_cast<int>(plain.size()));
  encoded.resize(size);
  return {"Authorization", "Basic " + encoded};
}

}  // namespace onep::testing
