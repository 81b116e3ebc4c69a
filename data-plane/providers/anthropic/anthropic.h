// AnthropicAdapter: providers of base type anthropic (and custom providers built on it):
//   - OpenAI-shaped chat completions (plain and streamed), translated to and from Anthropic's
//     Messages API (POST {base}/v1/messages) by the pair translator in openai_anthropic.h;
//   - the native /anthropic route's Messages and count_tokens requests, passed through with the
//     model rewritten (answers come back as the provider sent them);
//   - x-api-key from the chosen key, anthropic-version: 2023-06-01, and the client's
//     anthropic-beta filtered as ADAPTERS.md §7 says (FilterAnthropicBeta).
// Other request types answer 501 naming them.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_ANTHROPIC_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_ANTHROPIC_H_

#include <memory>
#include <string>
#include <string_view>

#include "data-plane/providers/anthropic/openai_anthropic.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

class AnthropicAdapter : public ProviderAdapter {
 public:
  static constexpr std::string_view kDefaultBaseUrl = "https://api.anthropic.com";

  std::string_view family() const override { return "anthropic"; }
  bool Speaks(ApiSurface surface) const override {
    return surface == ApiSurface::kOpenAi || surface == ApiSurface::kAnthropic;
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

// The anthropic-beta value to send a provider of this family, from the client's (ADAPTERS.md §7):
// tokens split on commas and trimmed; a token is dropped when the longest
// network_config.beta_header_overrides prefix matching it says false, kept otherwise (the
// anthropic family takes every beta, known or not); one token per known beta prefix (the
// first), exact duplicates dropped. "" when nothing is left (no header is sent).
std::string FilterAnthropicBeta(std::string_view client_value,
                                const google::protobuf::Map<std::string, bool>& overrides);

// Adds the client's anthropic-beta, filtered (FilterAnthropicBeta), to `out`; a configured or
// x-bf-eh-* anthropic-beta header wins. (Anthropic's and Vertex's Claude requests.)
void AddAnthropicBeta(const InferenceRequest& request, const ProviderEntry& entry,
                      UpstreamRequest* out);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_ANTHROPIC_H_
