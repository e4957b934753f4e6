// SPDX-License-Identifier: Apache-2.0
// The HTTP side of a webhook request: reading the headers and the body the
// handler needs, and writing JSON responses. No knowledge of Redis here.
#ifndef ONEP_MOD_ONEP_HTTP_IO_H_
#define ONEP_MOD_ONEP_HTTP_IO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "httpd.h"

namespace onep::module {

// {"ok":false,"error":{"code":...,"message":...}}
std::string ErrorBody(const char* code, const std::string& message);

// Sends `body` with `status` and Content-Type: application/json, and returns
// OK for the handler to return (the response is complete).
int SendJson(request_rec* r, int status, const std::string& body);

// Sends a file compiled into the module (200, `content_type`; revalidated
// by caches, never stored stale), as SendJson does.
int SendStatic(request_rec* r, const char* content_type, std::string_view body);

// SendJson of ErrorBody.
int SendError(request_rec* r, int status, const char* code, const std::string& message);

// The same, from literals only: cannot throw, for the last-resort path.
int SendInternalError(request_rec* r) noexcept;

// Runs a handler hook's body: an exception that escapes it is logged
// (ONEP0199) and answered 500, so that none reaches Apache's C code.
int RunGuarded(request_rec* r, int (*body)(request_rec*)) noexcept;

// The token of an "Authorization: Bearer <token>" header (scheme matched
// case-insensitively); nullopt when the header is missing, of another scheme,
// or carries no token. The view points into the request's headers.
std::optional<std::string_view> BearerToken(const request_rec* r);

// True when Content-Type is application/json, with or without parameters.
bool HasJsonContentType(const request_rec* r);

// Reads the whole request body (Content-Length or chunked) into `body`,
// holding at most `limit` bytes: a body announced or found to be larger stops
// the read at once. With a `timeout` (> 0), the whole read takes at most
// that long from the call on: each blocking read waits no longer than what
// is left of it, whatever Apache's Timeout and mod_reqtimeout allow (either
// may cut it shorter); without one, only they bound it.
// Returns OK, HTTP_REQUEST_ENTITY_TOO_LARGE, HTTP_REQUEST_TIME_OUT, or the
// status a read error maps to (AP_FILTER_ERROR when Apache already answered).
int ReadBody(request_rec* r, uint64_t limit, std::string* body, apr_interval_time_t timeout = 0);

// Makes Apache close the connection after this response (with "Connection:
// close") instead of reading and discarding a body the handler did not
// read: a refusal decided before the body then holds no worker while a slow
// client sends it.
void CloseAfterResponse(request_rec* r);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_HTTP_IO_H_
