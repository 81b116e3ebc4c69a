// The pair translator for Anthropic Messages clients (the native /anthropic route) reaching a
// provider of another family: the Messages request -> the internal form (an OpenAI chat
// completion request, which every adapter takes), and the internal form's answers -> Messages
// answers, streams included (message_start, content_block_start / _delta / _stop with
// text_delta, input_json_delta and thinking_delta, message_delta with stop_reason and usage,
// message_stop; an upstream error -> an `error` event). Pure functions; any thread.
//
// Decisions where Anthropic and OpenAI differ (also in README's adapter section):
//   - top_k, thinking, cache_control and container/server-tool settings have no OpenAI field:
//     dropped (they tune, never change the meaning of, a request);
//   - document blocks, server tools (web search, code execution, ...) and images inside tool
//     results cannot be expressed: InvalidArgument (400) naming them, never dropped silently;
//   - stop_reason: stop -> end_turn, length -> max_tokens, tool_calls -> tool_use,
//     content_filter -> refusal;
//   - usage: input_tokens = prompt_tokens - cached_tokens, cache_read_input_tokens =
//     cached_tokens (the inverse of ADAPTERS.md §1).
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_ANTHROPIC_OPENAI_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_ANTHROPIC_OPENAI_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// A Messages API body -> an OpenAI chat completion body whose model is `model` (its position
// recorded, so adapters rewrite it like a client's). A stream asks for usage
// (stream_options.include_usage), which message_delta reports.
absl::StatusOr<RequestBody> AnthropicToOpenAiRequest(std::string_view messages_body,
                                                     std::string_view model);

// An OpenAI chat.completion -> a Messages API message.
absl::StatusOr<std::string> OpenAiToAnthropicResponse(std::string_view openai_body);

// OpenAI chunks ("data: {...}", "data: [DONE]") -> Anthropic's stream events.
std::unique_ptr<StreamTranslator> NewOpenAiToAnthropicStream();

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_ANTHROPIC_ANTHROPIC_OPENAI_H_
