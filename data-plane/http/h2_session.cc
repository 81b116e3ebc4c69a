#include "data-plane/http/h2_session.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/errors.h"
#include "common/http/inbound.h"
#include "common/net/as_tuple.h"
#include "common/net/stall_timer.h"
#include "common/strings.h"
#include "data-plane/http/spawn_guard.h"
#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using common::kTuple;

// One request/response exchange on the connection.
struct H2Stream {
  int32_t id = 0;
  common::HttpRequest request;
  bool body_too_large = false;
  std::string out;  // response body not yet handed to nghttp2
  size_t out_offset = 0;
  bool eof = false;
  bool deferred = false;
  bool closed = false;
  // Set while the response writer waits for nghttp2 to take queued body bytes (backpressure):
  // cancelled when bytes are taken or the stream closes.
  asio::steady_timer* drained = nullptr;
  // An upload read as it arrives (StreamsBody): DATA the handler has not taken yet (at most
  // the stream's window), and how it ends. `detached`: the handler is done with it, later DATA
  // is dropped.
  bool streams_body = false;
  std::string incoming;
  size_t incoming_taken = 0;  // of `incoming`, already handed to the handler
  uint64_t received = 0;
  uint64_t body_limit = 0;
  std::optional<uint64_t> content_length;
  bool body_ended = false;
  bool detached = false;
  asio::steady_timer* arrived = nullptr;  // set while the handler waits for DATA

  size_t pending() const { return out.size() - out_offset; }
  void WakeWriter() {
    if (drained != nullptr) drained->cancel();
  }
  void WakeReader() {
    if (arrived != nullptr) arrived->cancel();
  }
};

// Response bytes one stream may queue before its writer waits for the client to read.
constexpr size_t kMaxPendingPerStream = 1024 * 1024;
// The largest per-stream receive window we advertise.
constexpr size_t kMaxStreamWindow = 1024 * 1024;
// The pieces an upload's body is handed over in.
constexpr size_t kBodyPiece = 64 * 1024;
// The connection's receive window: uploads that wait (each at most a stream window ahead)
// do not stall the connection's other streams.
constexpr int32_t kConnectionWindow = 16 * 1024 * 1024;

template <class Stream>
class H2Session : public std::enable_shared_from_this<H2Session<Stream>> {
 public:
  H2Session(Stream& stream, InferenceHandler& handler, const H2Limits& limits)
      : stream_(stream),
        handler_(handler),
        limits_(limits),
        peer_(common::PeerAddress(beast::get_lowest_layer(stream))) {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &OnData);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &OnFrame);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &OnClose);
    // Windows are opened again by hand (Consume): at once for bodies held in memory, as the
    // handler takes them for uploads read as they arrive.
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    nghttp2_option_set_no_auto_window_update(option, 1);
    nghttp2_session_server_new2(&session_, callbacks, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
  }
  ~H2Session() { nghttp2_session_del(session_); }

  asio::awaitable<void> Run(beast::flat_buffer& buffer) {
    // Flow control tied to the body limit: a client may not send more than that per stream
    // before the data plane has taken it.
    const uint32_t window =
        static_cast<uint32_t>(std::min<size_t>(limits_.max_body_bytes, kMaxStreamWindow));
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
    if (buffer.size() > 0) {
      const auto data = buffer.data();
      const ssize_t used = nghttp2_session_mem_recv(
          session_, static_cast<const uint8_t*>(data.data()), data.size());
      buffer.consume(buffer.size());
      if (used < 0) dead_ = true;
    }
    Flush();
    // The idle timeout applies with streams open too: a connection on which nothing moves
    // either way for that long is closed (one lazy timer; reads and writes mark progress).
    beast::get_lowest_layer(stream_).expires_never();
    idle_.emplace(beast::get_lowest_layer(stream_).get_executor(), limits_.idle_timeout, [this] {
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).socket().cancel(ignored);
    });
    idle_->Start();
    uint8_t chunk[16384];
    while (!dead_ &&
           (nghttp2_session_want_read(session_) || nghttp2_session_want_write(session_))) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(chunk), kTuple);
      if (ec) break;
      idle_->Touch();
      if (nghttp2_session_mem_recv(session_, chunk, n) < 0) break;
      Flush();
    }
    dead_ = true;
    // The writer may be mid-write on the socket the caller is about to close.
    asio::steady_timer wait(co_await asio::this_coro::executor);
    while (writing_) {
      wait.expires_after(std::chrono::milliseconds(1));
      co_await wait.async_wait(kTuple);
    }
  }

  // The body of an upload, as its DATA arrives; each piece taken opens the window again.
  class Body : public BodySource {
   public:
    Body(std::shared_ptr<H2Session> session, std::shared_ptr<H2Stream> stream)
        : session_(std::move(session)), stream_(std::move(stream)) {}

    asio::awaitable<absl::StatusOr<std::string_view>> Next() override {
      started_ = true;
      H2Stream& stream = *stream_;
      std::optional<asio::steady_timer> arrived;
      for (;;) {
        if (stream.received > stream.body_limit) {
          co_return absl::ResourceExhaustedError("the upload is larger than the data plane takes");
        }
        if (stream.incoming_taken < stream.incoming.size()) {
          // 64 KiB at a time, as over HTTP/1.1: what holds it on (a framing check, a spool)
          // holds no more than that.
          const size_t n = std::min(kBodyPiece, stream.incoming.size() - stream.incoming_taken);
          piece_.assign(stream.incoming, stream.incoming_taken, n);
          stream.incoming_taken += n;
          if (stream.incoming_taken == stream.incoming.size()) {
            stream.incoming.clear();
            stream.incoming_taken = 0;
          } else if (stream.incoming_taken > kMaxStreamWindow / 2) {
            stream.incoming.erase(0, stream.incoming_taken);
            stream.incoming_taken = 0;
          }
          session_->Consume(stream, n);
          co_return std::string_view(piece_);
        }
        if (stream.body_ended) co_return std::string_view();
        if (session_->dead_ || stream.closed) {
          co_return absl::UnavailableError("the client's upload broke off (stream closed)");
        }
        if (!arrived) arrived.emplace(co_await asio::this_coro::executor);
        arrived->expires_after(session_->limits_.body_timeout);
        stream.arrived = &*arrived;
        auto [ec] = co_await arrived->async_wait(kTuple);
        stream.arrived = nullptr;
        if (!ec) co_return absl::UnavailableError("the client's upload stalled past the body timeout");
      }
    }
    std::optional<uint64_t> length() const override { return stream_->content_length; }
    bool started() const override { return started_; }

   private:
    std::shared_ptr<H2Session> session_;
    std::shared_ptr<H2Stream> stream_;
    std::string piece_;
    bool started_ = false;
  };

  // ResponseWriter of one stream.
  class Writer : public ResponseWriter {
   public:
    Writer(std::shared_ptr<H2Session> session, std::shared_ptr<H2Stream> stream)
        : session_(std::move(session)), stream_(std::move(stream)) {}

    asio::awaitable<bool> Send(int status, HeaderList headers, std::string body) override {
      stream_->out = std::move(body);
      stream_->eof = true;
      co_return session_->Submit(*stream_, status, headers);
    }
    asio::awaitable<bool> Begin(int status, HeaderList headers,
                                std::string_view first_data) override {
      stream_->out.append(first_data);
      co_return session_->Submit(*stream_, status, headers);
    }
    asio::awaitable<bool> Write(std::string_view data) override {
      stream_->out.append(data);
      if (!session_->Resume(*stream_)) co_return false;
      // Backpressure: a client that reads slowly holds the provider back instead of making
      // the data plane buffer without bound.
      asio::steady_timer drained(co_await asio::this_coro::executor);
      while (stream_->pending() > kMaxPendingPerStream) {
        if (session_->dead_ || stream_->closed) co_return false;
        stream_->drained = &drained;
        drained.expires_at(asio::steady_timer::time_point::max());
        co_await drained.async_wait(kTuple);
        stream_->drained = nullptr;
      }
      co_return !session_->dead_ && !stream_->closed;
    }
    asio::awaitable<bool> End(std::string_view last_data) override {
      stream_->out.append(last_data);
      stream_->eof = true;
      co_return session_->Resume(*stream_);
    }
    void Abort() override { session_->Reset(*stream_); }

   private:
    std::shared_ptr<H2Session> session_;
    std::shared_ptr<H2Stream> stream_;
  };

 private:
  static H2Session* Self(void* user) { return static_cast<H2Session*>(user); }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      auto stream = std::make_shared<H2Stream>();
      stream->id = frame->hd.stream_id;
      stream->request.peer = Self(user)->peer_;
      Self(user)->streams_[stream->id] = std::move(stream);
    }
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user) {
    auto it = Self(user)->streams_.find(frame->hd.stream_id);
    if (it == Self(user)->streams_.end()) return 0;
    common::HttpRequest& request = it->second->request;
    const std::string_view key(reinterpret_cast<const char*>(name), name_length);
    const std::string_view text(reinterpret_cast<const char*>(value), value_length);
    if (key == ":method") {
      request.method = std::string(text);
    } else if (key == ":path") {
      const size_t question = text.find('?');
      request.path = std::string(text.substr(0, question));
      if (question != std::string_view::npos) request.query = std::string(text.substr(question + 1));
    } else if (key == "content-length") {
      uint64_t length = 0;
      if (absl::SimpleAtoi(common::ToAbsl(text), &length)) it->second->content_length = length;
    } else if (KeepsHeader(key, text)) {
      request.headers.emplace_back(std::string(key), std::string(text));
    }
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                    size_t length, void* user) {
    H2Session& session = *Self(user);
    auto it = session.streams_.find(stream_id);
    if (it == session.streams_.end()) {
      nghttp2_session_consume_connection(session.session_, length);
      return 0;
    }
    H2Stream& stream = *it->second;
    if (stream.streams_body) {
      // Held until the handler takes it (its window stays closed until then).
      stream.received += length;
      if (stream.detached || stream.received > stream.body_limit) {
        nghttp2_session_consume(session.session_, stream_id, length);
      } else {
        stream.incoming.append(reinterpret_cast<const char*>(data), length);
      }
      stream.WakeReader();
      return 0;
    }
    nghttp2_session_consume(session.session_, stream_id, length);
    // Per stream, the body limit (413); per connection, a cap on request bytes held at once
    // (also 413), so many streams cannot together exhaust memory.
    if (stream.request.body.size() + length > session.limits_.max_body_bytes ||
        session.buffered_ + length > session.limits_.max_connection_buffer) {
      session.buffered_ -= stream.request.body.size();
      stream.body_too_large = true;
      stream.request.body.clear();
      stream.request.body.shrink_to_fit();
    } else if (!stream.body_too_large) {
      stream.request.body.append(reinterpret_cast<const char*>(data), length);
      session.buffered_ += length;
    }
    return 0;
  }

  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto it = Self(user)->streams_.find(frame->hd.stream_id);
    if (it == Self(user)->streams_.end()) return 0;
    H2Stream& stream = *it->second;
    const bool ends = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !ends && !stream.streams_body &&
        StreamsBody(stream.request.method, stream.request.path)) {
      // An upload: handled now, its body read as it arrives.
      const H2Limits& limits = Self(user)->limits_;
      stream.streams_body = true;
      stream.body_limit = StreamedBodyLimit(stream.request.method, stream.request.path,
                                            limits.max_body_bytes, limits.max_upload_bytes,
                                            limits.max_audio_upload_bytes);
      Self(user)->Dispatch(it->second);
      return 0;
    }
    if (!ends) return 0;
    if (stream.streams_body) {
      stream.body_ended = true;
      stream.WakeReader();
    } else {
      Self(user)->Dispatch(it->second);
    }
    return 0;
  }

  static int OnClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user) {
    auto it = Self(user)->streams_.find(stream_id);
    if (it != Self(user)->streams_.end()) {
      it->second->closed = true;
      it->second->WakeWriter();
      it->second->WakeReader();
      Self(user)->streams_.erase(it);
    }
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* stream = static_cast<H2Stream*>(source->ptr);
    const size_t available = stream->out.size() - stream->out_offset;
    const size_t n = std::min(length, available);
    std::memcpy(buffer, stream->out.data() + stream->out_offset, n);
    stream->out_offset += n;
    if (n > 0) stream->WakeWriter();
    if (stream->out_offset == stream->out.size()) {
      stream->out.clear();
      stream->out_offset = 0;
      if (stream->eof) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
      } else if (n == 0) {
        stream->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    return static_cast<ssize_t>(n);
  }

  void Dispatch(std::shared_ptr<H2Stream> stream) {
    auto self = this->shared_from_this();
    asio::co_spawn(
        beast::get_lowest_layer(stream_).get_executor(),
        [self, stream]() -> asio::awaitable<void> {
          self->buffered_ -= stream->request.body.size();  // handed to the request now
          Writer writer(self, stream);
          if (stream->body_too_large) {
            // (Arguments built first: GCC 12 miscompiles braced lists inside co_await.)
            HeaderList headers;
            headers.emplace_back("content-type", "application/json");
            std::string body = common::ErrorEnvelopeJson(common::MakeApiError(
                413, "invalid_request_error", "body_too_large",
                common::StrCat("request body exceeds ", self->limits_.max_body_bytes, " bytes")));
            co_await writer.Send(413, std::move(headers), std::move(body));
          } else if (stream->streams_body) {
            Body body(self, stream);
            co_await self->handler_.Handle(stream->request, writer, &body);
            // What the handler did not read is dropped as it comes, its window opened again.
            stream->detached = true;
            self->Consume(*stream, stream->incoming.size() - stream->incoming_taken);
            stream->incoming.clear();
            stream->incoming_taken = 0;
          } else {
            co_await self->handler_.Handle(stream->request, writer);
          }
        },
        LogEscapedException{"http/2 stream"});
  }

  bool Submit(H2Stream& stream, int status, const HeaderList& headers) {
    if (dead_ || stream.closed) return false;
    std::vector<std::string> storage;  // lower-case names, kept alive for the call
    storage.reserve(headers.size() + 1);
    storage.push_back(std::to_string(status));
    std::vector<nghttp2_nv> nv;
    auto add = [&](const std::string& name, const std::string& value) {
      nv.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE});
    };
    static const std::string kStatus = ":status";
    add(kStatus, storage[0]);
    std::vector<std::string> names;
    names.reserve(headers.size());
    for (const auto& [name, value] : headers) {
      names.push_back(absl::AsciiStrToLower(name));
      if (names.back() == "connection" || names.back() == "transfer-encoding") {
        names.pop_back();
        continue;
      }
      add(names.back(), value);
    }
    nghttp2_data_provider provider;
    provider.source.ptr = &stream;
    provider.read_callback = &ReadBody;
    if (nghttp2_submit_response(session_, stream.id, nv.data(), nv.size(), &provider) != 0) {
      return false;
    }
    Flush();
    return true;
  }

  // Opens the windows again for `n` bytes of the stream's DATA that were taken.
  void Consume(H2Stream& stream, size_t n) {
    if (dead_ || n == 0) return;
    if (stream.closed) {
      nghttp2_session_consume_connection(session_, n);
    } else {
      nghttp2_session_consume(session_, stream.id, n);
    }
    Flush();
  }

  // Ends a stream that cannot be completed with RST_STREAM (INTERNAL_ERROR).
  void Reset(H2Stream& stream) {
    if (dead_ || stream.closed) return;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_INTERNAL_ERROR);
    Flush();
  }

  bool Resume(H2Stream& stream) {
    if (dead_ || stream.closed) return false;
    if (stream.deferred) {
      stream.deferred = false;
      nghttp2_session_resume_data(session_, stream.id);
    }
    Flush();
    return true;
  }

  // Starts the single writer when nghttp2 has frames to send.
  void Flush() {
    if (writing_ || dead_ || !nghttp2_session_want_write(session_)) return;
    writing_ = true;
    auto self = this->shared_from_this();
    asio::co_spawn(
        beast::get_lowest_layer(stream_).get_executor(),
        [self]() -> asio::awaitable<void> {
          std::string pending;
          while (!self->dead_) {
            pending.clear();
            const uint8_t* data = nullptr;
            ssize_t n;
            while ((n = nghttp2_session_mem_send(self->session_, &data)) > 0) {
              pending.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
            }
            if (n < 0 || pending.empty()) break;
            auto [ec, written] = co_await asio::async_write(self->stream_,
                                                            asio::buffer(pending), kTuple);
            if (ec) self->dead_ = true;
            if (self->idle_) self->idle_->Touch();
          }
          self->writing_ = false;
        },
        asio::detached);
  }

  Stream& stream_;
  InferenceHandler& handler_;
  const H2Limits limits_;
  const std::string peer_;  // the client's address, for request logs
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::shared_ptr<H2Stream>> streams_;
  bool writing_ = false;
  bool dead_ = false;
  size_t buffered_ = 0;  // request body bytes held across streams
  std::optional<common::StallTimer> idle_;
};

template <class Stream>
asio::awaitable<void> Serve(Stream& stream, beast::flat_buffer& buffer, InferenceHandler& handler,
                            const H2Limits& limits) {
  auto session = std::make_shared<H2Session<Stream>>(stream, handler, limits);
  co_await session->Run(buffer);
}

}  // namespace

asio::awaitable<void> ServeHttp2(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                 InferenceHandler& handler, const H2Limits& limits) {
  co_await Serve(stream, buffer, handler, limits);
}

asio::awaitable<void> ServeHttp2(beast::ssl_stream<beast::tcp_stream>& stream,
                                 beast::flat_buffer& buffer, InferenceHandler& handler,
                                 const H2Limits& limits) {
  co_await Serve(stream, buffer, handler, limits);
}

}  // namespace switchyard::dp
