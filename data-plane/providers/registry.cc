#include "data-plane/providers/registry.h"

#include "data-plane/providers/anthropic/anthropic.h"
#include "data-plane/providers/openai/openai_compatible.h"

namespace switchyard::dp {

const ProviderAdapter* AdapterFor(std::string_view base_type) {
  static const OpenAiCompatibleAdapter kOpenAiCompatible;
  static const AnthropicAdapter kAnthropic;
  if (OpenAiCompatibleAdapter::Serves(base_type)) return &kOpenAiCompatible;
  if (base_type == "anthropic") return &kAnthropic;
  return nullptr;
}

}  // namespace switchyard::dp
