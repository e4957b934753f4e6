// SPDX-License-Identifier: Apache-2.0
// The curl commands onepctl and the console print after issuing a token.
#ifndef ONEP_CURL_COMMAND_H_
#define ONEP_CURL_COMMAND_H_

#include <string>
#include <utility>
#include <vector>

#include "onep/credential.h"

namespace onep {

// A command that posts one test event ("test": true: recorded and listed,
// never counted in stats, monitors or incidents) with this credential to
// `route` ("hits", "failures" or "deploys"), safe to paste in a POSIX shell:
// several lines joined by " \" continuations. base_url like
// "http://localhost/onep" (a trailing slash, a query or a fragment is kept
// in its place). Never names an application or a version of its own.
std::string TestCurlCommand(const std::string& route, const std::string& token,
                            const std::string& base_url);

// The routes a credential of this type posts to, each with its test command,
// in order: hits then failures, or deploys.
using CurlCommands = std::vector<std::pair<std::string, std::string>>;
CurlCommands CurlCommandsFor(const Credential& cred, const std::string& token,
                             const std::string& base_url);

// The first of CurlCommandsFor (hits or deploys): the "curl" of the JSON.
std::string CurlCommand(const Credential& cred, const std::string& token,
                        const std::string& base_url);

// What a test command's reply looks like, a short sample for people to
// compare with ("expected_reply" of the JSON).
inline constexpr const char kExpectedTestReply[] =
    R"(HTTP 202 {"ok":true,"id":"...","credential":"...","test":true,"note":"..."})";

}  // namespace onep

#endif  // ONEP_CURL_COMMAND_H_
