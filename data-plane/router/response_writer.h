// ResponseWriter: where the router writes a client's answer. http/ implements it per
// connection (HTTP/1.1) or per stream (HTTP/2). Every call returns false once the client is
// gone; after that the router stops.
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_RESPONSE_WRITER_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_RESPONSE_WRITER_H_

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "common/errors.h"
#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

// The head of an error answer: JSON, and Retry-After when the error carries one.
inline HeaderList ErrorHeaders(const common::ApiError& error) {
  HeaderList headers;
  headers.emplace_back("Content-Type", "application/json");
  if (error.retry_after_s > 0) {
    headers.emplace_back("Retry-After", std::to_string(error.retry_after_s));
  }
  return headers;
}

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // A complete response.
  virtual boost::asio::awaitable<bool> Send(int status, HeaderList headers, std::string body) = 0;
  // A streamed response: Begin once (with the body bytes that already arrived, if any: they
  // leave with the head), Write per piece (sent at once, never held back), End (with the
  // body's last bytes, if any: they leave with the end).
  virtual boost::asio::awaitable<bool> Begin(int status, HeaderList headers,
                                             std::string_view first_data) = 0;
  virtual boost::asio::awaitable<bool> Write(std::string_view data) = 0;
  virtual boost::asio::awaitable<bool> End(std::string_view last_data) = 0;
  // A streamed body that cannot be completed (a download whose provider broke off): the
  // client must see it fail, not end early. HTTP/1.1 closes the connection without the last
  // chunk; HTTP/2 resets the stream.
  virtual void Abort() {}
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_RESPONSE_WRITER_H_
