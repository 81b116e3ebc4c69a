// AnthropicAdapter: providers of base type anthropic, for OpenAI-shaped chat completions
// (plain and streamed), translated to and from Anthropic's Messages API
// (POST {base}/v1/messages; x-api-key and anthropic-version: 2023-06-01), and for the native
// /anthropic route, whose Messages requests pass through with the model rewritten.
//
// The pair translators (STYLE.md: openai -> anthropic) are pure functions, declared here for
// their unit tests: the request, the whole response, and a stream translator that turns
// Anthropic's SSE events into OpenAI chunks as they complete (ADAPTERS.md §0 and §1).
//
// Not translated yet (answered 501 naming it, never silently dropped): response_format
// json_schema / json_object; other request types than chat completions.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_ANTHROPIC_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_ANTHROPIC_H_

#include <memory>
#include <string>
#include <string_view>

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// max_tokens sent when the client gave none (Anthropic requires it).
inline constexpr int kAnthropicDefaultMaxTokens = 4096;

class AnthropicAdapter : public ProviderAdapter {
 public:
  static constexpr std::string_view kDefaultBaseUrl = "https://api.anthropic.com";

  std::string_view family() const override { return "anthropic"; }
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
};

// OpenAI chat request body -> Messages API body for `model`. InvalidArgument for what
// Anthropic cannot take (n > 1, malformed messages, tool arguments that are not JSON);
// Unimplemented for what is not translated yet.
absl::StatusOr<std::string> OpenAiToAnthropicRequest(std::string_view openai_body,
                                                     std::string_view model, bool stream);

// Messages API response -> OpenAI chat.completion.
absl::StatusOr<std::string> AnthropicToOpenAiResponse(std::string_view anthropic_body);

// Anthropic SSE -> OpenAI chunks ("data: {...}\n\n", ending with "data: [DONE]\n\n").
std::unique_ptr<StreamTranslator> NewAnthropicToOpenAiStream(bool include_usage);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_ANTHROPIC_H_
