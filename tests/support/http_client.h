// SPDX-License-Identifier: Apache-2.0
// A tiny HTTP/1.1 client over a raw loopback socket, for tests that need exact
// control of what goes on the wire (chunked bodies, a Content-Length that
// lies, header spelling). One request per connection ("Connection: close").
#ifndef ONEP_TESTS_SUPPORT_HTTP_CLIENT_H_
#define ONEP_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace onep::testing {

struct HttpRequest {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Send the body as chunks of this size with Transfer-Encoding: chunked
  // (0: send it as is, with a Content-Length).
  std::size_t chunk_size = 0;
  // Send this Content-Length instead of the body's size (-1: the body's size).
  long long content_length = -1;
};

struct HttpResponse {
  int status = 0;                              // 0: no response (see error)
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string error;

  // The header's value, "" when absent (name in any case).
  std::string Header(const std::string& name) const;
  // body["error"]["code"] when the body is an onep error, else "".
  std::string ErrorCode() const;
  // error.message of an error body ("" for another body).
  std::string ErrorMessage() const;
  // A top-level string member of a JSON object body, else "".
  std::string JsonString(const std::string& key) const;
};

// Sends `request` to 127.0.0.1:port and reads the whole response.
HttpResponse Send(int port, const HttpRequest& request, int timeout_ms = 15000);

// Writes `bytes` as they are, then reads until the server closes. With
// `close_write`, shuts the sending side down after the bytes (the server sees
// the end of the stream, e.g. a body shorter than its Content-Length).
HttpResponse SendRaw(int port, const std::string& bytes, int timeout_ms = 15000,
                     bool close_write = false);

// Raw loopback sockets, for tests that speak a protocol by hand.
// A connected TCP socket to 127.0.0.1:port (close it), or -1 with *error set.
int ConnectLoopback(int port, std::string* error);
// Reads from `fd` until `until` has been seen (empty: until the peer closes)
// or `limit_ms` has passed; returns what arrived.
std::string ReadFor(int fd, int limit_ms, const std::string& until = "");

// A plain GET.
HttpResponse Get(int port, const std::string& path);

// POST of a JSON body with a Bearer token (no Authorization when token is
// empty) and extra headers.
HttpResponse PostJson(int port, const std::string& path, const std::string& token,
                      const std::string& body,
                      std::vector<std::pair<std::string, std::string>> extra_headers = {});

}  // namespace onep::testing

#endif  // ONEP_TESTS_SUPPORT_HTTP_CLIENT_H_
