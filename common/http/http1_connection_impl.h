// The definition of ServeHttp1Connection (http1_connection.h), included by the two files that
// instantiate it, one stream type each. Not a header for anything else.
#ifndef SWITCHYARD_COMMON_HTTP_HTTP1_CONNECTION_IMPL_H_
#define SWITCHYARD_COMMON_HTTP_HTTP1_CONNECTION_IMPL_H_

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/http/http1_connection.h"
#include "common/http/inbound.h"

namespace switchyard::common {
namespace http1_connection_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
inline constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

inline http::response<http::string_body> ToBeast(HttpResponse response, unsigned version,
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

}  // namespace http1_connection_internal

using namespace http1_connection_internal;  // (this file is included by two .cc files only)

template <class Stream>
asio::awaitable<void> ServeHttp1Connection(Stream& stream, beast::tcp_stream& lowest,
                                           const HttpServerOptions& options,
                                           const Http1Dispatch& dispatch) {
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
    auto response = ToBeast(dispatch(request), version, keep_alive);
    lowest.expires_after(options.body_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, response, kTuple);
    if (write_ec || !keep_alive) break;
  }
}

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_HTTP_HTTP1_CONNECTION_IMPL_H_
