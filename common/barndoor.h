// Seed 004 (Barndoor's "Create a Provider"): its vocabulary mapped onto ours, the shared
// Credential's rules, and Barndoor's provider body and answer.
//
// A Barndoor provider is an ordinary stored ProviderConfig (the same row Bifrost's API reads
// and writes) with a BarndoorProfile for the fields Bifrost has no place for:
//   model_provider   -> the provider's family: its name when that is a standard provider of
//                       the family, else a custom provider on the family's base type;
//                       together and deepseek are OpenAI-compatible with their base URLs
//   api_key / credentials (inline) or a Credential's (connection_id) -> one key, every model
//   request_timeout_seconds     -> network_config.default_request_timeout_in_seconds
//   stream_idle_timeout_seconds -> network_config.stream_idle_timeout_in_seconds
//   (null = the platform default, 30 s and 60 s, which is also what they answer as null)
//   models           -> one model route per model (the service writes them)
// Pure functions; any thread.
#ifndef SWITCHYARD_COMMON_BARNDOOR_H_
#define SWITCHYARD_COMMON_BARNDOOR_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "switchyard/v1/governance.pb.h"
#include "switchyard/v1/provider.pb.h"

namespace switchyard::common {

// Seed 004's model_provider slugs, and what each becomes here.
struct BarndoorFamily {
  std::string_view slug;
  std::string_view base_type;         // our provider type (family)
  std::string_view default_base_url;  // for families we only know as OpenAI-compatible
};
const BarndoorFamily* FindBarndoorFamily(std::string_view slug);
std::string BarndoorSlugList();  // "openai, anthropic, ..." for error messages

// The secret a provider is given, inline or from a Credential.
struct UpstreamSecret {
  std::string model_provider;
  std::string auth_type;
  std::string api_key;
  std::map<std::string, std::string> credentials;
  std::map<std::string, std::string> settings;
  std::string base_url;
};

// InvalidArgument naming `field` unless `auth_type` is one we serve for `model_provider`;
// the ones seed 004 names that we do not (google_adc, google_impersonation, aws_role,
// oauth_passthrough) are refused as unsupported by name.
absl::Status CheckAuthType(std::string_view field, std::string_view model_provider,
                           std::string_view auth_type);
// The secret is complete for its auth type (field names prefixed by `path`).
absl::Status CheckSecret(std::string_view path, const UpstreamSecret& secret);
// The provider key the secret makes (name `key_name`, every model).
v1::Key KeyFromSecret(const UpstreamSecret& secret, std::string key_name);
UpstreamSecret SecretOf(const v1::Credential& credential);

// Checks and fills a credential (auth_type api_key when empty); InvalidArgument naming the
// field.
absl::Status CanonicalizeCredential(v1::Credential* credential);
// Credential secrets (api_key, every credentials value) redacted, and restored from `stored`
// where an update sends them back redacted.
void RedactCredential(v1::Credential* credential);
void RestoreCredentialSecrets(const v1::Credential& stored, v1::Credential* incoming);
// Visits the credential's stored secrets (sealing at rest).
void VisitCredentialSecrets(v1::GovernanceObject* object,
                            const std::function<void(std::string*)>& visit);

// "OpenAI Production (US)" -> "openai-production-us".
std::string SlugFromName(std::string_view name);

// True when a provider body is Barndoor's (it names model_provider, which Bifrost's lacks).
bool IsBarndoorBody(std::string_view json_text);

struct BarndoorProviderRequest {
  std::string display_name;
  v1::BarndoorProfile profile;  // id left empty
  UpstreamSecret inline_secret;  // model_provider/auth_type copied from the body
  bool has_inline_secret = false;
  std::vector<std::string> models;
  std::optional<int64_t> request_timeout_seconds;
  std::optional<int64_t> stream_idle_timeout_seconds;
  std::string base_url;  // Switchyard's extension: the upstream's URL for an inline secret
};
// Parses and checks a Barndoor body (unknown fields refused).
absl::StatusOr<BarndoorProviderRequest> BarndoorProviderFromJson(std::string_view text);

// The stored provider for a request: `name` chosen by the caller (ProviderNameFor), keys from
// the inline secret or `credential`, timeouts in the network config.
absl::StatusOr<v1::ProviderConfig> ProviderFromBarndoor(const BarndoorProviderRequest& request,
                                                        std::string name,
                                                        const v1::Credential* credential);
// The display name as a provider name when it is a valid one, else its slug.
std::string ProviderNameFor(std::string_view display_name);

// Barndoor's answer for a provider (either API's): `models` are the upstream models its
// routes reach.
std::string BarndoorProviderToJson(const v1::ProviderConfig& provider,
                                   const std::vector<std::string>& models);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_BARNDOOR_H_
