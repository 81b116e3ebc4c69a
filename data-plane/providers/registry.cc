#include "data-plane/providers/registry.h"

#include "data-plane/providers/openai/openai_compatible.h"

namespace switchyard::dp {

const ProviderAdapter* AdapterFor(std::string_view base_type) {
  static const OpenAiCompatibleAdapter kOpenAiCompatible;
  if (OpenAiCompatibleAdapter::Serves(base_type)) return &kOpenAiCompatible;
  return nullptr;
}

}  // namespace switchyard::dp
