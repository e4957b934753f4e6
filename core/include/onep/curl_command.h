// SPDX-License-Identifier: Apache-2.0
// The curl command onepctl and the console print after issuing a token.
#ifndef ONEP_CURL_COMMAND_H_
#define ONEP_CURL_COMMAND_H_

#include <string>

#include "onep/credential.h"

namespace onep {

// A curl command that posts a first event with this credential, safe to paste
// in a POSIX shell. base_url like "http://localhost/onep" (no trailing slash needed).
std::string CurlCommand(const Credential& cred, const std::string& token,
                        const std::string& base_url);

}  // namespace onep

#endif  // ONEP_CURL_COMMAND_H_
