// Router: the attempt pipeline of one inference request, on one worker.
//
//   resolve the model through its route (seed 004) or as "provider/model", then the route's
//   failovers and each fallback (at most kMaxFallbacks) -> entry state
//   (unsupported 501, isolated 503) -> allowed_requests -> weighted key choice -> the
//   provider's adapter builds the upstream request (after the key's access token, for keys
//   with an OAuth credential, from the shared token cache) -> limiter slot -> upstream call ->
//   retry with backoff (slot released while waiting) -> next candidate
//
// One overall deadline bounds the whole request up to the response head: limiter waits,
// attempts, backoff waits and fallbacks. Each attempt is further bounded by its provider's
// request timeout; a streamed body by the provider's stream idle timeout. Errors are answered
// in Bifrost's envelope; a stream that fails after its head ends with an SSE error event.
//
// The router knows no wire format: adapters (providers/) translate, upstream clients
// (upstream/) move bytes. One per worker; runs only on that worker's event loop.
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_ROUTER_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_ROUTER_H_

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <random>
#include <string_view>

#include "common/errors.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/router/request_metrics.h"
#include "data-plane/router/response_writer.h"
#include "data-plane/router/model_catalog.h"
#include "data-plane/router/token_cache.h"
#include "data-plane/table/routing_table.h"
#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

inline constexpr size_t kMaxFallbacks = 10;

struct RouterOptions {
  // The overall deadline of one request, up to its response head.
  std::chrono::milliseconds request_deadline{300000};
};

class GovernanceCounting;  // router/governance.h

class Router {
 public:
  // `direct` serves providers reached directly; `proxied` those with a proxy_config.
  // `metrics` is this worker's own; `tokens` is shared by every worker (null: keys with an
  // OAuth credential cannot be served).
  // `counting` (null: the local policy of router/governance.h) counts governed requests.
  Router(UpstreamClient* direct, UpstreamClient* proxied, uint64_t seed, RouterOptions options,
         RequestMetrics* metrics, TokenCache* tokens = nullptr, ModelCatalog* catalog = nullptr,
         GovernanceCounting* counting = nullptr)
      : direct_(direct),
        proxied_(proxied),
        random_(seed),
        options_(options),
        metrics_(metrics),
        tokens_(tokens),
        catalog_(catalog),
        counting_(counting) {}

  // Answers `request` through `writer`; never throws.
  boost::asio::awaitable<void> Serve(const RoutingTable& table, const InferenceRequest& request,
                                     ResponseWriter& writer);

  // GET /v1/models (and the native routes' lists): the models of every served provider of
  // the table (model_catalog.h; without a catalog, the configured ones only), in the client's
  // format and, for surfaces that page, the page `query` asks for. With a virtual key, only
  // the models its provider_configs allow.
  boost::asio::awaitable<void> ServeModels(const RoutingTable& table, ApiSurface surface,
                                           std::string_view query, ResponseWriter& writer,
                                           const CompiledKey* key = nullptr);

 private:
  using Clock = std::chrono::steady_clock;
  struct Candidate;
  // A candidate's "provider/model" and the route it came through (null: none).
  struct Target {
    std::string_view name;
    const CompiledRoute* route = nullptr;
  };
  // `provider_level`: set to the governed candidate's provider level (to charge).
  boost::asio::awaitable<bool> TryCandidate(const RoutingTable& table,
                                            const InferenceRequest& request,
                                            Target candidate, Clock::time_point deadline,
                                            ResponseWriter& writer, common::ApiError* error,
                                            const GovernanceLevel** provider_level);
  // The candidate's upstream request, built afresh from its target (again after a new token).
  absl::Status BuildUpstream(const InferenceRequest& request, Candidate& candidate);
  // After a 401 to the candidate's cached token: drops it, waits for a fresh one (one exchange
  // shared by every request that waits) and rebuilds the upstream request with it.
  boost::asio::awaitable<absl::Status> Reauthenticate(const InferenceRequest& request,
                                                      Candidate& candidate,
                                                      std::chrono::milliseconds timeout);
  boost::asio::awaitable<bool> Attempts(const InferenceRequest& request, Candidate& candidate,
                                        Clock::time_point deadline, ResponseWriter& writer,
                                        common::ApiError* error);

  UpstreamClient* const direct_;
  UpstreamClient* const proxied_;
  std::mt19937_64 random_;
  const RouterOptions options_;
  RequestMetrics* const metrics_;
  TokenCache* const tokens_;
  ModelCatalog* const catalog_;
  GovernanceCounting* const counting_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_ROUTER_H_
