// RoutingTable: the data plane's immutable view of every provider at one config revision.
//
// Built on the config thread, then published as shared_ptr<const RoutingTable>; request
// threads read it without locks and a request keeps the table it started with.
//
// Each provider is compiled into a ProviderEntry that points at its family's ProviderAdapter.
// Entries are shared between successive tables: applying a delta rebuilds only the changed
// providers (O(changed) compiles), and unchanged providers keep their entry, so their
// concurrency counters and in-flight requests carry over.
//
// A provider that cannot be compiled here (its config does not re-derive its hash, its URL
// does not parse, ...) is isolated, not fatal: its entry is kBroken and served as a 503
// naming the reason, and every other provider is served. Families this data plane has no
// adapter for are kUnsupported (501).
//
// Key values "env.NAME" are resolved from the data plane's own environment through a
// KeyEnvironment; a missing or refused variable disables that key (ResolvedKey::env_missing)
// instead of leaving it empty; /config and the metrics show it.
#ifndef SWITCHYARD_DATA_PLANE_TABLE_ROUTING_TABLE_H_
#define SWITCHYARD_DATA_PLANE_TABLE_ROUTING_TABLE_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "data-plane/providers/provider_adapter.h"
#include "data-plane/router/provider_limiter.h"
#include "data-plane/table/governance_table.h"
#include "data-plane/upstream/upstream_client.h"
#include "switchyard/v1/provider.pb.h"

namespace switchyard::dp {

// Looks an environment variable up; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Where key values "env.NAME" come from, and which names a key may read. Names starting with
// SWITCHYARD_ are the data plane's own (its control-plane token among them) and never
// resolve; with allow prefixes, only names starting with one of them do.
class KeyEnvironment {
 public:
  enum class Result { kFound, kMissing, kRefused };

  explicit KeyEnvironment(EnvLookup lookup, std::vector<std::string> allow_prefixes = {})
      : lookup_(std::move(lookup)), allow_prefixes_(std::move(allow_prefixes)) {}
  // The process's own environment.
  static KeyEnvironment Process(std::vector<std::string> allow_prefixes = {});

  Result Resolve(const std::string& name, std::string* value) const;

 private:
  EnvLookup lookup_;
  std::vector<std::string> allow_prefixes_;
};

// A service account (or other credential) exchanged at a token endpoint for access tokens
// (providers/vertex/service_account.h).
struct OAuthCredential;

struct ResolvedKey {
  std::string id;
  std::string name;
  std::string secret;         // the resolved value; never logged or shown
  std::string env_var;        // "env.NAME" when the value comes from the environment
  bool env_missing = false;   // env_var is unset or refused here: the key is disabled
  bool env_refused = false;   // ... because this data plane may not read that variable
  bool enabled = false;       // configured enabled and usable
  double weight = 0;
  // Compiled by the adapter: e.g. {"authorization", "Bearer …"}, and the same as lines.
  HeaderList auth_headers;
  std::string auth_header_lines;
  std::vector<std::string> models;  // ["*"] = every model
  // The EnvValue fields of the key's family config (vertex_key_config, bedrock_key_config,
  // ...), resolved like `secret`: {"region", "us-central1"}, ...; set fields only. And its
  // deployments (model -> deployment).
  std::vector<std::pair<std::string, std::string>> config_fields;
  std::map<std::string, std::string> deployments;
  std::string_view ConfigField(std::string_view name) const;  // empty when unset
  // Compiled by adapters whose keys carry more than header lines: the key's own endpoint
  // (Vertex's region), the path prefix it implies, and an OAuth credential the router
  // exchanges for a short-lived access token before each attempt (router/token_cache.h).
  std::optional<UpstreamEndpoint> endpoint;
  std::string path_prefix;
  std::shared_ptr<const OAuthCredential> oauth;
};

struct ProviderEntry {
  enum class State { kServed, kUnsupported, kBroken };

  switchyard::v1::ProviderConfig config;  // canonical, as distributed
  std::string base_type;                  // the provider family it speaks
  const ProviderAdapter* adapter = nullptr;  // null unless kServed
  std::vector<ResolvedKey> keys;
  int missing_env_keys = 0;

  State state = State::kBroken;
  std::string unserved_reason;  // why not, unless kServed

  // Compiled for the request path.
  UpstreamEndpoint endpoint;  // base URL (configured or the family's default) and TLS
  ProxySettings proxy;
  HeaderList extra_headers;  // lower-case names
  // content-type (unless extra_headers set it) and the extra headers, as "name: value\r\n".
  std::string static_header_lines;
  std::vector<std::string> extra_header_names;  // lower-case, for adapters that must not clash
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds stream_idle_timeout{60000};
  std::shared_ptr<ProviderLimiter> limiter;
  bool key_less = false;

  bool HasExtraHeader(std::string_view lower_case_name) const;
  // Whether allowed_requests lets this provider serve `request_type` (seed 003: omitted
  // allowed_requests allow everything; an omitted flag in a present one is false).
  bool Allows(std::string_view request_type) const;
};

// The providers of a table, sorted by name, in one flat array: copying it for the next table
// is one allocation and a pointer copy per provider (a node-based map costs an allocation
// each), and lookups are a binary search. Each provider's distributed config hash and the
// table-wide counts are kept beside the array, so hashing a 10,000-provider table never
// touches the entries themselves (a cache miss each).
class ProviderMap {
 public:
  // A config hash as distributed (64 hex characters; longer ones are cut, and then cannot
  // match the control plane's table hash, which resynchronizes).
  struct Hash {
    std::array<char, 64> text{};
    uint8_t length = 0;
    std::string_view view() const { return {text.data(), length}; }
  };

  using value_type = std::pair<std::string, std::shared_ptr<const ProviderEntry>>;
  using const_iterator = std::vector<value_type>::const_iterator;

  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  size_t size() const { return entries_.size(); }
  const_iterator find(std::string_view name) const;

  // Adds or replaces one provider, keeping the order.
  void Set(std::string name, std::shared_ptr<const ProviderEntry> entry);
  void Erase(std::string_view name);
  // Many at once (a build from nothing): later duplicates win.
  void Assign(std::vector<value_type> entries);

  // The config hash of the provider at position i (same order as begin()..end()).
  std::string_view hash(size_t i) const { return hashes_[i].view(); }
  int missing_env_keys() const { return missing_env_keys_; }
  int broken() const { return broken_; }

 private:
  static Hash HashOf(const ProviderEntry& entry);
  void Count(const ProviderEntry& entry, int sign);
  std::vector<value_type>::iterator LowerBound(std::string_view name);

  std::vector<value_type> entries_;
  std::vector<Hash> hashes_;  // parallel to entries_
  int missing_env_keys_ = 0;
  int broken_ = 0;
};

class RoutingTable {
 public:
  // A table from nothing: `configs` carry their config_hash as distributed.
  // `governance` (may be null: none) is part of the table and of its hash.
  static std::shared_ptr<const RoutingTable> Build(
      int64_t revision, const std::vector<switchyard::v1::ProviderConfig>& configs,
      const KeyEnvironment& env, std::shared_ptr<const GovernanceTable> governance = nullptr);
  // The next table from `base`: `upserts` replace or add providers, `deletes` remove them;
  // every other entry is shared with `base`.
  static std::shared_ptr<const RoutingTable> Apply(
      const RoutingTable& base, int64_t revision,
      const std::vector<switchyard::v1::ProviderConfig>& upserts,
      const std::vector<std::string>& deletes, const KeyEnvironment& env,
      std::shared_ptr<const GovernanceTable> governance = nullptr);

  // A table of entries compiled elsewhere (router tests with a fake adapter, tools).
  static std::shared_ptr<const RoutingTable> FromEntries(int64_t revision, ProviderMap entries);

  int64_t revision() const { return revision_; }
  // SHA-256 over the sorted "name:config_hash" lines of the configs as distributed (also of
  // isolated providers), combined with the governance objects' hash (common/governance.h
  // CombineTableHash), so that it matches the control plane's.
  const std::string& table_hash() const { return table_hash_; }
  const ProviderMap& providers() const { return providers_; }
  const ProviderEntry* Find(std::string_view name) const;
  // The governance objects (null when the table has none).
  const GovernanceTable* governance() const { return governance_.get(); }
  const std::shared_ptr<const GovernanceTable>& shared_governance() const { return governance_; }

  // Keys disabled because their environment variable is missing or refused.
  int missing_env_keys() const { return missing_env_keys_; }
  // Providers isolated because they did not compile here.
  int broken_providers() const { return broken_providers_; }

 private:
  RoutingTable() = default;
  void Finish();

  int64_t revision_ = 0;
  std::string table_hash_;
  ProviderMap providers_;
  std::shared_ptr<const GovernanceTable> governance_;
  int missing_env_keys_ = 0;
  int broken_providers_ = 0;
};

// One provider's entry, compiled on its own (what Build and Apply do per provider).
std::shared_ptr<const ProviderEntry> CompileProvider(const switchyard::v1::ProviderConfig& config,
                                                     const KeyEnvironment& env);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_TABLE_ROUTING_TABLE_H_
