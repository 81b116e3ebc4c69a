#include "control-plane/cli/admin_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/strings.h"

namespace switchyard::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using common::StrCat;

template <class Stream>
absl::StatusOr<AdminResponse> Exchange(Stream& stream, http::request<http::string_body>& request) {
  beast::error_code ec;
  http::write(stream, request, ec);
  if (ec) return absl::UnavailableError(StrCat("sending to the control plane failed: ", ec.message()));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  http::read(stream, buffer, parser, ec);
  if (ec) return absl::UnavailableError(StrCat("no answer from the control plane: ", ec.message()));
  AdminResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  std::string_view etag(parser.get()[http::field::etag].data(), parser.get()[http::field::etag].size());
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  response.etag = std::string(etag);
  response.body = std::move(parser.get().body());
  return response;
}

}  // namespace

absl::StatusOr<AdminClient> AdminClient::Create(std::string_view url, std::string token,
                                                std::string ca_file) {
  absl::StatusOr<common::ServiceUrl> parsed = common::ParseServiceUrl(url, {"http", "https"});
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(StrCat("--control-plane: ", parsed.status().message()));
  }
  return AdminClient(*std::move(parsed), std::move(token), std::move(ca_file));
}

absl::StatusOr<AdminResponse> AdminClient::Call(
    std::string_view method, std::string_view target, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  asio::io_context io;
  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(StrCat(url_.path, target));
  request.version(11);
  const bool v6 = url_.host.find(':') != std::string::npos;
  request.set(http::field::host, StrCat(v6 ? "[" : "", url_.host, v6 ? "]" : "", ":", url_.port));
  request.set(http::field::user_agent, "switchyard-cli");
  request.set(http::field::connection, "close");
  if (!token_.empty()) request.set(http::field::authorization, StrCat("Bearer ", token_));
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = std::string(body);
  request.prepare_payload();

  asio::ip::tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(url_.host, std::to_string(url_.port), ec);
  if (ec) return absl::UnavailableError(StrCat("cannot resolve ", url_.host, ": ", ec.message()));
  beast::tcp_stream tcp(io);
  tcp.expires_after(timeout_);
  tcp.connect(endpoints, ec);
  if (ec) {
    return absl::UnavailableError(StrCat("cannot reach the control plane at ", url_.host, ":",
                                         url_.port, ": ", ec.message()));
  }
  if (url_.scheme == "http") return Exchange(tcp, request);

  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_peer);
  if (ca_file_.empty()) {
    tls.set_default_verify_paths(ec);
  } else {
    tls.load_verify_file(ca_file_, ec);
  }
  if (ec) return absl::InvalidArgumentError(StrCat("--ca-file: ", ec.message()));
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), tls);
  stream.set_verify_callback(asio::ssl::host_name_verification(url_.host));
  if (!v6) SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str());
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return absl::UnavailableError(StrCat("TLS with the control plane failed: ", ec.message()));
  return Exchange(stream, request);
}

}  // namespace switchyard::cli
