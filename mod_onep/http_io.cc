// SPDX-License-Identifier: Apache-2.0
#include "http_io.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "apr_buckets.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mod_onep.h"
#include "mounts.h"
#include "onep/json.h"
#include "util_filter.h"

APLOG_USE_MODULE(onep);

namespace onep::module {
namespace {

// Bytes asked of the input filters per read.
constexpr uint64_t kReadChunk = 8192;

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string ErrorBody(const char* code, const std::string& message) {
  // Written directly rather than through Jansson values: this runs for every
  // refused request, and the shape is fixed (the bytes are what JsonDump
  // would write).
  std::string body;
  body.reserve(48 + message.size());
  body.append("{\"ok\":false,\"error\":{\"code\":");
  AppendJsonString(code, body);
  body.append(",\"message\":");
  AppendJsonString(message, body);
  body.append("}}");
  return body;
}

namespace {

// Sets the headers of a response and sends `body` with the end of the
// response in one brigade: no buffering filter in between, and nothing left
// for Apache to finish. Never throws.
void SendBytes(request_rec* r, int status, const char* content_type, const char* cache_control,
               const char* body, std::size_t size) noexcept {
  r->status = status;
  ap_set_content_type(r, content_type);
  apr_table_setn(r->headers_out, "Cache-Control", cache_control);
  ap_set_content_length(r, static_cast<apr_off_t>(size));
  if (r->header_only) return;  // Apache sends the headers alone when the handler returns
  apr_bucket_alloc_t* alloc = r->connection->bucket_alloc;
  apr_bucket_brigade* bb = apr_brigade_create(r->pool, alloc);
  // Transient: the filters copy the bytes if they keep them past this call.
  APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(body, size, alloc));
  APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(alloc));
  // A failure means the client is gone; there is no one left to tell.
  ap_pass_brigade(r->output_filters, bb);
  apr_brigade_cleanup(bb);
}

void SendJsonBytes(request_rec* r, int status, const char* body, std::size_t size) noexcept {
  SendBytes(r, status, "application/json", "no-store", body, size);
}

}  // namespace

int SendStatic(request_rec* r, const char* content_type, std::string_view body) {
  SendBytes(r, HTTP_OK, content_type, "no-cache", body.data(), body.size());
  return OK;
}

int SendJson(request_rec* r, int status, const std::string& body) {
  SendJsonBytes(r, status, body.data(), body.size());
  return OK;
}

int SendError(request_rec* r, int status, const char* code, const std::string& message) {
  return SendJson(r, status, ErrorBody(code, message));
}

int SendInternalError(request_rec* r) noexcept {
  static constexpr char kBody[] =
      "{\"ok\":false,\"error\":{\"code\":\"internal_error\",\"message\":\"internal error; see the "
      "server's error log\"}}";
  SendJsonBytes(r, HTTP_INTERNAL_SERVER_ERROR, kBody, sizeof(kBody) - 1);
  return OK;
}

std::optional<std::string_view> BearerToken(const request_rec* r) {
  const char* header = RequestAuthorization(r);
  if (header == nullptr) return std::nullopt;
  std::string_view value = Trim(header);
  std::size_t space = value.find_first_of(" \t");
  if (space == std::string_view::npos) return std::nullopt;  // "Bearer" alone: no token
  if (!EqualsIgnoreCase(value.substr(0, space), "Bearer")) return std::nullopt;
  std::string_view token = Trim(value.substr(space));
  if (token.empty()) return std::nullopt;
  return token;
}

bool HasJsonContentType(const request_rec* r) {
  const char* header = apr_table_get(r->headers_in, "Content-Type");
  if (header == nullptr) return false;
  std::string_view value = header;
  value = Trim(value.substr(0, value.find(';')));
  return EqualsIgnoreCase(value, "application/json");
}

namespace {

// For one blocking read: the connection socket's timeout bounded by `left`,
// and restored afterwards. mod_reqtimeout, when loaded, reads this timeout
// as the one to restore and waits for the smaller of it and its own limit,
// so both bounds hold. Not on an HTTP/2 stream, whose socket is its master
// connection's, shared with the other streams: there the deadline is checked
// between reads only, and mod_reqtimeout and Timeout bound each read.
class SocketTimeoutBound {
 public:
  // `left` < 0: no bound.
  SocketTimeoutBound(conn_rec* c, apr_interval_time_t left) {
    if (left < 0 || c->master != nullptr) return;
    socket_ = ap_get_conn_socket(c);
    if (socket_ == nullptr || apr_socket_timeout_get(socket_, &saved_) != APR_SUCCESS) {
      socket_ = nullptr;
      return;
    }
    // A negative timeout blocks forever.
    if (saved_ < 0 || left < saved_) apr_socket_timeout_set(socket_, left);
  }
  ~SocketTimeoutBound() {
    if (socket_ != nullptr) apr_socket_timeout_set(socket_, saved_);
  }
  SocketTimeoutBound(const SocketTimeoutBound&) = delete;
  SocketTimeoutBound& operator=(const SocketTimeoutBound&) = delete;

 private:
  apr_socket_t* socket_ = nullptr;
  apr_interval_time_t saved_ = 0;
};

}  // namespace

void CloseAfterResponse(request_rec* r) { r->connection->keepalive = AP_CONN_CLOSE; }

int ReadBody(request_rec* r, uint64_t limit, std::string* body, apr_interval_time_t timeout) {
  body->clear();
  // A body announced as too large is refused before a byte of it is read
  // (and before "100 Continue" is sent).
  if (const char* length = apr_table_get(r->headers_in, "Content-Length")) {
    char* end = nullptr;
    apr_off_t announced = 0;
    if (apr_strtoff(&announced, length, &end, 10) == APR_SUCCESS && end != length && *end == '\0' &&
        announced >= 0) {
      if (static_cast<uint64_t>(announced) > limit) return HTTP_REQUEST_ENTITY_TOO_LARGE;
      body->reserve(static_cast<std::size_t>(announced));
    }
    // A malformed Content-Length is the HTTP input filter's to refuse.
  }

  const bool bounded = timeout > 0;
  const apr_time_t deadline = apr_time_now() + timeout;
  apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
  bool seen_eos = false;
  while (!seen_eos) {
    const apr_interval_time_t left = bounded ? deadline - apr_time_now() : -1;
    if (bounded && left <= 0) {
      apr_brigade_cleanup(bb);
      return HTTP_REQUEST_TIME_OUT;
    }
    // One byte more than still fits: enough to see that the body is too large.
    const uint64_t want = std::min<uint64_t>(kReadChunk, limit - body->size() + 1);
    apr_status_t rv;
    {
      SocketTimeoutBound bound(r->connection, left);
      rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ,
                          static_cast<apr_off_t>(want));
    }
    if (rv != APR_SUCCESS) {
      apr_brigade_cleanup(bb);
      return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
    }
    if (APR_BRIGADE_EMPTY(bb)) break;  // nothing more will come
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
      if (APR_BUCKET_IS_EOS(b)) {
        seen_eos = true;
        break;
      }
      if (APR_BUCKET_IS_METADATA(b)) continue;
      const char* data = nullptr;
      apr_size_t len = 0;
      rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
      if (rv != APR_SUCCESS) {
        apr_brigade_cleanup(bb);
        return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
      }
      if (body->size() + len > limit) {
        apr_brigade_cleanup(bb);
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
      }
      body->append(data, len);
    }
    apr_brigade_cleanup(bb);
  }
  return OK;
}

int RunGuarded(request_rec* r, int (*body)(request_rec*)) noexcept {
  try {
    return body(r);
  } catch (const std::exception& e) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0199: %s %s: unexpected exception: %s",
                  r->method, ap_escape_logitem(r->pool, r->uri), e.what());
  } catch (...) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0199: %s %s: unexpected exception", r->method,
                  ap_escape_logitem(r->pool, r->uri));
  }
  return SendInternalError(r);
}

}  // namespace onep::module
