// HTTP/2 for the inference listener, through nghttp2: cleartext with prior knowledge (the
// client preface on the same port as HTTP/1.1) and over TLS when ALPN picked "h2".
//
// One H2Session per connection, on its worker's event loop: a reader feeds bytes to nghttp2,
// a single writer drains nghttp2's output, and every request (stream) runs the same
// InferenceHandler coroutine as HTTP/1.1, concurrently, answering through an H2 writer that
// queues body data and resumes the stream. Limits: concurrent streams per connection
// (SETTINGS_MAX_CONCURRENT_STREAMS, excess refused), request body bytes (413) with the
// stream's flow-control window tied to that limit, request bytes held per connection (413
// past the cap), response bytes queued per stream (the writer waits: backpressure), and the
// idle timeout, which also applies while streams are open.
//
// Uploads (StreamsBody: file uploads, audio uploads, image edits) are not held: their request
// is handled as soon as its headers came, and its DATA is read as the handler takes it; the
// stream's flow-control window is opened again only for what was taken (windows are updated
// by hand, NGHTTP2_OPT_NO_AUTO_WINDOW_UPDATE), so a client can be at most one window ahead.
#ifndef SWITCHYARD_DATA_PLANE_HTTP_H2_SESSION_H_
#define SWITCHYARD_DATA_PLANE_HTTP_H2_SESSION_H_

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdint>

#include "data-plane/http/inference_handler.h"

namespace switchyard::dp {

struct H2Limits {
  uint32_t max_concurrent_streams = 128;
  size_t max_body_bytes = 32 * 1024 * 1024;
  std::chrono::milliseconds idle_timeout{120000};   // applies with streams open too
  size_t max_connection_buffer = 64 * 1024 * 1024;  // request body bytes held per connection
  // Uploads read as they arrive (StreamedBodyLimit), each piece within the body timeout.
  uint64_t max_upload_bytes = 512ull * 1024 * 1024;
  uint64_t max_audio_upload_bytes = 25ull * 1024 * 1024;
  std::chrono::milliseconds body_timeout{60000};
};

// Serves one connection until it ends. `buffer` holds bytes already read (the preface).
boost::asio::awaitable<void> ServeHttp2(boost::beast::tcp_stream& stream,
                                        boost::beast::flat_buffer& buffer,
                                        InferenceHandler& handler, const H2Limits& limits);
boost::asio::awaitable<void> ServeHttp2(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                        boost::beast::flat_buffer& buffer,
                                        InferenceHandler& handler, const H2Limits& limits);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_H2_SESSION_H_
