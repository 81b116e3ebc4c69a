// The pair translator for Google GenAI clients (the native /genai route) reaching a provider of
// another family: a GenerateContentRequest -> the internal form (an OpenAI chat completion
// request), and the internal form's answers -> GenerateContentResponse, streams included (every
// event a whole response; function calls sent whole, once their arguments are complete; the
// finishReason and usageMetadata on the last event). Pure functions; any thread.
//
// Decisions: a functionResponse answers the oldest unanswered call of its name (Gemini names
// calls by function, OpenAI by id; ids are synthesized as "call_<n>"); safetySettings,
// cachedContent and thinkingConfig have no OpenAI field and are dropped; finish_reason stop ->
// STOP, length -> MAX_TOKENS, content_filter -> SAFETY, tool_calls -> STOP (with the calls).
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_GEMINI_OPENAI_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_GEMINI_OPENAI_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// A GenerateContentRequest -> an OpenAI chat body for `model` (its position recorded, so
// adapters rewrite it like a client's). InvalidArgument for what the internal form cannot
// express (fileData of non-images, code execution, ...).
absl::StatusOr<RequestBody> GeminiToOpenAiRequest(std::string_view gemini_body,
                                                  std::string_view model, bool stream);

// An OpenAI chat.completion -> a GenerateContentResponse.
absl::StatusOr<std::string> OpenAiToGeminiResponse(std::string_view openai_body);

// OpenAI chunks -> Gemini's stream: SSE events ("data: {...}\r\n\r\n") when `sse`, else the
// JSON-array form streamGenerateContent answers without alt=sse ("[{...},\r\n{...}]").
std::unique_ptr<StreamTranslator> NewOpenAiToGeminiStream(bool sse);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_GEMINI_OPENAI_H_
