// SPDX-License-Identifier: Apache-2.0
#include "scripts/all_scripts.h"

#include "scripts/credential_scripts.h"
#include "scripts/delivery_scripts.h"
#include "scripts/monitor_scripts.h"
#include "scripts/notify_scripts.h"
#include "scripts/read_scripts.h"
#include "scripts/record_script.h"

namespace onep::scripts {

const std::vector<const NamedScript*>& AllScripts() {
  static const std::vector<const NamedScript*> all = {
      &RecordScript(),       &AuthenticateScript(),     &CreateCredentialScript(),
      &ReplaceTokenScript(), &SetExpiryScript(),        &DeleteCredentialScript(),
      &SetMonitorScript(),   &AddNotifyScript(),        &RemoveNotifyScript(),
      &TestNotifyScript(),   &TakeNotificationScript(), &SettleNotificationScript(),
      &SweepOrgScript(),     &SweepNextScript(),
  };
  return all;
}

}  // namespace onep::scripts
