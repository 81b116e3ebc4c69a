// Inbound HTTP/1.1 server on Boost.Beast / Asio, shared by the control plane's REST API.
//
// The server owns its io_context and `threads` threads that run it. Each connection is one
// coroutine on that context; requests on a connection are handled in order (keep-alive).
// The handler runs on an I/O thread and may block briefly (the admin API's database calls);
// it must be thread-safe, because several connections are served at once.
//
// Limits answered with Bifrost's error envelope before the handler sees anything:
// header bytes (431), body bytes (413), a malformed request (400). Slow clients are cut off
// by the header and body timeouts; idle keep-alive connections by the idle timeout.
// `Expect: 100-continue` is honoured.
//
//   ASSIGN_OR_RETURN(auto server, HttpServer::Start(options, [&](const HttpRequest& r) {
//     return HttpResponse::Json(200, R"({"status":"ok"})");
//   }));
//   LogInfo("listening", {{"addr", server->address()}});
#ifndef SWITCHYARD_COMMON_HTTP_HTTP_SERVER_H_
#define SWITCHYARD_COMMON_HTTP_HTTP_SERVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::common {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded path, without the query
  std::string query;   // raw query string, without '?'
  // Names lower-case when parsed by HttpServer; other producers may keep the client's case,
  // so compare names case-insensitively.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string peer;  // the client's "ip:port", where the server records it

  // The first header with this name (compared ignoring case), or "".
  std::string_view Header(std::string_view lower_case_name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static HttpResponse Json(int status, std::string body);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";  // host:port; port 0 lets the OS choose
  int threads = 2;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  // TLS when set: the PEM certificate chain and key, re-read when they change (checked at most
  // once per reload interval) so certificates rotate without a restart.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::chrono::seconds tls_reload_interval{60};
};

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           HttpHandler handler);
  ~HttpServer();  // stops and joins

  // The bound address, "host:port", with the port the OS chose.
  const std::string& address() const;
  uint16_t port() const;

  // Stops accepting, closes connections and joins the threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" ("[::1]:80" for IPv6). Port must be 0-65535.
absl::StatusOr<std::pair<std::string, uint16_t>> SplitHostPort(std::string_view address);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_HTTP_HTTP_SERVER_H_
