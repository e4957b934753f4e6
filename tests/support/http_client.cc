// SPDX-License-Identifier: Apache-2.0
#include "support/http_client.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "onep/json.h"

namespace onep::testing {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Best effort: the server may answer and close before it has read it all.
void WriteAll(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::string ReadUntilClosed(int fd, int timeout_ms, std::string* error) {
  std::string data;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[16384];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      *error = "timed out reading the response";
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;  // closed (or reset after the response)
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

std::string Dechunk(const std::string& in) {
  std::string out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    std::size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) break;
    std::size_t size = std::strtoul(in.substr(pos, eol - pos).c_str(), nullptr, 16);
    if (size == 0) break;
    out.append(in, eol + 2, size);
    pos = eol + 2 + size + 2;
  }
  return out;
}

HttpResponse Parse(const std::string& raw, const std::string& error) {
  HttpResponse response;
  response.error = error;
  std::size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) {
    if (response.error.empty()) response.error = "no HTTP response (" + raw.substr(0, 80) + ")";
    return response;
  }
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  response.status = std::atoi(line.c_str() + line.find(' ') + 1);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    response.headers[Lower(line.substr(0, colon))] = value;
  }
  std::string body = raw.substr(head_end + 4);
  if (Lower(response.Header("Transfer-Encoding")) == "chunked") body = Dechunk(body);
  response.body = std::move(body);
  return response;
}

}  // namespace

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(Lower(name));
  return it == headers.end() ? "" : it->second;
}

std::string HttpResponse::ErrorMessage() const {
  JsonPtr root(json_loads(body.c_str(), 0, nullptr));
  if (!root) return "";
  json_t* message = json_object_get(json_object_get(root.get(), "error"), "message");
  return json_is_string(message) ? json_string_value(message) : "";
}

std::string HttpResponse::ErrorCode() const {
  JsonPtr root(json_loads(body.c_str(), 0, nullptr));
  if (!root) return "";
  json_t* code = json_object_get(json_object_get(root.get(), "error"), "code");
  return json_is_string(code) ? json_string_value(code) : "";
}

std::string HttpResponse::JsonString(const std::string& key) const {
  JsonPtr root(json_loads(body.c_str(), 0, nullptr));
  if (!root) return "";
  json_t* value = json_object_get(root.get(), key.c_str());
  return json_is_string(value) ? json_string_value(value) : "";
}

HttpResponse SendRaw(int port, const std::string& bytes, int timeout_ms, bool close_write) {
  std::string error;
  int fd = ConnectLoopback(port, &error);
  if (fd < 0) return Parse("", error);
  WriteAll(fd, bytes);
  if (close_write) shutdown(fd, SHUT_WR);
  std::string raw = ReadUntilClosed(fd, timeout_ms, &error);
  close(fd);
  return Parse(raw, error);
}

HttpResponse Send(int port, const HttpRequest& request, int timeout_ms) {
  std::ostringstream out;
  out << request.method << " " << request.path << " HTTP/1.1\r\n"
      << "Host: 127.0.0.1:" << port << "\r\n"
      << "Connection: close\r\n";
  for (const auto& [name, value] : request.headers) out << name << ": " << value << "\r\n";
  if (request.chunk_size > 0) {
    out << "Transfer-Encoding: chunked\r\n\r\n";
    for (std::size_t at = 0; at < request.body.size(); at += request.chunk_size) {
      std::string chunk = request.body.substr(at, request.chunk_size);
      out << std::hex << chunk.size() << std::dec << "\r\n" << chunk << "\r\n";
    }
    out << "0\r\n\r\n";
  } else {
    if (request.content_length >= 0) {
      out << "Content-Length: " << request.content_length << "\r\n";
    } else if (!request.body.empty() || request.method == "POST") {
      out << "Content-Length: " << request.body.size() << "\r\n";
    }
    out << "\r\n" << request.body;
  }
  return SendRaw(port, out.str(), timeout_ms);
}

HttpResponse Get(int port, const std::string& path) {
  HttpRequest request;
  request.path = path;
  return Send(port, request);
}

HttpResponse PostJson(int port, const std::string& path, const std::string& token,
                      const std::string& body,
                      std::vector<std::pair<std::string, std::string>> extra_headers) {
  HttpRequest request;
  request.method = "POST";
  request.path = path;
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  request.headers.emplace_back("Content-Type", "application/json");
  for (auto& header : extra_headers) request.headers.push_back(std::move(header));
  request.body = body;
  return Send(port, request);
}

int ConnectLoopback(int port, std::string* error) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = std::string("connect failed: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

std::string ReadFor(int fd, int limit_ms, const std::string& until) {
  std::string data;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  char buf[8192];
  while (std::chrono::steady_clock::now() < deadline) {
    if (!until.empty() && data.find(until) != std::string::npos) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

}  // namespace onep::testing
