// RoutingTable: the data plane's immutable view of every provider at one config revision.
//
// Built and validated on the config thread, then published as shared_ptr<const RoutingTable>;
// request threads read it without locks and a request keeps the table it started with.
// Building re-derives each config's canonical form and hash (common/provider_config.h): a
// config whose hash does not verify fails the build, and a table that fails to build is never
// published (the update is NACKed and the last good table stays).
//
// Key values "env.NAME" are resolved here from the data plane's own environment. A missing
// variable disables that key (ResolvedKey::env_missing) instead of leaving it empty; /config
// and the metrics show it.
#ifndef SWITCHYARD_DATA_PLANE_TABLE_ROUTING_TABLE_H_
#define SWITCHYARD_DATA_PLANE_TABLE_ROUTING_TABLE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "data-plane/router/provider_limiter.h"
#include "data-plane/upstream/upstream_client.h"
#include "switchyard/v1/provider.pb.h"

namespace switchyard::dp {

// Looks an environment variable up; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnvironment();

struct ResolvedKey {
  std::string id;
  std::string name;
  std::string secret;         // the resolved value; never logged or shown
  std::string env_var;        // "env.NAME" when the value comes from the environment
  bool env_missing = false;   // env_var is not set here: the key is disabled
  bool enabled = false;       // configured enabled and usable
  double weight = 0;
  std::string authorization_line;  // "authorization: Bearer <secret>\r\n"
  std::vector<std::string> models;  // ["*"] = every model
};

struct ProviderEntry {
  switchyard::v1::ProviderConfig config;  // canonical, as distributed
  std::string base_type;                  // the provider family it speaks
  std::vector<ResolvedKey> keys;

  // Compiled for the request path.
  bool served = false;         // an OpenAI-compatible family this data plane can reach
  std::string unserved_reason;  // why not, when !served
  UpstreamEndpoint endpoint;   // base URL (configured or the family's default) and TLS
  ProxySettings proxy;
  HeaderList extra_headers;    // lower-case names
  // Request headers compiled once: content-type (unless extra_headers set it) and the
  // extra headers, as "name: value\r\n" lines.
  std::string static_header_lines;
  bool extra_sets_authorization = false;  // then the key's authorization line is not sent
  std::chrono::milliseconds timeout{30000};
  std::shared_ptr<ProviderLimiter> limiter;  // fresh per table
};

class RoutingTable {
 public:
  // `configs` are keyed by provider name and carry their config_hash.
  static absl::StatusOr<std::shared_ptr<const RoutingTable>> Build(
      int64_t revision, std::map<std::string, switchyard::v1::ProviderConfig> configs,
      const EnvLookup& env);

  int64_t revision() const { return revision_; }
  const std::string& table_hash() const { return table_hash_; }
  const std::map<std::string, ProviderEntry>& providers() const { return providers_; }
  const ProviderEntry* Find(std::string_view name) const;

  // The configs this table was built from (for the next delta and the disk cache).
  std::map<std::string, switchyard::v1::ProviderConfig> Configs() const;

  // Keys disabled because their environment variable is missing.
  int missing_env_keys() const { return missing_env_keys_; }

 private:
  RoutingTable() = default;
  int64_t revision_ = 0;
  std::string table_hash_;
  std::map<std::string, ProviderEntry> providers_;
  int missing_env_keys_ = 0;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_TABLE_ROUTING_TABLE_H_
