// SPDX-License-Identifier: Apache-2.0
// Every named script, once each: for the tests that check them all
// (tests/integration/core_script_check_test.cc fails when a script that a
// header under core/ declares is missing here).
#ifndef ONEP_CORE_SRC_SCRIPTS_ALL_SCRIPTS_H_
#define ONEP_CORE_SRC_SCRIPTS_ALL_SCRIPTS_H_

#include <vector>

#include "named_script.h"

namespace onep::scripts {

const std::vector<const NamedScript*>& AllScripts();

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_ALL_SCRIPTS_H_
