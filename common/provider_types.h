// The fixed vocabularies of the provider API: standard provider names (seed 000) and the
// 25 request types that custom_provider_config.allowed_requests and request_path_overrides
// are keyed by. Pure data; any thread.
#ifndef SWITCHYARD_COMMON_PROVIDER_TYPES_H_
#define SWITCHYARD_COMMON_PROVIDER_TYPES_H_

#include <array>
#include <string_view>

namespace switchyard::common {

// Seed 000's ModelProvider values.
inline constexpr std::array<std::string_view, 23> kStandardProviders = {
    "openai",     "azure",      "anthropic", "bedrock",    "cohere",      "vertex",
    "vllm",       "mistral",    "ollama",    "groq",       "sgl",         "parasail",
    "perplexity", "replicate",  "cerebras",  "gemini",     "openrouter",  "elevenlabs",
    "huggingface", "nebius",    "xai",       "runway",     "fireworks"};

// Seed 000's allowed_requests fields, in the order of the AllowedRequests message.
inline constexpr std::array<std::string_view, 25> kRequestTypes = {
    "list_models",     "text_completion",      "text_completion_stream",
    "chat_completion", "chat_completion_stream", "responses",
    "responses_stream", "count_tokens",        "embedding",
    "speech",          "speech_stream",        "transcription",
    "transcription_stream", "image_generation", "image_generation_stream",
    "batch_create",    "batch_list",           "batch_retrieve",
    "batch_cancel",    "batch_results",        "file_upload",
    "file_list",       "file_retrieve",        "file_delete",
    "file_content"};

// Seed 002's security denylist: headers never forwarded to a provider, whether configured
// in extra_headers or sent per request as x-bf-eh-*. Lower case.
inline constexpr std::array<std::string_view, 10> kHeaderDenylist = {
    "proxy-authorization", "cookie",    "host",           "content-length", "connection",
    "transfer-encoding",   "x-api-key", "x-goog-api-key", "x-bf-api-key",   "x-bf-vk"};

bool IsDeniedHeader(std::string_view lower_case_name);

// Providers whose base_url is required: they have no public endpoint (seed 002).
bool RequiresBaseUrl(std::string_view base_type);

bool IsStandardProvider(std::string_view name);
bool IsRequestType(std::string_view name);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_PROVIDER_TYPES_H_
