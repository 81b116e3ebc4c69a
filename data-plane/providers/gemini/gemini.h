// GeminiAdapter: providers of base type gemini (Google's Gemini API, API key sent as
// x-goog-api-key), for OpenAI-shaped chat completions, plain and streamed:
// POST {base}/v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse,
// translated by the pair translator in openai_gemini.h. Anthropic clients reach it through the
// bridge (surface.h). /v1/embeddings go to :embedContent (one input) or :batchEmbedContents.
// The native /genai route's requests pass through (the model in the path replaced; a batch's
// per-request models too) and the answers come back as the provider sent them. Other request
// types answer 501 naming them.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_GEMINI_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_GEMINI_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data-plane/providers/gemini/openai_gemini.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

class GeminiAdapter : public ProviderAdapter {
 public:
  static constexpr std::string_view kDefaultBaseUrl = "https://generativelanguage.googleapis.com";

  std::string_view family() const override { return "gemini"; }
  bool Speaks(ApiSurface surface) const override {
    return surface == ApiSurface::kOpenAi || surface == ApiSurface::kGenAi;
  }
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
  absl::Status BuildModelsRequest(const AttemptTarget& target, std::string_view page_token,
                                  UpstreamRequest* out) const override;
  absl::StatusOr<ModelPage> ParseModelPage(std::string_view body) const override;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_GEMINI_H_
