// BeastUpstreamClient: the fast path to providers reached directly. Pooled keep-alive
// HTTP/1.1 on Boost.Beast, TLS through asio::ssl (OpenSSL) honouring ca_cert_pem and
// insecure_skip_verify, with SNI and host-name verification.
//
// One per worker; every call runs on that worker's executor. Idle connections are kept per
// (scheme, host, port, TLS settings). A request that fails on a reused connection before any
// response byte arrived is retried once on a fresh one (the server may have closed it while
// idle); anything else is reported to the caller, whose retry policy decides.
#ifndef SWITCHYARD_DATA_PLANE_UPSTREAM_BEAST_UPSTREAM_CLIENT_H_
#define SWITCHYARD_DATA_PLANE_UPSTREAM_BEAST_UPSTREAM_CLIENT_H_

#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

class BeastUpstreamClient : public UpstreamClient {
 public:
  explicit BeastUpstreamClient(boost::asio::any_io_executor executor, size_t max_idle_per_host = 512);
  ~BeastUpstreamClient() override;

  boost::asio::awaitable<absl::StatusOr<UpstreamResponse>> Send(
      const UpstreamRequest& request) override;
  boost::asio::awaitable<absl::Status> Stream(const UpstreamRequest& request,
                                              UpstreamSink& sink) override;

  struct Connection;
  struct TlsContexts;

 private:
  using Clock = std::chrono::steady_clock;
  boost::asio::awaitable<absl::StatusOr<std::unique_ptr<Connection>>> Acquire(
      const UpstreamEndpoint& endpoint, Clock::time_point deadline, bool* reused);
  void Release(std::unique_ptr<Connection> connection);
  // Sends `message` and reads the response head (or, with read_all, the whole response) into
  // a fresh `parser`, retrying once on a fresh connection when a reused one turns out stale.
  template <class Parser>
  boost::asio::awaitable<absl::StatusOr<std::unique_ptr<Connection>>> Exchange(
      const UpstreamRequest& request, const std::string& message, Clock::time_point deadline,
      std::optional<Parser>& parser, bool read_all);

  boost::asio::any_io_executor executor_;
  const size_t max_idle_per_host_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
  std::unique_ptr<TlsContexts> tls_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_UPSTREAM_BEAST_UPSTREAM_CLIENT_H_
