// The pair translator for AWS SDK clients (the native /bedrock route) reaching a provider of
// another family: a Converse request -> the internal form (OpenAI's), and the internal form's
// answers -> Converse's: responses, and streams as AWS event-stream frames (messageStart,
// contentBlockStart / Delta / Stop, messageStop, metadata; an upstream error -> an exception
// frame). Pure functions; any thread.
//
// Decisions: image blocks become data URLs, toolResult blocks tool messages (json content as
// its text), toolUse tool_calls; documents, guardrails and reasoning blocks cannot be sent to
// other families (InvalidArgument); stop reasons stop -> end_turn, length -> max_tokens,
// tool_calls -> tool_use, content_filter -> content_filtered.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_BEDROCK_OPENAI_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_BEDROCK_OPENAI_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

absl::StatusOr<RequestBody> ConverseToOpenAiRequest(std::string_view converse_body,
                                                    std::string_view model, bool stream);
absl::StatusOr<std::string> OpenAiToConverseResponse(std::string_view openai_body);
std::unique_ptr<StreamTranslator> NewOpenAiToConverseStream();

// An exception frame (`type` e.g. modelStreamErrorException) with {"message"}.
std::string ConverseExceptionFrame(std::string_view type, std::string_view message);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_BEDROCK_OPENAI_H_
