// The one JSON codec between the ProviderConfig proto and the REST (Bifrost) shape.
//
// Parsing is strict: an unknown field, a wrong type or a malformed body is an
// InvalidArgument whose message names the field ("network_config.max_retries must be an
// integer"). JSON null is treated as "absent". Error messages never echo a field's value, so
// no secret can leak through them.
//
// Printing is deterministic: object keys sorted, no whitespace. The config hash is the
// SHA-256 of `ProviderToJson(normalized, JsonView::kCanonical)` (common/provider_config.h).
// Printing does not redact: callers redact first (common/redaction.h).
//
//   ASSIGN_OR_RETURN(ProviderConfig config, ProviderFromJson(body));
//   std::string out = ProviderToJson(RedactSecrets(stored), JsonView::kResponse);
//
// Pure functions; any thread. nlohmann/json stays inside the .cc.
#ifndef SWITCHYARD_COMMON_PROVIDER_JSON_H_
#define SWITCHYARD_COMMON_PROVIDER_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "switchyard/v1/provider.pb.h"

namespace switchyard::common {

enum class JsonView {
  kResponse,   // everything, read-only fields included (name, status, config_hash, ...)
  kCanonical,  // the hashed form: without config_hash, status and provider_status
};

// Parses one provider body (POST/PUT). Accepts the name as "provider" (seed 000) or "name";
// both present and different is an error.
absl::StatusOr<switchyard::v1::ProviderConfig> ProviderFromJson(std::string_view body);

std::string ProviderToJson(const switchyard::v1::ProviderConfig& config, JsonView view);

// `{"providers":[...],"total":N}` for GET /api/providers.
// `revisions` (when given, one per config): each item's "revision", the one that last wrote it.
std::string ProviderListToJson(const std::vector<switchyard::v1::ProviderConfig>& configs,
                               const std::vector<int64_t>& revisions = {});

// Reads the "providers" object of a Bifrost-style config.json: one config per entry, named
// by its key. Other top-level sections are ignored; a missing "providers" yields none.
absl::StatusOr<std::vector<switchyard::v1::ProviderConfig>> ProvidersFromConfigFile(
    std::string_view text);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_PROVIDER_JSON_H_
