// SPDX-License-Identifier: Apache-2.0
#include "onep/curl_command.h"

#include <string>

namespace onep {
namespace {

// 'text' quoted for a POSIX shell.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string CurlCommand(const Credential& cred, const std::string& token,
                        const std::string& base_url) {
  // The route goes at the end of the path, before any query or fragment.
  const std::size_t tail_at = base_url.find_first_of("?#");
  std::string base = base_url.substr(0, tail_at);
  const std::string tail = tail_at == std::string::npos ? "" : base_url.substr(tail_at);
  while (!base.empty() && base.back() == '/') base.pop_back();
  // A test event, marked as one: never a made-up deploy or application.
  std::string route;
  std::string body;
  if (cred.type == CredentialType::kDeploy) {
    route = "/deploys";
    body = R"({"version":"onepctl-test","environment":"onepctl-test",)"
           R"("description":"onepctl test event"})";
  } else {
    route = "/hits";
    // An unbound hits credential names the app in each event.
    body = cred.app.empty() ? R"({"app":"onepctl-test","count":1,"message":"onepctl test event"})"
                            : R"({"count":1,"message":"onepctl test event"})";
  }
  return "curl -sS -X POST " + ShellQuote(base + route + tail) + " -H " +
         ShellQuote("Authorization: Bearer " + token) + " -H " +
         ShellQuote("Content-Type: application/json") + " --data " + ShellQuote(body);
}

}  // namespace onep
