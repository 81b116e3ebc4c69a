// The pair translator for OpenAI-shaped clients reaching a provider of the gemini family
// (Google's Gemini API): the chat request -> a GenerateContentRequest, and Gemini's answers ->
// OpenAI's, streams included (ADAPTERS.md §0 and §2). Pure functions; any thread.
//
// Decisions where the two differ:
//   - tools go out as functionDeclarations with `parametersJsonSchema` (full JSON Schema, so
//     nothing needs sanitizing for the OpenAPI-subset `parameters` form);
//   - image URLs: data URLs -> inlineData; http(s) URLs -> fileData with the MIME type of their
//     extension (a URL without a known image extension is a 400: Gemini requires the type);
//   - parallel_tool_calls and user have no Gemini field: dropped;
//   - a functionCall without an id gets "call_<n>"; a part's thoughtSignature travels in the
//     tool call's extra_content.google.thought_signature and is sent back on the next turn;
//   - finishReason: STOP -> stop (tool_calls when the answer holds calls), MAX_TOKENS -> length,
//     the safety family -> content_filter, MALFORMED_FUNCTION_CALL -> tool_calls; a prompt
//     blocked before any candidate -> content_filter;
//   - usage: completion_tokens = candidatesTokenCount + thoughtsTokenCount (OpenAI counts
//     reasoning inside completion), cached_tokens and reasoning_tokens in their details.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_OPENAI_GEMINI_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_OPENAI_GEMINI_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// OpenAI chat request body -> GenerateContentRequest body. InvalidArgument for what Gemini
// cannot take (malformed messages, tool arguments that are not JSON objects, a tool result
// whose call is not in the conversation); Unimplemented for content parts not translated yet.
absl::StatusOr<std::string> OpenAiToGeminiRequest(std::string_view openai_body);

// GenerateContentResponse -> OpenAI chat.completion (`model` when the response names none).
absl::StatusOr<std::string> GeminiToOpenAiResponse(std::string_view gemini_body,
                                                   std::string_view model);

// Gemini SSE (every event a whole GenerateContentResponse, no end marker) -> OpenAI chunks,
// ending with "data: [DONE]" when the upstream stream ends after its finishReason.
std::unique_ptr<StreamTranslator> NewGeminiToOpenAiStream(std::string_view model,
                                                          bool include_usage);

// An OpenAI embeddings request for Gemini: one input goes to :embedContent, several to
// :batchEmbedContents (each request naming "models/{model}"); `dimensions` ->
// outputDimensionality. InvalidArgument for token-array inputs (Gemini takes text only) and
// malformed bodies.
struct GeminiEmbedding {
  bool batch = false;
  std::string body;
};
absl::StatusOr<GeminiEmbedding> OpenAiToGeminiEmbedding(std::string_view openai_body,
                                                        std::string_view model);

// Gemini's embedding answer -> OpenAI's list, encoding_format "base64" served by the gateway
// (little-endian float32, base64). Gemini reports no token usage: usage is 0.
absl::StatusOr<std::string> GeminiToOpenAiEmbedding(std::string_view gemini_body,
                                                    std::string_view openai_body,
                                                    std::string_view model);

// Vertex AI's embeddings (publishers/google/models/{m}:predict): {instances:[{content}],
// parameters:{outputDimensionality}} and back, token_count summed into usage.
absl::StatusOr<std::string> OpenAiToVertexEmbedding(std::string_view openai_body);
absl::StatusOr<std::string> VertexToOpenAiEmbedding(std::string_view vertex_body,
                                                    std::string_view openai_body,
                                                    std::string_view model);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_OPENAI_GEMINI_H_
