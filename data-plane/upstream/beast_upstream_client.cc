#include "data-plane/upstream/beast_upstream_client.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "common/net/as_tuple.h"
#include "common/net/stall_timer.h"
#include "common/sha256.h"
#include "common/strings.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using common::kTuple;
using common::StrAppend;
using common::StrCat;

}  // namespace

namespace {

absl::Status Failure(const beast::error_code& ec, std::string_view what) {
  if (ec == beast::error::timeout) {
    return absl::DeadlineExceededError(StrCat("provider did not answer in time (", what, ")"));
  }
  return absl::UnavailableError(StrCat("provider unreachable (", what, ": ", ec.message(), ")"));
}

// Connection failures on a reused connection that mean "the server closed it while idle".
bool IsStaleConnection(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::partial_message;
}

// The request as bytes, ready for one write. (Serializing into a flat buffer is much
// cheaper than walking Beast's serializer buffer sequences; parsing stays with Beast.)
std::string BuildRequest(const UpstreamRequest& request) {
  std::string out;
  out.reserve(256 + request.body.size() + request.target.size());
  out.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\nhost: ");
  out.append(request.endpoint->host);
  if (request.endpoint->port != (request.endpoint->tls ? 443 : 80)) {
    out.append(":").append(std::to_string(request.endpoint->port));
  }
  out.append("\r\n");
  for (std::string_view lines : request.header_lines) out.append(lines);
  for (const auto& [name, value] : request.headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (request.body_source != nullptr) {
    // The head only: the body follows from its source.
    if (std::optional<uint64_t> length = request.body_source->length()) {
      out.append("content-length: ").append(std::to_string(*length)).append("\r\n\r\n");
    } else {
      out.append("transfer-encoding: chunked\r\n\r\n");
    }
    return out;
  }
  out.append("content-length: ").append(std::to_string(request.body.size()));
  out.append("\r\n\r\n").append(request.body);
  return out;
}

// The response headers the data plane uses (content type, Retry-After), lower-case names.
// The rest is the provider's business and is not copied per request.
template <class Fields>
HeaderList CopyHeaders(const Fields& fields) {
  HeaderList headers;
  for (http::field known : {http::field::content_type, http::field::retry_after}) {
    auto it = fields.find(known);
    if (it != fields.end()) {
      headers.emplace_back(known == http::field::content_type ? "content-type" : "retry-after",
                           std::string(it->value()));
    }
  }
  return headers;
}

}  // namespace

// One upstream connection, plain or TLS.
struct BeastUpstreamClient::Connection {
  std::string key;
  std::chrono::steady_clock::time_point idle_since;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }

  template <class Fn>
  auto With(Fn&& fn) {
    return plain ? fn(*plain) : fn(*tls);
  }
};

// ssl::context per (CA, insecure) setting, created on first use.
struct BeastUpstreamClient::TlsContexts {
  std::map<std::string, std::unique_ptr<ssl::context>> contexts;

  absl::StatusOr<ssl::context*> For(const UpstreamEndpoint& endpoint) {
    const std::string key = StrCat(endpoint.insecure_skip_verify ? "insecure/" : "verify/",
                                   common::Sha256Hex(endpoint.ca_cert_pem));
    auto it = contexts.find(key);
    if (it != contexts.end()) return it->second.get();
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    if (endpoint.insecure_skip_verify) {
      context->set_verify_mode(ssl::verify_none);
    } else {
      context->set_verify_mode(ssl::verify_peer);
      if (endpoint.ca_cert_pem.empty()) {
        context->set_default_verify_paths(ec);
      } else {
        context->add_certificate_authority(
            asio::buffer(endpoint.ca_cert_pem.data(), endpoint.ca_cert_pem.size()), ec);
      }
      if (ec) return absl::InvalidArgumentError(StrCat("bad CA certificate: ", ec.message()));
    }
    ssl::context* raw = context.get();
    contexts.emplace(key, std::move(context));
    return raw;
  }
};

namespace {

// Small plain-text requests fit the socket buffer and complete at once: no timer for them.
// The read that follows is timed, so a dead provider is still noticed.
asio::awaitable<std::tuple<beast::error_code, size_t>> Write(
    BeastUpstreamClient::Connection& connection, const std::string& message) {
  if (connection.plain && message.size() <= 16 * 1024) {
    co_return co_await asio::async_write(connection.plain->socket(), asio::buffer(message),
                                         kTuple);
  }
  co_return co_await connection.With([&](auto& stream) {
    return asio::async_write(stream, asio::buffer(message), kTuple);
  });
}

// Sends a streamed body (chunked when its length is unknown); each write may stall for at most
// `stall` (an upload takes as long as it takes, a provider that stops reading does not). A
// source error is returned as it is; a write error goes to `write_ec`.
asio::awaitable<absl::Status> PumpBody(BeastUpstreamClient::Connection& connection,
                                       BodySource& source, std::chrono::milliseconds stall,
                                       beast::error_code* write_ec) {
  const bool chunked = !source.length().has_value();
  source.Rewind();
  for (;;) {
    absl::StatusOr<std::string_view> piece = co_await source.Next();
    if (!piece.ok()) co_return piece.status();
    if (piece->empty()) break;
    connection.lowest().expires_after(stall);
    auto [ec, n] = co_await connection.With([&](auto& stream) {
      return chunked ? asio::async_write(stream, http::make_chunk(asio::buffer(*piece)), kTuple)
                     : asio::async_write(stream, asio::buffer(*piece), kTuple);
    });
    if (ec) {
      *write_ec = ec;
      co_return absl::OkStatus();
    }
  }
  if (chunked) {
    auto [ec, n] = co_await connection.With(
        [&](auto& stream) { return asio::async_write(stream, http::make_chunk_last(), kTuple); });
    *write_ec = ec;
  }
  co_return absl::OkStatus();
}

}  // namespace

BeastUpstreamClient::BeastUpstreamClient(asio::any_io_executor executor, size_t max_idle_per_host,
                                         std::chrono::milliseconds idle_timeout)
    : executor_(std::move(executor)),
      max_idle_per_host_(max_idle_per_host),
      idle_timeout_(idle_timeout),
      sweep_timer_(std::make_unique<asio::steady_timer>(executor_)),
      tls_(std::make_unique<TlsContexts>()) {}

BeastUpstreamClient::~BeastUpstreamClient() = default;

asio::awaitable<absl::StatusOr<std::unique_ptr<BeastUpstreamClient::Connection>>>
BeastUpstreamClient::Acquire(const UpstreamEndpoint& endpoint, Clock::time_point deadline,
                             bool* reused) {
  const std::string& key = endpoint.pool_key;
  auto& idle = idle_[key];
  const auto now = Clock::now();
  while (!idle.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle.back());
    idle.pop_back();
    if (now - connection->idle_since < idle_timeout_ && connection->lowest().socket().is_open()) {
      *reused = true;
      co_return connection;
    }
  }
  *reused = false;
  auto connection = std::make_unique<Connection>();
  // Beast reads at most the buffer's spare capacity (512 bytes when it is small): a large
  // buffer up front lets one read take everything that has arrived.
  connection->buffer.reserve(64 * 1024);
  connection->key = key;
  tcp::resolver resolver(executor_);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), kTuple);
  if (resolve_ec) co_return Failure(resolve_ec, StrCat("resolve ", endpoint.host));

  if (endpoint.tls) {
    absl::StatusOr<ssl::context*> context = tls_->For(endpoint);
    if (!context.ok()) co_return context.status();
    connection->tls =
        std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor_, **context);
  } else {
    connection->plain = std::make_unique<beast::tcp_stream>(executor_);
  }
  beast::tcp_stream& lowest = connection->lowest();
  lowest.expires_at(deadline);
  auto [connect_ec, connected] = co_await lowest.async_connect(endpoints, kTuple);
  if (connect_ec) co_return Failure(connect_ec, "connect");
  lowest.socket().set_option(tcp::no_delay(true));
  if (endpoint.tls) {
    SSL* handle = connection->tls->native_handle();
    if (!SSL_set_tlsext_host_name(handle, endpoint.host.c_str())) {
      co_return absl::UnavailableError("cannot set TLS server name");
    }
    if (!endpoint.insecure_skip_verify) {
      connection->tls->set_verify_callback(ssl::host_name_verification(endpoint.host));
    }
    auto [handshake_ec] =
        co_await connection->tls->async_handshake(ssl::stream_base::client, kTuple);
    if (handshake_ec) co_return Failure(handshake_ec, "TLS handshake");
  }
  co_return connection;
}

void BeastUpstreamClient::Release(std::unique_ptr<Connection> connection) {
  auto& idle = idle_[connection->key];
  if (idle.size() >= max_idle_per_host_) return;  // closed: the pool is full
  connection->idle_since = Clock::now();
  idle.push_back(std::move(connection));
  if (!sweeping_) ArmSweep();
}

void BeastUpstreamClient::ArmSweep() {
  sweeping_ = true;
  sweep_timer_->expires_after(idle_timeout_ / 2);
  sweep_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Sweep();
  });
}

void BeastUpstreamClient::Sweep() {
  sweeping_ = false;
  const auto now = Clock::now();
  for (auto pool = idle_.begin(); pool != idle_.end();) {
    auto& connections = pool->second;
    // Oldest first: connections are pushed as they are released.
    size_t expired = 0;
    while (expired < connections.size() &&
           now - connections[expired]->idle_since >= idle_timeout_) {
      ++expired;
    }
    connections.erase(connections.begin(), connections.begin() + static_cast<long>(expired));
    pool = connections.empty() ? idle_.erase(pool) : std::next(pool);
  }
  if (!idle_.empty()) ArmSweep();
}

template <class Parser>
asio::awaitable<absl::StatusOr<std::unique_ptr<BeastUpstreamClient::Connection>>>
BeastUpstreamClient::Exchange(const UpstreamRequest& request, const std::string& message,
                              Clock::time_point deadline, std::optional<Parser>& parser,
                              bool read_all) {
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    auto acquired = co_await Acquire(*request.endpoint, deadline, &reused);
    if (!acquired.ok()) co_return acquired.status();
    std::unique_ptr<Connection> connection = *std::move(acquired);
    connection->lowest().expires_at(deadline);
    auto [write_ec, written] = co_await Write(*connection, message);
    if (!write_ec && request.body_source != nullptr) {
      // An upload: piece by piece from the client, each write allowed to stall for at most
      // the request timeout (a provider that stops reading stops the upload).
      absl::Status pumped =
          co_await PumpBody(*connection, *request.body_source, request.timeout, &write_ec);
      if (!pumped.ok()) co_return pumped;  // the connection is dropped: its body is incomplete
      deadline = Clock::now() + request.timeout;  // then the wait for the answer's head
      connection->lowest().expires_at(deadline);
    }
    parser.emplace();
    parser->body_limit(read_all ? boost::optional<std::uint64_t>(kMaxUpstreamResponseBytes)
                                : boost::none);
    beast::error_code ec = write_ec;
    if (!ec) {
      auto [read_ec, read] = co_await connection->With([&](auto& stream) {
        return read_all ? http::async_read(stream, connection->buffer, *parser, kTuple)
                        : http::async_read_header(stream, connection->buffer, *parser, kTuple);
      });
      ec = read_ec;
    }
    if (ec) {
      const bool resendable = request.body_source == nullptr || !request.body_source->started();
      if (reused && attempt == 0 && IsStaleConnection(ec) && !parser->got_some() && resendable) {
        continue;
      }
      co_return Failure(ec, write_ec ? "write" : "read");
    }
    co_return connection;
  }
}

asio::awaitable<absl::StatusOr<UpstreamResponse>> BeastUpstreamClient::Send(
    const UpstreamRequest& request) {
  std::optional<http::response_parser<http::string_body>> parser;
  auto connection = co_await Exchange(request, BuildRequest(request),
                                      Clock::now() + request.timeout, parser, /*read_all=*/true);
  if (!connection.ok()) co_return connection.status();
  http::response<http::string_body> response = parser->release();
  UpstreamResponse out;
  out.status = static_cast<int>(response.result_int());
  out.headers = CopyHeaders(response);
  out.body = std::move(response.body());
  if (response.keep_alive()) {
    (*connection)->lowest().expires_never();
    Release(*std::move(connection));
  }
  co_return out;
}

asio::awaitable<absl::Status> BeastUpstreamClient::Stream(const UpstreamRequest& request,
                                                          UpstreamSink& sink) {
  std::optional<http::response_parser<http::buffer_body>> parser;
  auto exchanged = co_await Exchange(request, BuildRequest(request),
                                     Clock::now() + request.timeout, parser, /*read_all=*/false);
  if (!exchanged.ok()) co_return exchanged.status();
  std::unique_ptr<Connection> connection = *std::move(exchanged);
  // After the head only silence ends a stream (a long generation is not cut). One lazy idle
  // timer for the whole stream: reads record progress, no timer is re-armed per read.
  connection->lowest().expires_never();
  common::StallTimer idle(executor_, request.stream_idle_timeout, [&connection] {
    boost::system::error_code ignored;
    connection->lowest().socket().cancel(ignored);
  });
  idle.Start();
  // Whatever has arrived leaves in one piece: a large buffer, filled from one read plus
  // everything already buffered (events that arrived together are written together; none
  // is held back waiting for more).
  constexpr size_t kChunk = 64 * 1024;
  const auto chunk_storage = std::make_unique_for_overwrite<char[]>(kChunk);
  char* const chunk = chunk_storage.get();
  // Parses body bytes already in the connection's buffer into the chunk (no I/O).
  auto take_buffered = [&](beast::error_code& ec) {
    while (!ec && !parser->is_done() && parser->get().body().size > 0 &&
           connection->buffer.size() > 0) {
      const size_t used = parser->put(connection->buffer.data(), ec);
      connection->buffer.consume(used);
      if (ec == http::error::need_buffer || ec == http::error::need_more) ec = {};
      if (used == 0) break;
    }
  };
  parser->get().body().data = chunk;
  parser->get().body().size = kChunk;
  beast::error_code head_ec;
  take_buffered(head_ec);
  if (head_ec) co_return Failure(head_ec, "stream");
  // The body bytes that came with the head go out with it.
  if (!co_await sink.OnHead(static_cast<int>(parser->get().result_int()),
                            CopyHeaders(parser->get()),
                            std::string_view(chunk, kChunk - parser->get().body().size))) {
    co_return absl::CancelledError("client went away");
  }
  while (!parser->is_done()) {
    parser->get().body().data = chunk;
    parser->get().body().size = kChunk;
    auto [read_ec, read] = co_await connection->With([&](auto& stream) {
      return http::async_read_some(stream, connection->buffer, *parser, kTuple);
    });
    idle.Touch();
    beast::error_code ec = read_ec == http::error::need_buffer ? beast::error_code() : read_ec;
    take_buffered(ec);
    const size_t got = kChunk - parser->get().body().size;
    if (got > 0 && !co_await sink.OnData(std::string_view(chunk, got))) {
      co_return absl::CancelledError("client went away");  // the connection is dropped
    }
    if (ec && idle.stalled()) {
      co_return absl::DeadlineExceededError(StrCat("provider sent nothing for ",
                                                   request.stream_idle_timeout.count(),
                                                   " ms (stream idle timeout)"));
    }
    if (ec) co_return Failure(ec, "stream");
  }
  if (parser->get().keep_alive()) {
    connection->lowest().expires_never();
    Release(std::move(connection));
  }
  co_return absl::OkStatus();
}

}  // namespace switchyard::dp
