// HTTP/1.1 on one accepted connection of the inference server (plain or TLS): requests read
// with Beast's parser (limits and timeouts from InferenceServerOptions), each handed to the
// InferenceHandler with a ResponseWriter that writes the answer (whole, or chunked for
// streams) straight to the connection. Keep-alive until the client, an error or draining ends
// it.
//
// The two stream types are instantiated in two files (http1_session.cc, http1_session_tls.cc):
// each is a heavy Beast instantiation, and two files compile in parallel.
#ifndef SWITCHYARD_DATA_PLANE_HTTP_HTTP1_SESSION_H_
#define SWITCHYARD_DATA_PLANE_HTTP_HTTP1_SESSION_H_

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "data-plane/http/inference_handler.h"
#include "data-plane/http/inference_server.h"

namespace switchyard::dp {

// Serves requests on `stream` until the connection ends; `buffer` may already hold bytes the
// caller read (a sniffed preface). `draining` is read between requests: when set, the next
// answer closes the connection.
template <class Stream>
boost::asio::awaitable<void> ServeHttp1(Stream& stream, boost::beast::flat_buffer& buffer,
                                        const InferenceServerOptions& options,
                                        InferenceHandler& handler, const bool& draining);

extern template boost::asio::awaitable<void> ServeHttp1(boost::beast::tcp_stream&,
                                                        boost::beast::flat_buffer&,
                                                        const InferenceServerOptions&,
                                                        InferenceHandler&, const bool&);
extern template boost::asio::awaitable<void> ServeHttp1(
    boost::beast::ssl_stream<boost::beast::tcp_stream>&, boost::beast::flat_buffer&,
    const InferenceServerOptions&, InferenceHandler&, const bool&);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_HTTP1_SESSION_H_
