// The pair translator for Cohere clients (the native /cohere route) reaching a provider of
// another family: a v2 chat or embed request -> the internal form (OpenAI's), and the internal
// form's answers -> Cohere's, streams included (message-start, content-start / -delta / -end,
// tool-call-start / -delta / -end, message-end with finish_reason and usage; an upstream error
// -> message-end with finish_reason ERROR and the error). Pure functions; any thread.
//
// Decisions where Cohere and OpenAI differ:
//   - p -> top_p, stop_sequences -> stop; k, citation_options, safety_mode and tool_plan have
//     no OpenAI field and are dropped (they tune, never change the meaning of, a request);
//   - top-level documents (RAG) and document blocks cannot be expressed: InvalidArgument;
//     document content in tool results becomes its JSON text;
//   - tool_choice REQUIRED -> required, NONE -> none; response_format json_object with a
//     json_schema -> OpenAI's json_schema;
//   - finish stop -> COMPLETE, length -> MAX_TOKENS, tool_calls -> TOOL_CALL, content_filter
//     -> ERROR; usage -> tokens and billed_units alike;
//   - embed: texts -> input, output_dimension -> dimensions; only float embeddings (other
//     embedding_types -> InvalidArgument); images/inputs -> InvalidArgument.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_COHERE_COHERE_OPENAI_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_COHERE_COHERE_OPENAI_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// A v2 chat body -> an OpenAI chat completion body whose model is `model`.
absl::StatusOr<RequestBody> CohereToOpenAiRequest(std::string_view cohere_body,
                                                  std::string_view model);
// An OpenAI chat.completion -> a v2 chat response.
absl::StatusOr<std::string> OpenAiToCohereResponse(std::string_view openai_body);
// OpenAI chunks -> Cohere's v2 stream events.
std::unique_ptr<StreamTranslator> NewOpenAiToCohereStream();

// A v2 embed body -> an OpenAI embeddings body; an OpenAI embedding list -> a v2 embed
// response (`cohere_body` gives back the texts).
absl::StatusOr<RequestBody> CohereToOpenAiEmbeddingRequest(std::string_view cohere_body,
                                                           std::string_view model);
absl::StatusOr<std::string> OpenAiToCohereEmbeddingResponse(std::string_view openai_body,
                                                            std::string_view cohere_body);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_COHERE_COHERE_OPENAI_H_
