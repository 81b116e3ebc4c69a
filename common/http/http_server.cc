#include "common/http/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <sys/stat.h>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/errors.h"
#include "common/http/inbound.h"
#include "common/log.h"
#include "common/net/as_tuple.h"
#include "common/strings.h"

namespace switchyard::common {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

HttpResponse ErrorResponse(int status, std::string type, std::string code, std::string message) {
  return HttpResponse::Json(status,
                            ErrorEnvelopeJson(MakeApiError(status, std::move(type), std::move(code),
                                               std::move(message))));
}

http::response<http::string_body> ToBeast(HttpResponse response, unsigned version,
                                          bool keep_alive) {
  http::response<http::string_body> out;
  out.version(version);
  out.result(static_cast<unsigned>(response.status));
  out.set(http::field::server, "switchyard");
  for (auto& [name, value] : response.headers) out.set(name, value);
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (absl::EqualsIgnoreCase(name, ToAbsl(lower_case_name))) return value;
  }
  return {};
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = std::move(body);
  return response;
}

absl::StatusOr<std::pair<std::string, uint16_t>> SplitHostPort(std::string_view address) {
  std::string host;
  std::string_view port_text;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return absl::InvalidArgumentError(StrCat("bad address ", address));
    }
    host = std::string(address.substr(1, close - 1));
    port_text = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(StrCat("address ", address, " needs host:port"));
    }
    host = std::string(address.substr(0, colon));
    port_text = address.substr(colon + 1);
  }
  uint32_t port = 0;
  if (host.empty() ||
      !absl::SimpleAtoi(absl::string_view(port_text.data(), port_text.size()), &port) ||
      port > 65535) {
    return absl::InvalidArgumentError(StrCat("bad address ", address));
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

// The TLS context, rebuilt when the certificate or key file changes (looked at most once per
// reload interval), so certificates rotate without a restart. A pair that does not load keeps
// the previous context.
class TlsContexts {
 public:
  TlsContexts(std::string cert, std::string key, std::chrono::seconds interval)
      : cert_(std::move(cert)), key_(std::move(key)), interval_(interval) {}

  absl::Status Load() {
    std::lock_guard lock(mu_);
    return Reload();
  }
  std::shared_ptr<asio::ssl::context> Current() {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - checked_ >= interval_) {
      checked_ = now;
      if (Stamp() != stamp_) {
        if (absl::Status status = Reload(); !status.ok()) {
          LogWarning("TLS certificate files do not load; keeping the current ones",
                     {{"error", ToStd(status.message())}});
        } else {
          LogInfo("TLS certificate reloaded", {{"cert", cert_}});
        }
      }
    }
    return context_;
  }

 private:
  std::string Stamp() const {
    std::string stamp;
    for (const std::string* file : {&cert_, &key_}) {
      struct stat info {};
      if (::stat(file->c_str(), &info) == 0) {
        stamp += StrCat(info.st_mtim.tv_sec, ".", info.st_mtim.tv_nsec, ":", info.st_size, ";");
      }
    }
    return stamp;
  }
  absl::Status Reload() {
    stamp_ = Stamp();
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    context->use_certificate_chain_file(cert_, ec);
    if (!ec) context->use_private_key_file(key_, asio::ssl::context::pem, ec);
    if (ec) return absl::InvalidArgumentError(StrCat("TLS certificate or key: ", ec.message()));
    context_ = std::move(context);
    checked_ = std::chrono::steady_clock::now();
    return absl::OkStatus();
  }

  const std::string cert_;
  const std::string key_;
  const std::chrono::seconds interval_;
  std::mutex mu_;
  std::shared_ptr<asio::ssl::context> context_;
  std::string stamp_;
  std::chrono::steady_clock::time_point checked_;
};

struct HttpServer::Impl {
  HttpServerOptions options;
  std::unique_ptr<TlsContexts> tls;  // null: cleartext
  HttpHandler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::string address;
  uint16_t port = 0;
  std::atomic<bool> stopped{false};

  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(tcp::socket socket);
  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, beast::tcp_stream& lowest);
  HttpResponse Dispatch(http::request<http::string_body>& request);
};

HttpResponse HttpServer::Impl::Dispatch(http::request<http::string_body>& beast_request) {
  HttpRequest request;
  request.method = std::string(beast_request.method_string());
  const std::string_view target(beast_request.target().data(), beast_request.target().size());
  const size_t question = target.find('?');
  request.path = PercentDecode(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  for (const auto& field : beast_request) {
    request.headers.emplace_back(absl::AsciiStrToLower(absl::string_view(
                                     field.name_string().data(), field.name_string().size())),
                                 std::string(field.value()));
  }
  request.body = std::move(beast_request.body());
  try {
    return handler(request);
  } catch (const std::exception& e) {
    LogError("request handler threw", {{"path", request.path}, {"what", e.what()}});
    return ErrorResponse(500, "internal_error", "internal", "internal error");
  }
}

asio::awaitable<void> HttpServer::Impl::Session(tcp::socket socket) {
  if (tls == nullptr) {
    beast::tcp_stream stream(std::move(socket));
    co_await Serve(stream, stream);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
  }
  const std::shared_ptr<asio::ssl::context> context = tls->Current();  // outlives the stream
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *context);
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options.header_timeout);
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
  if (handshake_ec) co_return;
  co_await Serve(stream, lowest);
  lowest.expires_after(std::chrono::seconds(2));
  auto [shutdown_ec] = co_await stream.async_shutdown(kTuple);
  (void)shutdown_ec;
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::Serve(Stream& stream, beast::tcp_stream& lowest) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);

    if (buffer.size() == 0) {
      // Between requests: wait for the first byte under the idle timeout.
      lowest.expires_after(options.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
      if (ec) co_return;
      buffer.commit(n);
    }
    lowest.expires_after(options.header_timeout);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(stream, buffer, parser, kTuple);
    beast::error_code ec = header_ec;
    std::optional<HttpResponse> framing;
    if (!ec) framing = InboundFramingError(parser.get().base());
    if (!ec && !framing && !parser.is_done()) {
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> proceed{http::status::continue_, parser.get().version()};
        auto [write_ec, written] = co_await http::async_write(stream, proceed, kTuple);
        if (write_ec) co_return;
      }
      lowest.expires_after(options.body_timeout);
      auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
      ec = body_ec;
    }
    std::optional<HttpResponse> error = std::move(framing);
    if (ec) {
      error = InboundReadError(ec, {options.max_header_bytes, options.max_body_bytes});
      if (!error) break;
    }
    if (error) {
      co_await RespondAndClose(stream, lowest, std::move(*error), options.header_timeout);
      break;
    }

    http::request<http::string_body> request = parser.release();
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    auto response = ToBeast(Dispatch(request), version, keep_alive);
    lowest.expires_after(options.body_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, response, kTuple);
    if (write_ec || !keep_alive) break;
  }
}

asio::awaitable<void> HttpServer::Impl::AcceptLoop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopped) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(socket.get_executor(), Session(std::move(socket)), asio::detached);
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              HttpHandler handler) {
  auto host_port = SplitHostPort(options.listen);
  if (!host_port.ok()) return host_port.status();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  if (!impl->options.tls_cert_file.empty()) {
    impl->tls = std::make_unique<TlsContexts>(impl->options.tls_cert_file,
                                              impl->options.tls_key_file,
                                              impl->options.tls_reload_interval);
    if (absl::Status loaded = impl->tls->Load(); !loaded.ok()) return loaded;
  }

  beast::error_code ec;
  const auto ip = asio::ip::make_address(host_port->first, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("bad listen host ", host_port->first));
  const tcp::endpoint endpoint(ip, host_port->second);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("cannot listen on ", impl->options.listen, ": ", ec.message()));
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->address = ip.is_v6() ? StrCat("[", host_port->first, "]:", impl->port)
                             : StrCat(host_port->first, ":", impl->port);

  Impl* raw = impl.get();
  asio::co_spawn(raw->io, raw->AcceptLoop(), asio::detached);
  for (int i = 0; i < std::max(1, raw->options.threads); ++i) {
    raw->threads.emplace_back([raw] { raw->io.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

const std::string& HttpServer::address() const { return impl_->address; }
uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->io.stop();
  for (std::thread& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace switchyard::common
