// GovernanceTable: the data plane's immutable view of the governance objects (virtual keys,
// teams, customers, prices) at one config revision; part of the RoutingTable.
//
// Built on the config thread whenever an update changes a governance object (O(objects); a
// fleet has far fewer keys than requests), then read by every worker without locks. A key
// is found by the SHA-256 of the value a client presents: one hash, one lookup, and a
// constant-time compare of the digests (the value itself is never held here).
//
// Each key, team, customer and key-provider pair with a limit is compiled into a Level that
// points at its counters. Counters are not configuration: they live in a UsageCounters
// registry owned by the data plane and are shared by every table that names the same object,
// so a config change never resets a window.
#ifndef SWITCHYARD_DATA_PLANE_TABLE_GOVERNANCE_TABLE_H_
#define SWITCHYARD_DATA_PLANE_TABLE_GOVERNANCE_TABLE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/sha256.h"
#include "switchyard/v1/governance.pb.h"

namespace switchyard::dp {

// One fixed window (epoch-aligned) of a rate limit: its start and the count in it.
struct WindowCounter {
  std::atomic<int64_t> start{0};  // seconds since the epoch
  std::atomic<int64_t> count{0};
};

// What one governance level has used, on this data plane: its windows and what it has not
// yet reported to the control plane.
struct LevelCounters {
  WindowCounter requests;
  WindowCounter tokens;
  std::atomic<int64_t> unreported_spend_nanodollars{0};
  std::atomic<int64_t> unreported_requests{0};
  std::atomic<int64_t> unreported_tokens{0};
  // Totals since this data plane started (metrics).
  std::atomic<int64_t> total_requests{0};
  std::atomic<int64_t> total_tokens{0};
  std::atomic<int64_t> total_spend_nanodollars{0};
  std::atomic<int64_t> refused_rate_limit{0};
  std::atomic<int64_t> refused_budget{0};
  std::atomic<int64_t> refused_model{0};
  std::atomic<int64_t> refused_inactive{0};
  std::atomic<int64_t> unpriced_requests{0};  // answered by a model without a price
};

// Counters by "kind/id", created on first sight and kept for the data plane's lifetime
// (a deleted object's counters are dropped at the next Prune()).
class UsageCounters {
 public:
  std::shared_ptr<LevelCounters> For(const std::string& key);
  // Every registered level (for reports and metrics).
  std::vector<std::pair<std::string, std::shared_ptr<LevelCounters>>> All() const;
  // Drops levels no table holds any more.
  void Prune();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<LevelCounters>> levels_ ABSL_GUARDED_BY(mu_);
};

struct WindowLimit {
  int64_t max = 0;
  int64_t length_s = 0;
};

// A key, team, customer or key-provider pair and its limits.
struct GovernanceLevel {
  std::string kind;  // "virtual_key", "team", "customer", "virtual_key_provider"
  std::string id;    // for virtual_key_provider: "<key id>/<provider>"
  std::string name;  // what errors and metrics name
  std::optional<WindowLimit> requests;
  std::optional<WindowLimit> tokens;
  bool has_budget = false;
  double budget_max = 0;
  std::string budget_reset;         // "1M", as configured
  std::string exhausted_until;      // RFC 3339; empty unless the control plane marked it
  int64_t exhausted_until_s = 0;    // the same, seconds since the epoch
  std::shared_ptr<LevelCounters> counters;
};

struct ProviderGrant {
  std::string provider;
  std::vector<std::string> models;  // sorted; empty = every model
  std::shared_ptr<const GovernanceLevel> level;  // null unless it has limits or a budget
  bool Allows(std::string_view model) const;
};

struct CompiledKey {
  std::string id;
  std::string name;
  common::Sha256Digest digest{};
  bool active = true;
  std::vector<ProviderGrant> providers;  // sorted by provider; empty = every provider
  // The levels a request by this key counts against, key first: the key, its team, the
  // team's customer or the key's own customer (each present only once).
  std::vector<std::shared_ptr<const GovernanceLevel>> levels;
  // The key's own counters (shared with its level, when it has one): metrics.
  std::shared_ptr<LevelCounters> counters;

  const ProviderGrant* Grant(std::string_view provider) const;  // null: not allowed
  bool AllowsAllProviders() const { return providers.empty(); }
};

// A model route (seed 004): what an alias reaches, the timeouts over its provider's, and the
// routes tried next on a retryable failure.
struct CompiledRoute {
  std::string alias;
  std::string target;  // "provider/model"
  std::optional<std::chrono::milliseconds> request_timeout;
  std::optional<std::chrono::milliseconds> stream_idle_timeout;
  std::vector<const CompiledRoute*> failovers;  // into the same table
};

struct ModelPrice {
  double input_per_million = 0;
  double output_per_million = 0;
  double cached_input_per_million = 0;
};

class GovernanceTable {
 public:
  using Objects = std::map<std::pair<std::string, std::string>, switchyard::v1::GovernanceObject>;

  // `objects` by (kind, id), as distributed; `counters` gives each level its counters.
  static std::shared_ptr<const GovernanceTable> Build(Objects objects, UsageCounters* counters);

  // The key whose value hashes to `digest`, or null.
  const CompiledKey* FindKey(const common::Sha256Digest& digest) const;
  // The route whose alias is `alias`, or null.
  const CompiledRoute* FindRoute(std::string_view alias) const;
  // The price of "provider/model", or null.
  const ModelPrice* FindPrice(std::string_view provider, std::string_view model) const;

  const Objects& objects() const { return objects_; }
  // TableHash over "kind/id:config_hash" lines; "" when there is no object.
  const std::string& hash() const { return hash_; }
  size_t key_count() const { return keys_.size(); }
  // Every key, in no particular order (metrics).
  template <typename Fn>
  void ForEachKey(Fn&& fn) const {
    for (const auto& [digest, key] : keys_) fn(*key);
  }

 private:
  GovernanceTable() = default;
  GovernanceTable(const GovernanceTable&) = delete;  // routes point into routes_
  GovernanceTable& operator=(const GovernanceTable&) = delete;
  struct DigestHash {
    size_t operator()(const common::Sha256Digest& digest) const;
  };
  Objects objects_;
  std::string hash_;
  std::unordered_map<common::Sha256Digest, std::shared_ptr<const CompiledKey>, DigestHash> keys_;
  std::map<std::string, ModelPrice, std::less<>> prices_;  // "provider/model"
  std::map<std::string, CompiledRoute, std::less<>> routes_;  // by alias; nodes never move
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_TABLE_GOVERNANCE_TABLE_H_
