// The definition of ServeHttp1 (http1_session.h), included by the two files that instantiate
// it, one stream type each. Not a header for anything else.
#ifndef SWITCHYARD_DATA_PLANE_HTTP_HTTP1_SESSION_IMPL_H_
#define SWITCHYARD_DATA_PLANE_HTTP_HTTP1_SESSION_IMPL_H_

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/http/http_server.h"
#include "common/http/inbound.h"
#include "common/net/stall_timer.h"
#include "data-plane/http/http1_session.h"

namespace switchyard::dp {
namespace http1_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
inline constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);
// Writes up to this size go straight to the socket without a timeout timer: the kernel's
// send buffer takes them whole, so they cannot stall on a slow reader.
inline constexpr size_t kUntimedWriteBytes = 16 * 1024;

inline beast::tcp_stream& Lowest(beast::tcp_stream& stream) { return stream; }
inline beast::tcp_stream& Lowest(beast::ssl_stream<beast::tcp_stream>& stream) {
  return beast::get_lowest_layer(stream);
}

// ResponseWriter over one HTTP/1.1 connection (plain or TLS).
template <class Stream>
class Http1Writer : public ResponseWriter {
 public:
  Http1Writer(Stream& stream, unsigned version, bool keep_alive,
              std::chrono::milliseconds write_timeout)
      : stream_(stream), version_(version), keep_alive_(keep_alive), timeout_(write_timeout) {}

  // Status line and headers as one flat buffer (much cheaper than Beast's serializer here);
  // `framing` is the Content-Length or Transfer-Encoding line.
  std::string Head(int status, const HeaderList& headers, std::string_view framing) const {
    std::string head;
    head.reserve(192);
    head.append(version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(status));
    const auto reason = http::obsolete_reason(static_cast<http::status>(status));
    head.append(" ").append(reason.data(), reason.size()).append("\r\n");
    for (const auto& [name, value] : headers) {
      head.append(name).append(": ").append(value).append("\r\n");
    }
    head.append(framing);
    if (!keep_alive_) {
      head.append("Connection: close\r\n");
    } else if (version_ == 10) {
      head.append("Connection: keep-alive\r\n");
    }
    head.append("\r\n");
    return head;
  }

  asio::awaitable<bool> Send(int status, HeaderList headers, std::string body) override {
    // The head and the body in one gathered write, no copy of the body.
    const std::string head =
        Head(status, headers, "Content-Length: " + std::to_string(body.size()) + "\r\n");
    const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head), asio::buffer(body)};
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      if (head.size() + body.size() <= kUntimedWriteBytes) {
        // Fits the socket buffer: the write completes at once, so skip arming a timer.
        auto [ec, n] = co_await asio::async_write(stream_.socket(), buffers, kTuple);
        ok_ = !ec;
        co_return ok_;
      }
    }
    Lowest(stream_).expires_after(timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, buffers, kTuple);
    ok_ = !ec;
    co_return ok_;
  }

  asio::awaitable<bool> Begin(int status, HeaderList headers,
                              std::string_view first_data) override {
    const std::string head = Head(status, headers, "Transfer-Encoding: chunked\r\n");
    // A stream's writes are watched by one lazy timer instead of a timer per write: a client
    // that stops reading for the whole write timeout is cut off, and its socket closed.
    Lowest(stream_).expires_never();
    stall_.emplace(stream_.get_executor(), timeout_, [this] {
      beast::error_code ignored;
      Lowest(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      Lowest(stream_).socket().cancel(ignored);
    });
    stall_->Begin();
    // The head and whatever body has already arrived leave in one write.
    beast::error_code ec;
    if (first_data.empty()) {
      std::tie(ec, std::ignore) = co_await asio::async_write(stream_, asio::buffer(head), kTuple);
    } else {
      const auto chunk = http::make_chunk(asio::buffer(first_data.data(), first_data.size()));
      std::vector<asio::const_buffer> buffers{asio::buffer(head)};
      for (auto buffer : chunk) buffers.push_back(buffer);
      std::tie(ec, std::ignore) = co_await asio::async_write(stream_, buffers, kTuple);
    }
    stall_->End();
    ok_ = !ec;
    co_return ok_;
  }

  asio::awaitable<bool> Write(std::string_view data) override {
    if (!ok_) co_return false;
    stall_->Begin();
    auto [ec, n] =
        co_await asio::async_write(stream_, http::make_chunk(asio::buffer(data.data(), data.size())),
                                   kTuple);
    stall_->End();
    ok_ = !ec;
    co_return ok_;
  }

  asio::awaitable<bool> End() override {
    if (!ok_) co_return false;
    stall_->Begin();
    auto [ec, n] = co_await asio::async_write(stream_, http::make_chunk_last(), kTuple);
    stall_->End();
    ok_ = !ec;
    co_return ok_;
  }

  bool ok() const { return ok_; }

 private:
  Stream& stream_;
  const unsigned version_;
  const bool keep_alive_;
  const std::chrono::milliseconds timeout_;
  std::optional<common::StallTimer> stall_;  // from Begin(): a streamed response
  bool ok_ = true;
};

}  // namespace http1_internal

using namespace http1_internal;  // (this file is included by two .cc files only)

template <class Stream>
asio::awaitable<void> ServeHttp1(Stream& stream, beast::flat_buffer& buffer,
                               const InferenceServerOptions& options_,
                               InferenceHandler& handler_, const bool& draining_) {
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser.body_limit(options_.max_body_bytes);
    if (buffer.size() == 0) {
      Lowest(stream).expires_after(options_.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), kTuple);
      if (ec) co_return;
      buffer.commit(n);
    }
    Lowest(stream).expires_after(options_.header_timeout);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(stream, buffer, parser, kTuple);
    beast::error_code ec = header_ec;
    std::optional<common::HttpResponse> framing;
    if (!ec) framing = common::InboundFramingError(parser.get().base());
    if (!ec && !framing && !parser.is_done()) {
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> proceed{http::status::continue_,
                                                 parser.get().version()};
        co_await http::async_write(stream, proceed, kTuple);
      }
      Lowest(stream).expires_after(options_.body_timeout);
      auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
      ec = body_ec;
    }
    std::optional<common::HttpResponse> error = std::move(framing);
    if (ec) {
      error = common::InboundReadError(ec, {options_.max_header_bytes, options_.max_body_bytes});
      if (!error) co_return;
    }
    if (error) {
      co_await common::RespondAndClose(stream, Lowest(stream), std::move(*error),
                                       options_.header_timeout);
      co_return;
    }
    http::request<http::string_body> message = parser.release();
    common::HttpRequest request;
    request.method = std::string(message.method_string());
    const std::string_view target(message.target().data(), message.target().size());
    const size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
    for (const auto& field : message) {
      const auto name = field.name_string();
      if (IsPipelineHeader(std::string_view(name.data(), name.size()))) {
        request.headers.emplace_back(std::string(name), std::string(field.value()));
      }
    }
    request.body = std::move(message.body());
    const bool keep_alive = message.keep_alive() && !draining_;
    Http1Writer<Stream> writer(stream, message.version(), keep_alive, options_.write_timeout);
    co_await handler_.Handle(request, writer);
    if (!writer.ok() || !keep_alive) co_return;
  }
}

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_HTTP1_SESSION_IMPL_H_
