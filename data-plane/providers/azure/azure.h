// AzureAdapter: providers of base type azure (Azure OpenAI, ADAPTERS.md §5). OpenAI's wire
// format on Azure's paths:
//
//   {endpoint}/openai/deployments/{deployment}/{chat/completions|completions|embeddings}
//       ?api-version={azure_key_config.api_version, default 2024-10-21}
//
// per key: `endpoint` and `deployments` (model -> deployment; an unmapped model is its own
// deployment) come from the key's azure_key_config (network_config.base_url, when set,
// replaces the endpoint's scheme, host and port). Auth is the key's value as `api-key`, or,
// with client_id, client_secret and tenant_id, a Microsoft Entra token (client credentials,
// scope https://cognitiveservices.azure.com/.default) from
// {AZURE_AUTHORITY_HOST, default https://login.microsoftonline.com}/{tenant}/oauth2/v2.0/token,
// obtained and cached by the router's token cache. Streams are normalised: Azure's
// prompt-filter chunk (choices: []) and content-filter chunks without a delta are dropped.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_AZURE_AZURE_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_AZURE_AZURE_H_

#include <memory>
#include <string_view>

#include "data-plane/providers/openai/openai_compatible.h"

namespace switchyard::dp {

class AzureAdapter : public OpenAiCompatibleAdapter {
 public:
  static constexpr std::string_view kDefaultApiVersion = "2024-10-21";
  static constexpr std::string_view kEntraScope = "https://cognitiveservices.azure.com/.default";

  std::string_view family() const override { return "azure"; }
  absl::Status Compile(const switchyard::v1::ProviderConfig& config,
                       ProviderEntry* entry) const override;
  absl::Status BuildRequest(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out) const override;
  std::unique_ptr<StreamTranslator> NewStreamTranslator(
      const InferenceRequest& request, const AttemptTarget& target) const override;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_AZURE_AZURE_H_
