// SPDX-License-Identifier: Apache-2.0
// How many unknown tokens each client address has presented in the current
// minute, per server, summed across every child: a fixed table of 1024
// slots in an anonymous shared memory segment that the parent creates at
// post_config and each child inherits across fork (as the metrics' one).
//
// An address is r->useragent_addr (so mod_remoteip's client address when it
// is loaded); an IPv6 address counts by its /64, which one host or site
// usually holds whole. Its slot is a keyed hash of it (the key is random per
// configuration generation, so no one can choose addresses that share a
// slot with a given one); two addresses that land in the same slot share its
// count. A slot is one 64-bit word, the minute and the count, updated with a
// compare-and-swap: no lock.
//
// Thread-safety: every function may be called from any thread of a child
// once CreateAddressBudgets has run in the parent.
#ifndef ONEP_MOD_ONEP_WEBHOOK_ADDRESS_BUDGET_H_
#define ONEP_MOD_ONEP_WEBHOOK_ADDRESS_BUDGET_H_

#include <cstdint>

#include "httpd.h"
#include "onep/status.h"

namespace onep::module {

inline constexpr int kAddressBudgetSlots = 1024;

// Creates the table of every server of this configuration (parent,
// post_config). On failure no server has one: nothing is counted, and no
// request is refused for its address.
Status CreateAddressBudgets(apr_pool_t* pconf, server_rec* main_server);

// The unknown tokens counted for r's client address in the minute of Unix
// second `now_s` (0 without a table).
uint32_t UnknownTokensFrom(const request_rec* r, int64_t now_s);

// Counts one unknown token from r's client address in the minute of `now_s`.
void CountUnknownTokenFrom(const request_rec* r, int64_t now_s);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_WEBHOOK_ADDRESS_BUDGET_H_
