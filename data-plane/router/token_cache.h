// TokenCache: short-lived access tokens for keys with an OAuth credential (Vertex AI's service
// accounts, providers/vertex/service_account.h), shared by every worker of a data plane.
//
//   - A request gets the cached token without waiting while it is valid.
//   - Once the token is within its refresh margin of expiry (a quarter of its lifetime, at
//     most 5 minutes), the next request starts one exchange in the background, on its own
//     worker, and is still served with the cached token: refreshes stay off the request path.
//   - Only a request that finds no usable token (the first, or after the token ran out: it is
//     not used in the last tenth of its lifetime, at most 30 s) waits, for the one exchange in
//     flight, shared by every request that waits.
//   - Failed exchanges are not cached: the next request tries again.
//   - A token an upstream refused (401) is dropped on the router's word (Invalidate), so the
//     requests after it wait for a fresh one instead of failing until it expires.
//
// Tokens are cached under the credential's identity, so routing-table rebuilds keep them.
// Errors: Unauthenticated when the token endpoint refused the credential (4xx), Unavailable
// when it could not be reached or answered nonsense, DeadlineExceeded on timeout; messages
// name the token endpoint and its answer, never the assertion or a token. Thread-safe.
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_TOKEN_CACHE_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_TOKEN_CACHE_H_

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

struct OAuthCredential;

class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;

  // The access token for `credential`. An exchange this call starts goes through `client` on
  // the caller's executor and takes at most `timeout`.
  boost::asio::awaitable<absl::StatusOr<std::string>> Token(
      std::shared_ptr<const OAuthCredential> credential, UpstreamClient& client,
      std::chrono::milliseconds timeout);

  // Forgets `token` for `credential` (an upstream answered 401 to it: revoked or rotated
  // before its expiry), unless a newer token already replaced it; the next Token() exchanges.
  void Invalidate(const OAuthCredential& credential, std::string_view token);

  // Exchanges started so far (metrics, tests).
  int64_t exchanges() const { return exchanges_.load(std::memory_order_relaxed); }

 private:
  using Waiter = std::function<void(absl::StatusOr<std::string>)>;
  struct Entry {
    std::string token;
    Clock::time_point refresh_at;    // from here, a request starts a background refresh
    Clock::time_point usable_until;  // from here, requests wait for a new token
    bool exchanging = false;
    std::vector<Waiter> waiters;
  };

  // Runs one exchange and hands its result to the entry and its waiters.
  boost::asio::awaitable<void> Exchange(std::shared_ptr<Entry> entry,
                                        std::shared_ptr<const OAuthCredential> credential,
                                        UpstreamClient& client,
                                        std::chrono::milliseconds timeout);

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // by OAuthCredential::cache_key
  std::atomic<int64_t> exchanges_{0};
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_TOKEN_CACHE_H_
