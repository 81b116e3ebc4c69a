// What every adapter does the same way, whatever its wire format: compile the endpoint from
// network_config.base_url (or the family's default), and list the models a provider's keys
// name.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_FAMILY_NEUTRAL_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_FAMILY_NEUTRAL_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// entry->endpoint from the configured base URL, else `default_base_url`, with the TLS settings
// of network_config. A configured base URL with a path is used whole; one of scheme, host and
// port only keeps the family's path prefix. InvalidArgument naming the field.
absl::Status CompileEndpoint(const switchyard::v1::ProviderConfig& config,
                             std::string_view default_base_url, ProviderEntry* entry);
// The same into one endpoint (families whose keys have their own, like Vertex's regions).
absl::Status CompileEndpoint(const switchyard::v1::ProviderConfig& config,
                             std::string_view default_base_url, UpstreamEndpoint* out);

// Every usable key's auth header: `name: prefix<secret>` (e.g. "authorization", "Bearer "),
// as a header and as a preformatted line; a configured extra header of that name replaces it.
void CompileKeyHeader(std::string_view name, std::string_view prefix, ProviderEntry* entry);
// The same for one key (families where only some keys send their value as a header).
void CompileKeyHeader(std::string_view name, std::string_view prefix, const ProviderEntry& entry,
                      ResolvedKey* key);

// An upstream error as every family starts it: the provider's status (not a gateway error),
// retryable per the retry policy (router/retry_policy.h), Retry-After parsed.
UpstreamFailure UpstreamFailureFor(int status, std::string_view retry_after);

// When the family's parser found no message: the start of the body, or the status.
void FillMissingMessage(int status, std::string_view body, common::ApiError* error);

// The client's body for an upstream of its own wire format, with `bare_model` as its model
// (rewritten in place: every other byte as the client sent it). Bifrost's fields (fallbacks,
// extra_params) are removed; with `merge_extra_params`, extra_params' members are merged
// (recursively) into the body, except the fields the gateway itself handles (model, stream,
// fallbacks), which a client cannot override that way.
std::string RewriteBody(const RequestBody& body, std::string_view bare_model,
                        bool merge_extra_params);

// extra_fields (provider, and raw_request / raw_response as target asks) added to a JSON
// response the gateway returns; `raw_request` is the body sent upstream, `raw_response` the
// provider's body as received. A response that is not a JSON object is returned as it is.
std::string WithRawFields(std::string response, std::string_view raw_request,
                          std::string_view raw_response, const AttemptTarget& target);

// `translated` (a translated response) with the raw fields `target` asks for, if any:
// `sent` rebuilds the body sent upstream (pure translation again, only when asked; a failure
// leaves raw_request empty). Errors pass through.
absl::StatusOr<std::string> WithRawFieldsIfAsked(
    absl::StatusOr<std::string> translated,
    const std::function<absl::StatusOr<std::string>()>& sent, std::string_view upstream_body,
    const AttemptTarget& target);

// An image data URL (data:<mime>;base64,<data>) split into its MIME type and base64 data;
// InvalidArgument for any other shape. (ADAPTERS.md §0: every family wants them split.)
struct ImageData {
  std::string mime_type;
  std::string base64;
};
absl::StatusOr<ImageData> SplitImageDataUrl(std::string_view url);

// Everything but RFC 3986's unreserved characters percent-encoded (a path segment, a form
// value).
std::string PercentEncode(std::string_view text);
// Standard base64 (with padding); Base64Decode answers "" for text that is not base64.
std::string Base64(std::string_view bytes);
std::string Base64Decode(std::string_view text);

// The models named by the entry's enabled keys ("*" left out), sorted.
std::vector<std::string> ConfiguredModels(const ProviderEntry& entry);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_FAMILY_NEUTRAL_H_
