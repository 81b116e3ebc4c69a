// CohereAdapter: providers of base type cohere (Cohere's v2 API, "Authorization: Bearer"):
//   - OpenAI-shaped chat completions (plain and streamed) -> POST {base}/v2/chat and
//     /v1/embeddings -> POST {base}/v2/embed, translated by openai_cohere.h;
//   - the native /cohere route's chat and embed requests pass through with the model rewritten
//     and come back as the provider sent them.
// Other request types answer 501 naming them.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_COHERE_COHERE_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_COHERE_COHERE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

class CohereAdapter : public ProviderAdapter {
 public:
  static constexpr std::string_view kDefaultBaseUrl = "https://api.cohere.com";

  std::string_view family() const override { return "cohere"; }
  bool Speaks(ApiSurface surface) const override {
    return surface == ApiSurface::kOpenAi || surface == ApiSurface::kCohere;
  }
  absl::Status Compile(const switchyard::v1::ProviderConfig& config,
                       ProviderEntry* entry) const override;
  absl::Status BuildRequest(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out) const override;
  absl::StatusOr<std::string> TranslateResponse(const InferenceRequest& request,
                                                const AttemptTarget& target,
                                                std::string upstream_body) const override;
  std::unique_ptr<StreamTranslator> NewStreamTranslator(
      const InferenceRequest& request, const AttemptTarget& target) const override;
  UpstreamFailure ClassifyError(int status, std::string_view retry_after,
                                std::string_view body) const override;
  std::vector<std::string> ListModels(const ProviderEntry& entry) const override;
  absl::Status BuildModelsRequest(const AttemptTarget& target, std::string_view page_token,
                                  UpstreamRequest* out) const override;
  absl::StatusOr<ModelPage> ParseModelPage(std::string_view body) const override;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_COHERE_COHERE_H_
