// CurlUpstreamClient: upstream calls through libcurl's multi interface, for what needs its
// breadth: proxy_config (http CONNECT tunnels, socks5 with username and password, the
// environment's proxy variables).
//
// One per worker, driven by that worker's event loop: curl_multi_socket_action is called when
// Asio sees a socket curl watches become ready, or when curl's timer fires. Easy handles are
// reused. Streaming delivers each piece of body as curl receives it; a slow client pauses the
// transfer instead of buffering without bound.
#ifndef SWITCHYARD_DATA_PLANE_UPSTREAM_CURL_UPSTREAM_CLIENT_H_
#define SWITCHYARD_DATA_PLANE_UPSTREAM_CURL_UPSTREAM_CLIENT_H_

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

class CurlUpstreamClient : public UpstreamClient {
 public:
  explicit CurlUpstreamClient(boost::asio::any_io_executor executor);
  ~CurlUpstreamClient() override;

  boost::asio::awaitable<absl::StatusOr<UpstreamResponse>> Send(
      const UpstreamRequest& request) override;
  boost::asio::awaitable<absl::Status> Stream(const UpstreamRequest& request,
                                              UpstreamSink& sink) override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_UPSTREAM_CURL_UPSTREAM_CLIENT_H_
