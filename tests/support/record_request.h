// SPDX-License-Identifier: Apache-2.0
// A RecordRequest as the webhook handler builds one, for the core tests that
// record events without Apache.
#ifndef ONEP_TESTS_SUPPORT_RECORD_REQUEST_H_
#define ONEP_TESTS_SUPPORT_RECORD_REQUEST_H_

#include <gtest/gtest.h>

#include <string>

#include "onep/clock.h"
#include "onep/event.h"
#include "onep/event_store.h"
#include "onep/token.h"

namespace onep::testing {

// `token`'s event of `type` with the JSON `body` (which must be valid: a
// failure of the test otherwise), with `idempotency_key` if not empty; the
// request's fingerprint is the event's fields.
inline RecordRequest RequestFor(const std::string& token, EventType type, const std::string& body,
                                const std::string& idempotency_key = "") {
  auto event = ParseEvent(type, body, NowMs());
  EXPECT_TRUE(event.ok()) << event.status().ToString();
  RecordRequest request;
  request.token_hash = TokenHash(token);
  request.routing_tag = std::string(TokenRoutingTag(token));
  request.event = event.ok() ? *event : ValidatedEvent{};
  request.idempotency_key = idempotency_key;
  request.request_fingerprint = request.event.fields_json;
  return request;
}

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_RECORD_REQUEST_H_
