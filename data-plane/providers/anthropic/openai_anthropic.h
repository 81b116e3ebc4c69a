// The pair translator for OpenAI-shaped clients (/v1/chat/completions) reaching a provider of
// the anthropic family: the chat request -> a Messages API request, and the Messages answers
// -> OpenAI's, streams included (ADAPTERS.md §0 and §1). Pure functions; any thread.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_OPENAI_ANTHROPIC_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_OPENAI_ANTHROPIC_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// max_tokens sent when the client gave none (Anthropic requires it).
inline constexpr int kAnthropicDefaultMaxTokens = 4096;

// OpenAI chat request body -> Messages API body for `model`. InvalidArgument for what
// Anthropic cannot take (n > 1, malformed messages, tool arguments that are not JSON,
// response_format json_object); Unimplemented for content parts not translated yet (audio,
// files). response_format json_schema -> output_config.format. With `anthropic_version` (Vertex
// AI's rawPredict: "vertex-2023-10-16"), the body carries that instead of the model, which the
// URL names.
absl::StatusOr<std::string> OpenAiToAnthropicRequest(std::string_view openai_body,
                                                     std::string_view model, bool stream,
                                                     std::string_view anthropic_version = {});

// Messages API response -> OpenAI chat.completion.
absl::StatusOr<std::string> AnthropicToOpenAiResponse(std::string_view anthropic_body);

// Anthropic SSE -> OpenAI chunks ("data: {...}\n\n", ending with "data: [DONE]\n\n").
std::unique_ptr<StreamTranslator> NewAnthropicToOpenAiStream(bool include_usage);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_OPENAI_ANTHROPIC_H_
