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

std::string TestCurlCommand(const std::string& route, const std::string& token,
                            const std::string& base_url) {
  // The route goes at the end of the path, before any query or fragment.
  const std::size_t tail_at = base_url.find_first_of("?#");
  std::string base = base_url.substr(0, tail_at);
  const std::string tail = tail_at == std::string::npos ? "" : base_url.substr(tail_at);
  while (!base.empty() && base.back() == '/') base.pop_back();
  // Only the test flag: the routes require nothing else of a test event, so
  // nothing made up is recorded (no application, no version).
  const std::string body =
      route == "failures" ? R"({"test":true,"error":"test failure"})" : R"({"test":true})";
  return "curl -sS -X POST " + ShellQuote(base + "/" + route + tail) + " \\\n  -H " +
         ShellQuote("Authorization: Bearer " + token) + " \\\n  -H " +
         ShellQuote("Content-Type: application/json") + " \\\n  --data " + ShellQuote(body);
}

CurlCommands CurlCommandsFor(const Credential& cred, const std::string& token,
                             const std::string& base_url) {
  if (cred.type == CredentialType::kDeploy) {
    return {{"deploys", TestCurlCommand("deploys", token, base_url)}};
  }
  return {{"hits", TestCurlCommand("hits", token, base_url)},
          {"failures", TestCurlCommand("failures", token, base_url)}};
}

std::string CurlCommand(const Credential& cred, const std::string& token,
                        const std::string& base_url) {
  return CurlCommandsFor(cred, token, base_url).front().second;
}

}  // namespace onep
