// SPDX-License-Identifier: Apache-2.0
// Event validation: any bytes in, a clear verdict out; what it accepts is a
// well-formed event whose stored fields are a JSON object.
#include <jansson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "onep/event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const onep::EventType types[] = {onep::EventType::kHit, onep::EventType::kFailure,
                                   onep::EventType::kDeploy};
  onep::EventType type = types[data[0] % 3];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const int64_t now = 1764237600000;  // fixed, so runs are reproducible
  auto event = onep::ParseEvent(type, body, now);
  if (!event.ok()) {
    auto code = event.status().code();
    if (code != onep::Code::kInvalidJson && code != onep::Code::kInvalidEvent) abort();
    return 0;
  }
  if (event->count < 1 || event->count > onep::kMaxCount) abort();
  if (event->time_ms != 0 && (event->time_ms < now - onep::kMaxEventAgeMs ||
                              event->time_ms > now + onep::kMaxEventSkewMs)) {
    abort();
  }
  json_error_t error;
  json_t* fields = json_loadb(event->fields_json.data(), event->fields_json.size(), 0, &error);
  if (fields == nullptr || !json_is_object(fields)) abort();
  json_decref(fields);
  return 0;
}
