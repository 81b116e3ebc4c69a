// ModelCatalog: what GET /v1/models (and the native routes' model lists) answer, built as
// Bifrost's list_models does: each served provider's own list (ProviderAdapter::
// BuildModelsRequest, every page), kept to the models its keys' filters allow, plus the models
// its configuration names (key filters, deployments); providers whose allowed_requests refuse
// list_models are left out. One catalog per data plane, shared by every worker.
//
//   - Lists are cached per provider and config hash; a list older than `refresh` is fetched
//     again in the background while the cached one is served.
//   - A provider with no list yet (just configured, or every fetch so far failed) is fetched
//     when a listing asks for it; the listing waits at most `wait` for such fetches, all in
//     parallel, and then answers with what it has: one slow provider delays a listing by at
//     most `wait`, never by its own latency.
//   - A failed fetch keeps the last good list (served while the upstream is down) and is
//     tried again after `retry` (or `refresh`, if shorter).
//   - One fetch at a time per provider, whoever asks.
//
// Thread-safe. Fetches run on the executor of the listing that started them, with that
// worker's upstream client (which, like the catalog, outlives every fetch).
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_MODEL_CATALOG_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_MODEL_CATALOG_H_

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "data-plane/table/routing_table.h"
#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

struct ModelCatalogOptions {
  std::chrono::milliseconds wait{2000};
  std::chrono::milliseconds refresh{std::chrono::minutes(5)};
  std::chrono::milliseconds retry{std::chrono::seconds(30)};
};

// One listed model: "provider/model" and the provider (its owner).
struct ListedModel {
  std::string id;
  std::string provider;
};

class ModelCatalog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ModelCatalog(ModelCatalogOptions options = {}) : options_(options) {}

  // The models of `table`, sorted by id. `direct` and `proxied` reach providers without and
  // with a proxy_config.
  boost::asio::awaitable<std::vector<ListedModel>> Models(const RoutingTable& table,
                                                          UpstreamClient& direct,
                                                          UpstreamClient& proxied);

  // Upstream list fetches started so far (tests, metrics).
  int64_t fetches() const { return fetches_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string config_hash;
    bool listed = false;  // `models` holds a list the provider gave
    std::vector<std::string> models;
    bool fetching = false;
    Clock::time_point next_fetch;  // from here, a listing starts a fetch
  };

  // Fetches every page of one provider's list into `entry`.
  boost::asio::awaitable<void> Fetch(std::shared_ptr<Entry> entry,
                                     std::shared_ptr<const ProviderEntry> provider,
                                     std::string name, UpstreamClient& client);

  const ModelCatalogOptions options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;  // by provider name
  std::atomic<int64_t> fetches_{0};
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_MODEL_CATALOG_H_
