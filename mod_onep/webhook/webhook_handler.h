// SPDX-License-Identifier: Apache-2.0
// The "onep" handler: routes a webhook request, checks it, records it through
// onep::EventStore and maps the outcome to an HTTP response (docs/api.md).
#ifndef ONEP_MOD_ONEP_WEBHOOK_WEBHOOK_HANDLER_H_
#define ONEP_MOD_ONEP_WEBHOOK_WEBHOOK_HANDLER_H_

#include "httpd.h"

namespace onep::module {

// The handler hook. DECLINED unless r->handler is "onep"; never throws.
int WebhookHandler(request_rec* r);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_WEBHOOK_WEBHOOK_HANDLER_H_
