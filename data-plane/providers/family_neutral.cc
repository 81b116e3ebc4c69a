#include "data-plane/providers/family_neutral.h"

#include <set>

#include "common/strings.h"
#include "data-plane/router/retry_policy.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {

absl::Status CompileEndpoint(const v1::ProviderConfig& config, std::string_view default_base_url,
                             ProviderEntry* entry) {
  const v1::NetworkConfig& network = config.network_config();
  const std::string base_url =
      network.base_url().empty() ? std::string(default_base_url) : network.base_url();
  if (base_url.empty()) return absl::InvalidArgumentError("it has no base_url");
  absl::StatusOr<UpstreamEndpoint> endpoint = ParseBaseUrl(base_url);
  if (!endpoint.ok()) {
    return absl::InvalidArgumentError(
        common::StrCat("network_config.base_url ", endpoint.status().message()));
  }
  entry->endpoint = *std::move(endpoint);
  entry->endpoint.ca_cert_pem = network.ca_cert_pem();
  entry->endpoint.insecure_skip_verify = network.insecure_skip_verify();
  entry->endpoint.pool_key = PoolKey(entry->endpoint);
  return absl::OkStatus();
}

UpstreamFailure UpstreamFailureFor(int status, std::string_view retry_after) {
  UpstreamFailure failure;
  failure.retryable = IsRetryableStatus(status);
  failure.retry_after = ParseRetryAfter(retry_after);
  failure.error.http_status = status;
  failure.error.is_bifrost_error = false;
  failure.error.type = "upstream_error";
  failure.error.code = common::StrCat("upstream_", status);
  return failure;
}

void FillMissingMessage(int status, std::string_view body, common::ApiError* error) {
  if (!error->message.empty()) return;
  error->message = body.empty() ? common::StrCat("provider answered ", status)
                                : std::string(body.substr(0, 512));
}

std::vector<std::string> ConfiguredModels(const ProviderEntry& entry) {
  std::set<std::string> models;
  for (const ResolvedKey& key : entry.keys) {
    if (!key.enabled) continue;
    for (const std::string& model : key.models) {
      if (model != "*") models.insert(model);
    }
  }
  return {models.begin(), models.end()};
}

}  // namespace switchyard::dp
