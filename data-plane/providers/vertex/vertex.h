// VertexAdapter: providers of base type vertex (Google Cloud's Vertex AI, ADAPTERS.md §3).
// Each key's vertex_key_config names its project and region and holds a service-account key
// file (auth_credentials); every field may be "env.NAME", resolved on the data plane.
//
//   Gemini models (publisher google):  {base}/v1/projects/{project}/locations/{region}/
//       publishers/google/models/{model}:generateContent | :streamGenerateContent?alt=sse,
//       the Gemini API's body (openai_gemini.h); embeddings via :predict.
//   Claude models (names starting "claude", publisher anthropic): …/publishers/anthropic/
//       models/{model}:rawPredict | :streamRawPredict, the Messages API's body without
//       "model" and with "anthropic_version": "vertex-2023-10-16" (openai_anthropic.h).
//   A model the key's deployments map goes to its endpoint instead:
//       {base}/v1beta1/projects/{project_number}/locations/{region}/endpoints/{deployment}.
//
// {base} is network_config.base_url, else https://{region}-aiplatform.googleapis.com
// (https://aiplatform.googleapis.com for region "global"). Requests carry "Authorization:
// Bearer <access token>": Compile turns the key file into an OAuthCredential; the router
// exchanges it for a token (router/token_cache.h) and hands it over in AttemptTarget.
// Native routes reach Vertex through the bridge (surface.h). Empty auth_credentials isolate
// the provider, naming application default credentials as unsupported.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_VERTEX_VERTEX_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_VERTEX_VERTEX_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

class VertexAdapter : public ProviderAdapter {
 public:
  static constexpr std::string_view kAnthropicVersion = "vertex-2023-10-16";

  std::string_view family() const override { return "vertex"; }
  absl::Status Compile(const switchyard::v1::ProviderConfig& config,
                       ProviderEntry* entry) const override;
  absl::Status BuildRequest(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out) const override;
  bool RelaysBody(const InferenceRequest& request) const override;
  std::string ResponseContentType(const InferenceRequest& request) const override;
  absl::StatusOr<std::string> TranslateResponse(const InferenceRequest& request,
                                                const AttemptTarget& target,
                                                std::string upstream_body) const override;
  std::unique_ptr<StreamTranslator> NewStreamTranslator(
      const InferenceRequest& request, const AttemptTarget& target) const override;
  UpstreamFailure ClassifyError(int status, std::string_view retry_after,
                                std::string_view body) const override;
  std::vector<std::string> ListModels(const ProviderEntry& entry) const override;
};

// The default base URL of a region.
std::string VertexBaseUrl(std::string_view region);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_VERTEX_VERTEX_H_
