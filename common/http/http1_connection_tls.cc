// ServeHttp1Connection for TLS connections (cleartext: http1_connection.cc).
#include "common/http/http1_connection_impl.h"

namespace switchyard::common {

template boost::asio::awaitable<void> ServeHttp1Connection(
    boost::beast::ssl_stream<boost::beast::tcp_stream>&, boost::beast::tcp_stream&,
    const HttpServerOptions&, const Http1Dispatch&);

}  // namespace switchyard::common
