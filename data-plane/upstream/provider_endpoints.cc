#include "data-plane/upstream/provider_endpoints.h"

#include <array>
#include <utility>

namespace switchyard::dp {
namespace {

struct Family {
  std::string_view name;
  std::string_view base_url;
  bool versioned_paths;  // paths start with /v1
};

constexpr std::array<Family, 14> kOpenAiCompatible = {{
    {"openai", "https://api.openai.com", true},
    {"groq", "https://api.groq.com/openai", true},
    {"mistral", "https://api.mistral.ai", true},
    {"ollama", "", true},
    {"vllm", "http://localhost:8000", true},
    {"sgl", "", true},
    {"cerebras", "https://api.cerebras.ai", true},
    {"openrouter", "https://openrouter.ai/api", true},
    {"xai", "https://api.x.ai", true},
    {"fireworks", "https://api.fireworks.ai/inference", true},
    {"perplexity", "https://api.perplexity.ai", false},
    {"nebius", "https://api.studio.nebius.ai", true},
    {"parasail", "https://api.parasail.io", true},
    {"huggingface", "https://router.huggingface.co", true},
}};

const Family* Find(std::string_view base_type) {
  for (const Family& family : kOpenAiCompatible) {
    if (family.name == base_type) return &family;
  }
  return nullptr;
}

}  // namespace

bool IsOpenAiCompatible(std::string_view base_type) { return Find(base_type) != nullptr; }

std::string_view DefaultBaseUrl(std::string_view base_type) {
  const Family* family = Find(base_type);
  return family == nullptr ? std::string_view() : family->base_url;
}

std::string_view DefaultPath(std::string_view base_type, std::string_view request_type) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kPaths = {{
      {"chat_completion", "/v1/chat/completions"},
      {"chat_completion_stream", "/v1/chat/completions"},
      {"text_completion", "/v1/completions"},
      {"text_completion_stream", "/v1/completions"},
      {"embedding", "/v1/embeddings"},
      {"responses", "/v1/responses"},
      {"responses_stream", "/v1/responses"},
      {"list_models", "/v1/models"},
      {"image_generation", "/v1/images/generations"},
      {"speech", "/v1/audio/speech"},
  }};
  const Family* family = Find(base_type);
  if (family == nullptr) return {};
  for (const auto& [type, path] : kPaths) {
    if (type == request_type) return family->versioned_paths ? path : path.substr(3);
  }
  return {};
}

}  // namespace switchyard::dp
