// ServeHttp1Connection for cleartext connections (TLS: http1_connection_tls.cc).
#include "common/http/http1_connection_impl.h"

namespace switchyard::common {

template boost::asio::awaitable<void> ServeHttp1Connection(boost::beast::tcp_stream&,
                                                           boost::beast::tcp_stream&,
                                                           const HttpServerOptions&,
                                                           const Http1Dispatch&);

}  // namespace switchyard::common
