// The pair translator for OpenAI clients reaching Cohere providers (ADAPTERS.md §6): an OpenAI
// chat completion request -> Cohere's v2 chat request, and Cohere's answers -> OpenAI's,
// streams included; embeddings both ways (v2 embed). Pure functions; any thread.
//
// Decisions where the two differ:
//   - roles map 1:1 (developer -> system); text and image_url parts keep OpenAI's shape, which
//     Cohere takes; assistant tool_calls and tool results keep theirs too;
//   - tool_choice required -> REQUIRED, none -> NONE, auto -> omitted, a named function ->
//     the tools narrowed to it and REQUIRED; a function's strict -> strict_tools;
//   - top_p -> p, stop -> stop_sequences, max_completion_tokens -> max_tokens;
//     response_format json_schema -> {type: json_object, json_schema};
//   - n > 1 -> InvalidArgument (Cohere answers one message);
//   - finish COMPLETE/STOP_SEQUENCE -> stop, MAX_TOKENS -> length, TOOL_CALL -> tool_calls;
//     ERROR/TIMEOUT -> an upstream error (502);
//   - usage from `tokens`, else `billed_units`; cached_tokens -> prompt_tokens_details;
//   - embeddings: input_type search_document (Bifrost's default), embedding_types [float],
//     dimensions -> output_dimension; usage from meta.billed_units.input_tokens.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_COHERE_OPENAI_COHERE_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_COHERE_OPENAI_COHERE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

absl::StatusOr<std::string> OpenAiToCohereRequest(std::string_view openai_body,
                                                  std::string_view model, bool stream);

absl::StatusOr<std::string> CohereToOpenAiResponse(std::string_view cohere_body,
                                                   std::string_view model);

// Cohere's stream events (message-start, content-delta, tool-call-start/-delta/-end,
// message-end) -> OpenAI chunks, usage when asked, [DONE].
std::unique_ptr<StreamTranslator> NewCohereToOpenAiStream(std::string_view model,
                                                          bool include_usage);

absl::StatusOr<std::string> OpenAiToCohereEmbedding(std::string_view openai_body,
                                                    std::string_view model);
absl::StatusOr<std::string> CohereToOpenAiEmbedding(std::string_view cohere_body,
                                                    std::string_view openai_body,
                                                    std::string_view model);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_COHERE_OPENAI_COHERE_H_
