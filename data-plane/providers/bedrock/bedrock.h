// BedrockAdapter: providers of base type bedrock (Amazon Bedrock's runtime, ADAPTERS.md §4).
//
//   /v1/chat/completions -> POST {base}/model/{modelId}/converse | /converse-stream
//       (openai_bedrock.h; the stream is AWS's event-stream, decoded with its CRCs checked);
//   /v1/embeddings       -> POST {base}/model/{modelId}/invoke (Titan v2, Cohere embed).
//
// Per key, bedrock_key_config names the `region` ({base} is
// https://bedrock-runtime.{region}.amazonaws.com unless network_config.base_url replaces it)
// and either access_key + secret_key (+ session_token), which sign each request with SigV4
// (service bedrock) over the exact bytes sent, or nothing, when the key's value is a Bedrock
// API key, sent as "Authorization: Bearer". `deployments` maps a model to an inference profile
// or ARN; `arn`, when set, prefixes it ("{arn}/{deployment}"). The model id is percent-encoded
// as one path segment (':' -> %3A) and signed encoded once more.
//
// The native /bedrock route's Converse, ConverseStream and Invoke requests pass through (the
// body as the AWS SDK sent it, signed with the provider's credentials), and the answers,
// event streams included, come back as Bedrock sent them.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_BEDROCK_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_BEDROCK_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

class BedrockAdapter : public ProviderAdapter {
 public:
  std::string_view family() const override { return "bedrock"; }
  bool Speaks(ApiSurface surface) const override {
    return surface == ApiSurface::kOpenAi || surface == ApiSurface::kBedrock;
  }
  absl::Status Compile(const switchyard::v1::ProviderConfig& config,
                       ProviderEntry* entry) const override;
  absl::Status BuildRequest(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out) const override;
  absl::StatusOr<std::string> TranslateResponse(const InferenceRequest& request,
                                                const AttemptTarget& target,
                                                std::string upstream_body) const override;
  std::unique_ptr<StreamTranslator> NewStreamTranslator(
      const InferenceRequest& request, const AttemptTarget& target) const override;
  UpstreamFailure ClassifyError(int status, std::string_view retry_after,
                                std::string_view body) const override;
  std::vector<std::string> ListModels(const ProviderEntry& entry) const override;
};

// The model id a request for `model` names with `key` (deployments, arn).
std::string BedrockModelId(const ResolvedKey& key, std::string_view model);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_BEDROCK_H_
