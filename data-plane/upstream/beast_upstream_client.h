// BeastUpstreamClient: the fast path to providers reached directly. Pooled keep-alive
// HTTP/1.1 on Boost.Beast, TLS through asio::ssl (OpenSSL) honouring ca_cert_pem and
// insecure_skip_verify, with SNI and host-name verification.
//
// One per worker; every call runs on that worker's executor. Idle connections are kept per
// (scheme, host, port, TLS settings), at most `max_idle_per_host` each, and closed after
// `idle_timeout` unused (below common provider keep-alives, so we close first): lazily when a
// pool is used, and by a sweep every idle_timeout / 2 that also drops empty pools. A request
// that fails on a reused connection before any response byte arrived is retried once on a
// fresh one (the server may have closed it while idle), whatever max_retries says; anything
// else is reported to the caller, whose retry policy decides.
#ifndef SWITCHYARD_DATA_PLANE_UPSTREAM_BEAST_UPSTREAM_CLIENT_H_
#define SWITCHYARD_DATA_PLANE_UPSTREAM_BEAST_UPSTREAM_CLIENT_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

class BeastUpstreamClient : public UpstreamClient {
 public:
  explicit BeastUpstreamClient(boost::asio::any_io_executor executor,
                               size_t max_idle_per_host = 512,
                               std::chrono::milliseconds idle_timeout = std::chrono::seconds(30));
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
  // Closes connections idle past the timeout; re-arms itself while any pool is non-empty.
  void Sweep();
  void ArmSweep();
  // Sends `message` and reads the response head (or, with read_all, the whole response) into
  // a fresh `parser`, retrying once on a fresh connection when a reused one turns out stale.
  template <class Parser>
  boost::asio::awaitable<absl::StatusOr<std::unique_ptr<Connection>>> Exchange(
      const UpstreamRequest& request, const std::string& message, Clock::time_point deadline,
      std::optional<Parser>& parser, bool read_all);

  boost::asio::any_io_executor executor_;
  const size_t max_idle_per_host_;
  const std::chrono::milliseconds idle_timeout_;
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
  bool sweeping_ = false;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
  std::unique_ptr<TlsContexts> tls_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_UPSTREAM_BEAST_UPSTREAM_CLIENT_H_
