#include "data-plane/http/inference_server.h"

#include "data-plane/router/governance.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstring>
#include <thread>

#include "absl/strings/ascii.h"
#include "common/errors.h"
#include "common/http/http_server.h"
#include "common/http/inbound.h"
#include "common/log.h"
#include "common/net/as_tuple.h"
#include "common/net/stall_timer.h"
#include "common/strings.h"
#include "data-plane/http/h2_session.h"
#include "data-plane/http/inference_handler.h"
#include "data-plane/http/spawn_guard.h"
#include "data-plane/upstream/beast_upstream_client.h"
#include "data-plane/upstream/curl_upstream_client.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using common::kTuple;
using common::StrCat;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
// Writes up to this size go straight to the socket without a timeout timer: the kernel's
// send buffer takes them whole, so they cannot stall on a slow reader.
constexpr size_t kUntimedWriteBytes = 16 * 1024;

// An upload's body read from the client's HTTP/1.1 connection a piece at a time (at most
// 64 KiB held), for a handler that streams it upstream (upstream_client.h BodySource).
template <class Stream>
class Http1BodySource : public BodySource {
 public:
  Http1BodySource(Stream& stream, beast::flat_buffer& buffer,
                  http::request_parser<http::buffer_body>& parser,
                  std::chrono::milliseconds timeout)
      : stream_(stream), buffer_(buffer), parser_(parser), timeout_(timeout), piece_(64 * 1024) {}

  asio::awaitable<absl::StatusOr<std::string_view>> Next() override {
    started_ = true;
    while (!parser_.is_done()) {
      parser_.get().body().data = piece_.data();
      parser_.get().body().size = piece_.size();
      // Each read may stall for at most the body timeout (a large upload takes its time).
      beast::get_lowest_layer(stream_).expires_after(timeout_);
      auto [ec, n] = co_await http::async_read(stream_, buffer_, parser_, kTuple);
      if (ec == http::error::need_buffer) ec = {};
      if (ec == http::error::body_limit) {
        co_return absl::ResourceExhaustedError("the upload is larger than the data plane takes");
      }
      if (ec) {
        co_return absl::UnavailableError(StrCat("the client's upload broke off: ", ec.message()));
      }
      const size_t got = piece_.size() - parser_.get().body().size;
      if (got > 0) co_return std::string_view(piece_.data(), got);
    }
    co_return std::string_view();
  }
  std::optional<uint64_t> length() const override {
    const auto length = parser_.content_length();
    return length ? std::optional<uint64_t>(*length) : std::nullopt;
  }
  bool started() const override { return started_; }

 private:
  Stream& stream_;
  beast::flat_buffer& buffer_;
  http::request_parser<http::buffer_body>& parser_;
  const std::chrono::milliseconds timeout_;
  std::vector<char> piece_;
  bool started_ = false;
};

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
    beast::get_lowest_layer(stream_).expires_after(timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, buffers, kTuple);
    ok_ = !ec;
    co_return ok_;
  }

  asio::awaitable<bool> Begin(int status, HeaderList headers,
                              std::string_view first_data) override {
    const std::string head = Head(status, headers, "Transfer-Encoding: chunked\r\n");
    // A stream's writes are watched by one lazy timer instead of a timer per write: a client
    // that stops reading for the whole write timeout is cut off, and its socket closed.
    beast::get_lowest_layer(stream_).expires_never();
    stall_.emplace(stream_.get_executor(), timeout_, [this] {
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(stream_).socket().cancel(ignored);
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

  asio::awaitable<bool> End(std::string_view last_data) override {
    if (!ok_) co_return false;
    stall_->Begin();
    beast::error_code ec;
    if (last_data.empty()) {
      std::tie(ec, std::ignore) =
          co_await asio::async_write(stream_, http::make_chunk_last(), kTuple);
    } else {
      // The last bytes and the last chunk in one write.
      const auto chunk = http::make_chunk(asio::buffer(last_data.data(), last_data.size()));
      const auto last = http::make_chunk_last();
      std::vector<asio::const_buffer> buffers;
      for (auto buffer : chunk) buffers.push_back(buffer);
      for (auto buffer : last) buffers.push_back(buffer);
      std::tie(ec, std::ignore) = co_await asio::async_write(stream_, buffers, kTuple);
    }
    stall_->End();
    ok_ = !ec;
    co_return ok_;
  }

  void Abort() override { ok_ = false; }  // the server then closes the connection
  bool ok() const { return ok_; }

 private:
  Stream& stream_;
  const unsigned version_;
  const bool keep_alive_;
  const std::chrono::milliseconds timeout_;
  std::optional<common::StallTimer> stall_;  // from Begin(): a streamed response
  bool ok_ = true;
};

}  // namespace

class InferenceServer::Worker {
 public:
  Worker(const InferenceServerOptions& options, TableSlot* slot, ssl::context* tls,
         TokenCache* tokens, ModelCatalog* models, uint64_t seed)
      : options_(options),
        slot_(slot),
        tls_(tls),
        acceptor_(io_),
        direct_(io_.get_executor(), /*max_idle_per_host=*/512, options.upstream_idle_timeout),
        proxied_(io_.get_executor()),
        redis_(options.redis ? std::make_unique<RedisCounter>(io_.get_executor(), *options.redis)
                             : nullptr),
        counting_(redis_.get(), options.redis_fail_open),
        router_(&direct_, &proxied_, seed, options.router, &metrics_, tokens, models, &counting_),
        handler_(&tables_, &router_, options.require_virtual_key, &counting_, options.logs,
                 options.node_id) {
    handler_.set_upload_spool_dir(options.upload_spool_dir);
    // The table reaches this worker through its own loop, so requests read it lock-free.
    listener_ = slot->Listen([this](const std::shared_ptr<const RoutingTable>& table) {
      asio::post(io_, [this, table] { tables_.Set(table); });
    });
  }
  int64_t redis_failures() const { return counting_.redis_failures(); }
  ~Worker() {
    slot_->Unlisten(listener_);
    Stop();
  }

  absl::Status Listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.set_option(ReusePort(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return absl::UnavailableError(StrCat("cannot listen: ", ec.message()));
    return absl::OkStatus();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const RequestMetrics& metrics() const { return metrics_; }

  void Run() {
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  void StopAccepting() {
    asio::post(io_, [this] {
      draining_ = true;
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
  }
  int in_flight() const { return handler_.in_flight(); }

  void Stop() {
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(io_, Session(std::move(socket)), LogEscapedException{"http session"});
    }
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    if (tls_ != nullptr) {
      beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *tls_);
      secure.next_layer().expires_after(options_.header_timeout);
      auto [ec] = co_await secure.async_handshake(ssl::stream_base::server, kTuple);
      if (ec) co_return;
      const unsigned char* protocol = nullptr;
      unsigned int length = 0;
      SSL_get0_alpn_selected(secure.native_handle(), &protocol, &length);
      if (std::string_view(reinterpret_cast<const char*>(protocol), length) == "h2") {
        co_await ServeHttp2(secure, buffer, handler_, H2()); 
      } else {
        co_await ServeHttp1(secure, buffer);
      }
      beast::error_code ignored;
      secure.next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
      co_return;
    }
    // Cleartext: HTTP/2 with prior knowledge starts with the client preface.
    static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    stream.expires_after(options_.idle_timeout);
    while (buffer.size() < kPreface.size()) {
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), kTuple);
      if (ec) co_return;
      buffer.commit(n);
      const std::string_view seen(static_cast<const char*>(buffer.data().data()),
                                  std::min(buffer.size(), kPreface.size()));
      if (!kPreface.starts_with(seen)) break;  // not HTTP/2
    }
    const std::string_view head(static_cast<const char*>(buffer.data().data()),
                                std::min(buffer.size(), kPreface.size()));
    if (head == kPreface) {
      co_await ServeHttp2(stream, buffer, handler_, H2());
    } else {
      co_await ServeHttp1(stream, buffer);
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  H2Limits H2() const {
    H2Limits limits;
    limits.max_concurrent_streams = options_.max_concurrent_streams;
    limits.max_body_bytes = options_.max_body_bytes;
    limits.idle_timeout = options_.idle_timeout;
    limits.max_connection_buffer = options_.h2_max_buffered_bytes;
    limits.max_upload_bytes = options_.max_upload_bytes;
    limits.max_audio_upload_bytes = options_.max_audio_upload_bytes;
    limits.body_timeout = options_.body_timeout;
    return limits;
  }

  template <class Stream>
  asio::awaitable<void> ServeHttp1(Stream& stream, beast::flat_buffer& buffer) {
    const std::string peer = common::PeerAddress(beast::get_lowest_layer(stream));
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
      // Wide enough for an upload's Content-Length; other requests are held to
      // max_body_bytes once their head is read.
      parser.body_limit(std::max<uint64_t>(options_.max_body_bytes, options_.max_upload_bytes));
      if (buffer.size() == 0) {
        beast::get_lowest_layer(stream).expires_after(options_.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), kTuple);
        if (ec) co_return;
        buffer.commit(n);
      }
      beast::get_lowest_layer(stream).expires_after(options_.header_timeout);
      auto [header_ec, header_bytes] =
          co_await http::async_read_header(stream, buffer, parser, kTuple);
      beast::error_code ec = header_ec;
      std::optional<common::HttpResponse> framing;
      if (!ec) framing = common::InboundFramingError(parser.get().base());
      uint64_t limit = options_.max_body_bytes;
      const bool streamed =
          !ec && !framing &&
          StreamsBody(std::string_view(parser.get().method_string().data(),
                                       parser.get().method_string().size()),
                      Path(parser.get().target()));
      if (!ec && !framing) {
        const std::string_view method(parser.get().method_string().data(),
                                      parser.get().method_string().size());
        if (streamed) {
          limit = StreamedBodyLimit(method, Path(parser.get().target()), options_.max_body_bytes,
                                    options_.max_upload_bytes, options_.max_audio_upload_bytes);
        } else {
          parser.body_limit(limit);
        }
        if (parser.content_length() && *parser.content_length() > limit) {
          ec = http::error::body_limit;
        }
      }
      if (!ec && !framing && !parser.is_done()) {
        if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> proceed{http::status::continue_,
                                                   parser.get().version()};
          co_await http::async_write(stream, proceed, kTuple);
        }
        if (!streamed) {
          beast::get_lowest_layer(stream).expires_after(options_.body_timeout);
          auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
          ec = body_ec;
        }
      }
      std::optional<common::HttpResponse> error = std::move(framing);
      if (ec) {
        error = common::InboundReadError(ec, {options_.max_header_bytes, options_.max_body_bytes});
        if (!error) co_return;
      }
      if (error) {
        co_await common::RespondAndClose(stream, beast::get_lowest_layer(stream), std::move(*error),
                                         options_.header_timeout);
        co_return;
      }
      if (streamed) {
        // The body stays on the connection: the handler reads it a piece at a time.
        http::request_parser<http::buffer_body> body_parser(std::move(parser));
        body_parser.body_limit(limit);
        common::HttpRequest request = RequestOf(body_parser.get(), peer);
        const bool keep_alive = body_parser.get().keep_alive() && !draining_;
        Http1Writer<Stream> writer(stream, body_parser.get().version(), keep_alive,
                                   options_.write_timeout);
        Http1BodySource<Stream> body(stream, buffer, body_parser, options_.body_timeout);
        co_await handler_.Handle(request, writer, &body);
        // A body left unread (refused before it was sent) leaves the connection unusable.
        if (!writer.ok() || !keep_alive || !body_parser.is_done()) co_return;
        continue;
      }
      http::request<http::string_body> message = parser.release();
      common::HttpRequest request = RequestOf(message, peer);
      request.body = std::move(message.body());
      const bool keep_alive = message.keep_alive() && !draining_;
      Http1Writer<Stream> writer(stream, message.version(), keep_alive, options_.write_timeout);
      co_await handler_.Handle(request, writer);
      if (!writer.ok() || !keep_alive) co_return;
    }
  }

  static std::string_view Path(beast::string_view target) {
    const std::string_view view(target.data(), target.size());
    return view.substr(0, view.find('?'));
  }

  // The request's method, path, query and the headers the pipeline reads (not the body).
  template <class Message>
  static common::HttpRequest RequestOf(const Message& message, const std::string& peer) {
    common::HttpRequest request;
    request.method = std::string(message.method_string());
    const std::string_view target(message.target().data(), message.target().size());
    const size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
    for (const auto& field : message) {
      const auto name = field.name_string();
      const auto value = field.value();
      if (KeepsHeader(std::string_view(name.data(), name.size()),
                      std::string_view(value.data(), value.size()))) {
        request.headers.emplace_back(std::string(name), std::string(value));
      }
    }
    request.peer = peer;
    return request;
  }

  const InferenceServerOptions& options_;
  TableSlot* const slot_;
  ssl::context* const tls_;  // null: cleartext
  int listener_ = 0;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  WorkerTable tables_;
  BeastUpstreamClient direct_;
  CurlUpstreamClient proxied_;
  RequestMetrics metrics_;
  std::unique_ptr<RedisCounter> redis_;  // the `redis` counting policy; null: local
  GovernanceCounting counting_;
  Router router_;
  InferenceHandler handler_;
  bool draining_ = false;  // this worker's loop only
  std::thread thread_;
};

namespace {

// Picks "h2" when the client offers it, else "http/1.1".
int SelectProtocol(SSL*, const unsigned char** out, unsigned char* out_length,
                   const unsigned char* in, unsigned int in_length, void*) {
  for (const char* wanted : {"h2", "http/1.1"}) {
    const size_t wanted_length = std::strlen(wanted);
    for (unsigned int i = 0; i < in_length; i += 1 + in[i]) {
      if (in[i] == wanted_length && std::memcmp(in + i + 1, wanted, wanted_length) == 0) {
        *out = in + i + 1;
        *out_length = in[i];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

absl::StatusOr<std::unique_ptr<ssl::context>> MakeTlsContext(const std::string& cert,
                                                             const std::string& key) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1);
  beast::error_code ec;
  context->use_certificate_chain_file(cert, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("cannot load --tls-cert ", cert, ": ", ec.message()));
  context->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("cannot load --tls-key ", key, ": ", ec.message()));
  SSL_CTX_set_alpn_select_cb(context->native_handle(), &SelectProtocol, nullptr);
  return context;
}

}  // namespace

absl::StatusOr<std::unique_ptr<InferenceServer>> InferenceServer::Start(
    InferenceServerOptions options, TableSlot* slot) {
  auto host_port = common::SplitHostPort(options.listen);
  if (!host_port.ok()) return host_port.status();
  beast::error_code ec;
  const auto ip = asio::ip::make_address(host_port->first, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("bad listen host ", host_port->first));
  const int workers = options.workers > 0
                          ? options.workers
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto server = std::unique_ptr<InferenceServer>(new InferenceServer());
  auto shared_options = std::make_shared<InferenceServerOptions>(std::move(options));
  server->options_holder_ = shared_options;
  if (!shared_options->tls_cert_file.empty()) {
    auto context = MakeTlsContext(shared_options->tls_cert_file, shared_options->tls_key_file);
    if (!context.ok()) return context.status();
    server->tls_ = *std::move(context);
  }
  uint16_t port = host_port->second;
  server->models_ = std::make_unique<ModelCatalog>(shared_options->model_lists);
  std::random_device seeds;
  for (int i = 0; i < workers; ++i) {
    auto worker = std::make_unique<Worker>(*shared_options, slot, server->tls_.get(),
                                           &server->tokens_, server->models_.get(),
                                           (static_cast<uint64_t>(seeds()) << 32) ^ seeds());
    // The first worker may let the OS pick the port; the others share it.
    if (absl::Status status = worker->Listen(tcp::endpoint(ip, port)); !status.ok()) {
      return absl::UnavailableError(StrCat("cannot listen on ", shared_options->listen, ": ",
                                           status.message()));
    }
    port = worker->port();
    server->workers_.push_back(std::move(worker));
  }
  for (auto& worker : server->workers_) worker->Run();
  server->address_ = ip.is_v6() ? StrCat("[", host_port->first, "]:", port)
                                : StrCat(host_port->first, ":", port);
  return server;
}

InferenceServer::~InferenceServer() { Stop(); }

bool InferenceServer::Drain(std::chrono::milliseconds timeout) {
  for (auto& worker : workers_) worker->StopAccepting();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int in_flight = 0;
    for (const auto& worker : workers_) in_flight += worker->in_flight();
    if (in_flight == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

RequestCounters InferenceServer::Counters() const {
  RequestCounters total;
  for (const auto& worker : workers_) {
    worker->metrics().AddTo(&total);
    total.redis_failures += static_cast<uint64_t>(worker->redis_failures());
  }
  return total;
}

void InferenceServer::Stop() {
  // Workers stay allocated until destruction: Counters() may still read them.
  for (auto& worker : workers_) worker->Stop();
}

}  // namespace switchyard::dp
