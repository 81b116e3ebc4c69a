// Inbound HTTP/1.1 plumbing shared by the control plane's REST server (common/http) and the
// data plane's inference listener: what a request that fails before any handler gets
// (limits 431/413, malformed 400, request framing), and the lingering close after it.
// Include only from .cc files that already use Beast.
#ifndef SWITCHYARD_COMMON_HTTP_INBOUND_H_
#define SWITCHYARD_COMMON_HTTP_INBOUND_H_

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "common/http/http_server.h"
#include "common/net/as_tuple.h"

namespace switchyard::common {

// The client's address, "ip:port" ("" when the socket no longer has a peer).
std::string PeerAddress(const boost::beast::tcp_stream& stream);

struct InboundLimits {
  size_t max_header_bytes = 0;
  size_t max_body_bytes = 0;
};

// The answer to a read that failed before the handler; nullopt when the connection should
// just close (the client went away or timed out).
std::optional<HttpResponse> InboundReadError(const boost::beast::error_code& ec,
                                             const InboundLimits& limits);

// A 400 for request framing a proxy in front could read differently (request smuggling,
// RFC 9112 section 6.3): Transfer-Encoding whose final coding is not "chunked". nullopt when
// the framing is sound.
std::optional<HttpResponse> InboundFramingError(const boost::beast::http::request_header<>& header);

// Writes `response` with Connection: close, then drains what the client still sends for a
// moment before closing (else a client still sending an oversized body sees a reset instead
// of the answer). `lowest` is the TCP layer of `stream`.
template <class Stream>
boost::asio::awaitable<void> RespondAndClose(Stream& stream, boost::beast::tcp_stream& lowest,
                                             HttpResponse response,
                                             std::chrono::milliseconds write_timeout) {
  namespace http = boost::beast::http;
  http::response<http::string_body> out;
  out.version(11);
  out.result(static_cast<unsigned>(response.status));
  for (auto& [name, value] : response.headers) out.set(name, value);
  out.body() = std::move(response.body);
  out.keep_alive(false);
  out.prepare_payload();
  lowest.expires_after(write_timeout);
  co_await http::async_write(stream, out, kTuple);
  boost::beast::error_code ignored;
  lowest.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  lowest.expires_after(std::chrono::seconds(2));
  char sink[16384];
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(boost::asio::buffer(sink), kTuple);
    if (ec) break;
  }
}

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_HTTP_INBOUND_H_
