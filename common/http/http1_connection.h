// ServeHttp1Connection: the HTTP/1.1 request loop of one HttpServer connection (plain or TLS):
// requests read with Beast's parser under the options' limits and timeouts, each answered with
// what `dispatch` returns, keep-alive until the client or an error ends it. Internal to
// http_server.cc.
//
// The two stream types are instantiated in two files (http1_connection.cc and
// http1_connection_tls.cc): each is a heavy Beast instantiation, and two files compile in
// parallel.
#ifndef SWITCHYARD_COMMON_HTTP_HTTP1_CONNECTION_H_
#define SWITCHYARD_COMMON_HTTP_HTTP1_CONNECTION_H_

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <functional>

#include "common/http/http_server.h"

namespace switchyard::common {

using Http1Dispatch = std::function<HttpResponse(
    boost::beast::http::request<boost::beast::http::string_body>&)>;

template <class Stream>
boost::asio::awaitable<void> ServeHttp1Connection(Stream& stream,
                                                  boost::beast::tcp_stream& lowest,
                                                  const HttpServerOptions& options,
                                                  const Http1Dispatch& dispatch);

extern template boost::asio::awaitable<void> ServeHttp1Connection(
    boost::beast::tcp_stream&, boost::beast::tcp_stream&, const HttpServerOptions&,
    const Http1Dispatch&);
extern template boost::asio::awaitable<void> ServeHttp1Connection(
    boost::beast::ssl_stream<boost::beast::tcp_stream>&, boost::beast::tcp_stream&,
    const HttpServerOptions&, const Http1Dispatch&);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_HTTP_HTTP1_CONNECTION_H_
