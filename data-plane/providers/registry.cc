#include "data-plane/providers/registry.h"

#include "data-plane/providers/anthropic/anthropic.h"
#include "data-plane/providers/azure/azure.h"
#include "data-plane/providers/bedrock/bedrock.h"
#include "data-plane/providers/cohere/cohere.h"
#include "data-plane/providers/elevenlabs/elevenlabs.h"
#include "data-plane/providers/gemini/gemini.h"
#include "data-plane/providers/jobs/image_jobs.h"
#include "data-plane/providers/openai/openai_compatible.h"
#include "data-plane/providers/vertex/vertex.h"

namespace switchyard::dp {

const ProviderAdapter* AdapterFor(std::string_view base_type) {
  static const OpenAiCompatibleAdapter kOpenAiCompatible;
  static const AnthropicAdapter kAnthropic;
  static const GeminiAdapter kGemini;
  static const VertexAdapter kVertex;
  static const AzureAdapter kAzure;
  static const CohereAdapter kCohere;
  static const BedrockAdapter kBedrock;
  static const ElevenLabsAdapter kElevenLabs;
  static const ImageJobAdapter kReplicate(ImageJobAdapter::Kind::kReplicate);
  static const ImageJobAdapter kRunway(ImageJobAdapter::Kind::kRunway);
  if (OpenAiCompatibleAdapter::Serves(base_type)) return &kOpenAiCompatible;
  if (base_type == "anthropic") return &kAnthropic;
  if (base_type == "gemini") return &kGemini;
  if (base_type == "vertex") return &kVertex;
  if (base_type == "azure") return &kAzure;
  if (base_type == "cohere") return &kCohere;
  if (base_type == "bedrock") return &kBedrock;
  if (base_type == "elevenlabs") return &kElevenLabs;
  if (base_type == "replicate") return &kReplicate;
  if (base_type == "runway") return &kRunway;
  return nullptr;
}

}  // namespace switchyard::dp
