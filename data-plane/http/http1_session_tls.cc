// ServeHttp1 for TLS connections (the cleartext one is in http1_session.cc).
#include "data-plane/http/http1_session_impl.h"

namespace switchyard::dp {

template boost::asio::awaitable<void> ServeHttp1(
    boost::beast::ssl_stream<boost::beast::tcp_stream>&, boost::beast::flat_buffer&,
    const InferenceServerOptions&, InferenceHandler&, const bool&);

}  // namespace switchyard::dp
