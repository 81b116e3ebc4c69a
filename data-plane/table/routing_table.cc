#include "data-plane/table/routing_table.h"

#include <cstdlib>

#include "common/status_macros.h"

#include "common/provider_config.h"
#include "common/strings.h"
#include "data-plane/upstream/provider_endpoints.h"

namespace switchyard::dp {

using common::StrAppend;
using common::StrCat;

namespace {

// What the request path needs, worked out once per table.
absl::Status Compile(const v1::ProviderConfig& config, ProviderEntry* entry) {
  const v1::NetworkConfig& network = config.network_config();
  entry->timeout = std::chrono::seconds(network.default_request_timeout_in_seconds());
  entry->limiter = std::make_shared<ProviderLimiter>(
      config.concurrency_and_buffer_size().concurrency(),
      config.concurrency_and_buffer_size().buffer_size());
  bool extra_sets_content_type = false;
  for (const auto& [header, value] : network.extra_headers()) {
    entry->extra_headers.emplace_back(header, value);
    StrAppend(&entry->static_header_lines, header, ": ", value, "\r\n");
    extra_sets_content_type |= header == "content-type";
    entry->extra_sets_authorization |= header == "authorization";
  }
  if (!extra_sets_content_type) {
    entry->static_header_lines.insert(0, "content-type: application/json\r\n");
  }
  const v1::ProxyConfig& proxy = config.proxy_config();
  entry->proxy = {proxy.type(), proxy.url(), proxy.username(), proxy.password(),
                  proxy.ca_cert_pem()};
  if (!IsOpenAiCompatible(entry->base_type)) {
    entry->unserved_reason = StrCat("the ", entry->base_type,
                                    " provider family is not supported by this data plane yet");
    return absl::OkStatus();
  }
  const std::string base_url = network.base_url().empty()
                                   ? std::string(DefaultBaseUrl(entry->base_type))
                                   : network.base_url();
  if (base_url.empty()) {
    entry->unserved_reason = StrCat("provider ", config.name(), " has no base_url");
    return absl::OkStatus();
  }
  absl::StatusOr<UpstreamEndpoint> endpoint = ParseBaseUrl(base_url);
  if (!endpoint.ok()) {
    return absl::InvalidArgumentError(
        StrCat("provider ", config.name(), ": ", endpoint.status().message()));
  }
  entry->endpoint = *std::move(endpoint);
  entry->endpoint.ca_cert_pem = network.ca_cert_pem();
  entry->endpoint.insecure_skip_verify = network.insecure_skip_verify();
  entry->endpoint.pool_key = PoolKey(entry->endpoint);
  entry->served = true;
  return absl::OkStatus();
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<std::shared_ptr<const RoutingTable>> RoutingTable::Build(
    int64_t revision, std::map<std::string, v1::ProviderConfig> configs, const EnvLookup& env) {
  auto table = std::shared_ptr<RoutingTable>(new RoutingTable());
  table->revision_ = revision;
  std::vector<std::pair<std::string, std::string>> lines;
  for (auto& [name, config] : configs) {
    if (config.name() != name) {
      return absl::InvalidArgumentError(StrCat("provider ", name, " carries the name ",
                                               config.name()));
    }
    // Re-derive the canonical form: the same rules as the control plane, so the same hash.
    absl::StatusOr<v1::ProviderConfig> canonical = common::Canonicalize(config);
    if (!canonical.ok()) {
      return absl::InvalidArgumentError(
          StrCat("provider ", name, " is invalid here: ", canonical.status().message()));
    }
    if (canonical->config_hash() != config.config_hash()) {
      return absl::InvalidArgumentError(
          StrCat("provider ", name, " has config_hash ", config.config_hash(),
                 " but its config hashes to ", canonical->config_hash()));
    }
    ProviderEntry entry;
    entry.base_type = std::string(common::BaseProviderType(*canonical));
    for (const v1::Key& key : canonical->keys()) {
      ResolvedKey resolved;
      resolved.id = key.id();
      resolved.name = key.name();
      resolved.weight = key.weight();
      resolved.models.assign(key.models().begin(), key.models().end());
      resolved.enabled = key.enabled();
      if (key.value().from_env()) {
        resolved.env_var = key.value().env_var();
        std::optional<std::string> value = env(key.value().env_var().substr(4));  // "env."
        if (value && !value->empty()) {
          resolved.secret = *std::move(value);
        } else {
          resolved.env_missing = true;
          resolved.enabled = false;
          ++table->missing_env_keys_;
        }
      } else {
        resolved.secret = key.value().value();
      }
      if (!resolved.secret.empty()) {
        resolved.authorization_line = StrCat("authorization: Bearer ", resolved.secret, "\r\n");
      }
      entry.keys.push_back(std::move(resolved));
    }
    RETURN_IF_ERROR(Compile(*canonical, &entry));
    lines.emplace_back(name, canonical->config_hash());
    entry.config = *std::move(canonical);
    table->providers_.emplace(name, std::move(entry));
  }
  table->table_hash_ = common::TableHash(std::move(lines));
  return std::shared_ptr<const RoutingTable>(std::move(table));
}

const ProviderEntry* RoutingTable::Find(std::string_view name) const {
  auto it = providers_.find(std::string(name));
  return it == providers_.end() ? nullptr : &it->second;
}

std::map<std::string, v1::ProviderConfig> RoutingTable::Configs() const {
  std::map<std::string, v1::ProviderConfig> configs;
  for (const auto& [name, entry] : providers_) configs.emplace(name, entry.config);
  return configs;
}

}  // namespace switchyard::dp
