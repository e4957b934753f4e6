// SPDX-License-Identifier: Apache-2.0
// The scripts that read without writing.
#ifndef ONEP_CORE_SRC_SCRIPTS_READ_SCRIPTS_H_
#define ONEP_CORE_SRC_SCRIPTS_READ_SCRIPTS_H_

#include "named_script.h"

namespace onep::scripts {

// Which credential a token key authenticates now, without writing: {id, org}
// or nil.
const NamedScript& AuthenticateScript();

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_READ_SCRIPTS_H_
