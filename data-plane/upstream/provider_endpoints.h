// Where each provider family lives: default public base URLs and the API path of each
// request type for OpenAI-compatible providers (DESIGN.md "Provider families").
#ifndef SWITCHYARD_DATA_PLANE_UPSTREAM_PROVIDER_ENDPOINTS_H_
#define SWITCHYARD_DATA_PLANE_UPSTREAM_PROVIDER_ENDPOINTS_H_

#include <string>
#include <string_view>

namespace switchyard::dp {

// True for the families this data plane can serve through its OpenAI-compatible adapter.
bool IsOpenAiCompatible(std::string_view base_type);

// The provider's public base URL ("" when it has none, e.g. vllm, sgl, ollama need one).
std::string_view DefaultBaseUrl(std::string_view base_type);

// The path of a request type under the base URL, e.g. "/v1/chat/completions"; "" when the
// request type has no OpenAI-compatible endpoint here.
std::string_view DefaultPath(std::string_view base_type, std::string_view request_type);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_UPSTREAM_PROVIDER_ENDPOINTS_H_
