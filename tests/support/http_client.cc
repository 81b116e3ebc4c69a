#include "tests/support/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/ascii.h"

namespace switchyard::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::pair<std::string, std::string> Split(const std::string& address) {
  const size_t colon = address.rfind(':');
  return {address.substr(0, colon), address.substr(colon + 1)};
}

}  // namespace

namespace {

// One request and its response on a connected stream (plain or TLS).
template <class Stream>
HttpResult Exchange(Stream& stream, const std::string& method, const std::string& address,
                    const std::string& target, const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResult result;
  {
    http::request<http::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(http::field::host, address);
    bool has_content_type = false;
    for (const auto& [name, value] : headers) {
      request.set(name, value);
      has_content_type |= absl::AsciiStrToLower(name) == "content-type";
    }
    if (!has_content_type && !body.empty()) request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024ull * 1024 * 1024);  // the download tests read hundreds of MB
    http::read(stream, buffer, parser);
    const auto& response = parser.get();
    result.status = response.result_int();
    for (const auto& field : response) {
      result.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    result.body = response.body();
  }
  return result;
}

}  // namespace

HttpResult HttpCall(const std::string& method, const std::string& address,
                    const std::string& target, const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  constexpr std::string_view kHttps = "https://";
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    if (address.starts_with(kHttps)) {
      // A test client: TLS without verifying the server (the TLS tests check certificates
      // with the openssl command line).
      const std::string plain = address.substr(kHttps.size());
      asio::ssl::context context(asio::ssl::context::tls_client);
      context.set_verify_mode(asio::ssl::verify_none);
      beast::ssl_stream<beast::tcp_stream> stream(io, context);
      const auto [host, port] = Split(plain);
      beast::get_lowest_layer(stream).connect(resolver.resolve(host, port));
      stream.handshake(asio::ssl::stream_base::client);
      return Exchange(stream, method, plain, target, body, headers);
    }
    beast::tcp_stream stream(io);
    const auto [host, port] = Split(address);
    stream.connect(resolver.resolve(host, port));
    HttpResult result = Exchange(stream, method, address, target, body, headers);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return result;
  } catch (const std::exception&) {
    return HttpResult{};
  }
}

struct HttpConnection::State {
  asio::io_context io;
  beast::tcp_stream stream{io};
  bool broken = false;
};

HttpConnection::HttpConnection(const std::string& address)
    : address_(address), state_(std::make_unique<State>()) {
  try {
    tcp::resolver resolver(state_->io);
    const auto [host, port] = Split(address);
    state_->stream.connect(resolver.resolve(host, port));
  } catch (const std::exception&) {
    state_->broken = true;
  }
}

HttpConnection::~HttpConnection() {
  beast::error_code ignored;
  state_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

HttpResult HttpConnection::Call(const std::string& method, const std::string& target,
                                const std::string& body,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  if (state_->broken) return HttpResult{};
  try {
    return Exchange(state_->stream, method, address_, target, body, headers);
  } catch (const std::exception&) {
    state_->broken = true;
    return HttpResult{};
  }
}

std::string RawHttp(const std::string& address, const std::string& raw) {
  std::string response;
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    tcp::socket socket(io);
    const auto [host, port] = Split(address);
    asio::connect(socket, resolver.resolve(host, port));
    asio::write(socket, asio::buffer(raw));
    socket.shutdown(tcp::socket::shutdown_send);
    beast::error_code ec;
    char chunk[4096];
    for (;;) {
      const size_t n = socket.read_some(asio::buffer(chunk), ec);
      if (n > 0) response.append(chunk, n);
      if (ec) break;
    }
  } catch (const std::exception&) {
  }
  return response;
}

}  // namespace switchyard::testing
