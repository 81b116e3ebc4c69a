// OpenAiCompatibleAdapter: the OpenAI-compatible family (one adapter, many base URLs):
// openai, groq, mistral, ollama, vllm, sgl, cerebras, openrouter, xai, fireworks,
// perplexity, nebius, parasail, huggingface.
//
// The client's OpenAI-shaped request passes through with only the model rewritten in place
// ("openai/gpt-4o" -> "gpt-4o"); answers and streams pass through unchanged (no stream
// translator: zero-copy). Bifrost's own fields (fallbacks, extra_params) are removed first.
// Auth: "Authorization: Bearer <key>" unless extra_headers set it.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_OPENAI_OPENAI_COMPATIBLE_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_OPENAI_OPENAI_COMPATIBLE_H_

#include <string>
#include <string_view>

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

class OpenAiCompatibleAdapter : public ProviderAdapter {
 public:
  // True for the base provider types this adapter serves.
  static bool Serves(std::string_view base_type);
  // The family's public base URL ("" when it has none: ollama and sgl need one configured).
  static std::string_view DefaultBaseUrl(std::string_view base_type);
  // The path of a request type under the base URL ("" when there is none).
  static std::string_view DefaultPath(std::string_view base_type, std::string_view request_type);

  std::string_view family() const override { return "openai-compatible"; }
  absl::Status Compile(const switchyard::v1::ProviderConfig& config,
                       ProviderEntry* entry) const override;
  absl::Status BuildRequest(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out) const override;
  absl::StatusOr<PollStep> NextPoll(const InferenceRequest& request, const AttemptTarget& target,
                                    std::string_view upstream_body) const override;
  absl::StatusOr<std::string> TranslateResponse(const InferenceRequest& request,
                                                const AttemptTarget& target,
                                                std::string upstream_body) const override;
  std::unique_ptr<StreamTranslator> NewStreamTranslator(const InferenceRequest& request,
                                                        const AttemptTarget& target) const override;
  UpstreamFailure ClassifyError(int status, std::string_view retry_after,
                                std::string_view body) const override;
  std::vector<std::string> ListModels(const ProviderEntry& entry) const override;
  absl::Status BuildModelsRequest(const AttemptTarget& target, std::string_view page_token,
                                  UpstreamRequest* out) const override;
  absl::StatusOr<ModelPage> ParseModelPage(std::string_view body) const override;

 private:
  absl::Status BuildResourceRequest(const InferenceRequest& request, const AttemptTarget& target,
                                    UpstreamRequest* out) const;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_OPENAI_OPENAI_COMPATIBLE_H_
