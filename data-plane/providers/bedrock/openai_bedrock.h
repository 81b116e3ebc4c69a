// The pair translator for OpenAI clients reaching Bedrock providers (ADAPTERS.md §4): an OpenAI
// chat completion request -> a Converse request (the model travels in the URL), Converse
// answers -> OpenAI's, ConverseStream's event-stream -> OpenAI chunks; /v1/embeddings -> the
// invoke bodies of Titan v2 and Cohere embed models. Pure functions; any thread.
//
// Decisions where the two differ:
//   - system and developer messages -> system; consecutive same-role turns merged (tool
//     results are user turns); the first turn must be the user's (InvalidArgument otherwise);
//   - images must be data URLs (inlined as bytes): an http(s) image URL is InvalidArgument,
//     never dropped (the gateway does not fetch URLs for a client);
//   - tool_choice auto -> {auto}, required -> {any}, a named function -> {tool}, none ->
//     no toolChoice; a history holding tool blocks gets a toolConfig even without tools
//     (Converse requires it), its tools named from the history;
//   - response_format and n > 1 have no Converse equivalent: InvalidArgument;
//   - stopReason end_turn/stop_sequence -> stop, max_tokens/model_context_window_exceeded ->
//     length, tool_use -> tool_calls, guardrail_intervened/content_filtered -> content_filter;
//   - usage: prompt = input + cache read + cache write, cached_tokens = cache read;
//   - streams: [DONE] only after the metadata event (it carries usage); an exception event or
//     a frame whose CRCs fail ends the stream with an error event;
//   - embeddings: Titan takes one text per request (several -> InvalidArgument); Cohere
//     models take several.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_OPENAI_BEDROCK_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_OPENAI_BEDROCK_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

absl::StatusOr<std::string> OpenAiToConverseRequest(std::string_view openai_body);

absl::StatusOr<std::string> ConverseToOpenAiResponse(std::string_view converse_body,
                                                     std::string_view model);

// ConverseStream's event-stream bytes -> OpenAI chunks; content type text/event-stream.
std::unique_ptr<StreamTranslator> NewConverseToOpenAiStream(std::string_view model,
                                                            bool include_usage);

absl::StatusOr<std::string> OpenAiToBedrockEmbedding(std::string_view openai_body,
                                                     std::string_view model_id);
absl::StatusOr<std::string> BedrockToOpenAiEmbedding(std::string_view bedrock_body,
                                                     std::string_view openai_body,
                                                     std::string_view model);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_OPENAI_BEDROCK_H_
