#include "common/barndoor.h"

#include <array>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "common/errors.h"
#include "common/provider_config.h"
#include "common/provider_types.h"
#include "common/redaction.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/url.h"

namespace switchyard::common {
namespace {

using nlohmann::json;

constexpr std::array<BarndoorFamily, 16> kFamilies = {{
    {"openai", "openai", ""},
    {"anthropic", "anthropic", ""},
    {"azure_openai", "azure", ""},
    {"google_ai", "gemini", ""},
    {"bedrock", "bedrock", ""},
    {"vertex", "vertex", ""},
    {"groq", "groq", ""},
    {"together", "openai", "https://api.together.xyz"},
    {"mistral", "mistral", ""},
    {"cohere", "cohere", ""},
    {"xai", "xai", ""},
    {"fireworks", "fireworks", ""},
    {"perplexity", "perplexity", ""},
    {"openrouter", "openrouter", ""},
    {"deepseek", "openai", "https://api.deepseek.com"},
    {"custom", "openai", ""},
}};

constexpr int64_t kMaxRequestTimeout = 3600;
constexpr int64_t kMaxStreamIdle = 1800;

// Seed 004 names these; this gateway does not implement them (yet).
bool IsUnsupportedAuthType(std::string_view auth_type) {
  return auth_type == "google_adc" || auth_type == "google_impersonation" ||
         auth_type == "aws_role" || auth_type == "oauth_passthrough";
}

const char* const kCredentialFields[] = {"access_key_id", "secret_access_key", "session_token",
                                         "service_account_json"};
const char* const kSettingFields[] = {"region", "project_id", "endpoint", "api_version"};

template <size_t N>
bool OneOf(std::string_view name, const char* const (&names)[N]) {
  for (const char* candidate : names) {
    if (name == candidate) return true;
  }
  return false;
}

std::string Get(const std::map<std::string, std::string>& map, const std::string& name) {
  auto it = map.find(name);
  return it == map.end() ? std::string() : it->second;
}

v1::EnvValue Literal(std::string value) {
  v1::EnvValue out;
  out.set_value(std::move(value));
  return out;
}

absl::Status CheckTimeout(std::string_view field, int64_t value, int64_t max) {
  if (value < 1 || value > max) {
    return InvalidField(field, StrCat("must be between 1 and ", max, " seconds, or null"));
  }
  return absl::OkStatus();
}

// A JSON object of strings (objects inside, like a service-account file, kept as their text).
absl::Status StringMapFromJson(const json& value, std::string_view field,
                               std::map<std::string, std::string>* out) {
  if (value.is_null()) return absl::OkStatus();
  if (!value.is_object()) return InvalidField(field, "must be an object");
  for (const auto& [name, item] : value.items()) {
    if (item.is_string()) {
      (*out)[name] = item.get<std::string>();
    } else if (item.is_object()) {
      (*out)[name] = item.dump();
    } else {
      return InvalidField(StrCat(field, ".", name), "must be a string");
    }
  }
  return absl::OkStatus();
}

}  // namespace

const BarndoorFamily* FindBarndoorFamily(std::string_view slug) {
  for (const BarndoorFamily& family : kFamilies) {
    if (family.slug == slug) return &family;
  }
  return nullptr;
}

std::string BarndoorSlugList() {
  std::string list;
  for (const BarndoorFamily& family : kFamilies) {
    list += StrCat(list.empty() ? "" : ", ", family.slug);
  }
  return list;
}

absl::Status CheckAuthType(std::string_view field, std::string_view model_provider,
                           std::string_view auth_type) {
  if (IsUnsupportedAuthType(auth_type)) {
    return InvalidField(field, StrCat("\"", auth_type,
                                      "\" is not supported by this gateway; use api_key, "
                                      "aws_keys or bedrock_api_key (bedrock), or "
                                      "google_service_account (vertex)"));
  }
  std::string_view allowed = "api_key";
  if (model_provider == "bedrock") {
    if (auth_type == "aws_keys" || auth_type == "bedrock_api_key") return absl::OkStatus();
    allowed = "aws_keys or bedrock_api_key";
  } else if (model_provider == "vertex") {
    if (auth_type == "google_service_account") return absl::OkStatus();
    allowed = "google_service_account";
  } else if (auth_type == "api_key") {
    return absl::OkStatus();
  }
  return InvalidField(field, StrCat("\"", auth_type, "\" is not an auth type of ", model_provider,
                                    " (use ", allowed, ")"));
}

absl::Status CheckSecret(std::string_view path, const UpstreamSecret& secret) {
  for (const auto& [name, value] : secret.credentials) {
    if (!OneOf(name, kCredentialFields)) {
      return InvalidField(StrCat(path, "credentials.", name),
                          "is not a credential field (access_key_id, secret_access_key, "
                          "session_token, service_account_json)");
    }
  }
  for (const auto& [name, value] : secret.settings) {
    if (!OneOf(name, kSettingFields)) {
      return InvalidField(StrCat(path, "settings.", name),
                          "is not a setting (region, project_id, endpoint, api_version)");
    }
  }
  if (!secret.base_url.empty()) {
    RETURN_IF_ERROR(ValidateUrl(StrCat(path, "base_url"), secret.base_url, {"http", "https"}));
  }
  if (secret.auth_type == "api_key" || secret.auth_type == "bedrock_api_key") {
    if (secret.api_key.empty()) return InvalidField(StrCat(path, "api_key"), "is required");
  } else if (secret.auth_type == "aws_keys") {
    for (const char* name : {"access_key_id", "secret_access_key"}) {
      if (Get(secret.credentials, name).empty()) {
        return InvalidField(StrCat(path, "credentials.", name), "is required for aws_keys");
      }
    }
  } else if (secret.auth_type == "google_service_account") {
    const json parsed = json::parse(Get(secret.credentials, "service_account_json"), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return InvalidField(StrCat(path, "credentials.service_account_json"),
                          "must be the service account's JSON key");
    }
  }
  if (secret.model_provider == "custom" && secret.base_url.empty()) {
    return InvalidField(StrCat(path, "base_url"), "is required for a custom provider");
  }
  return absl::OkStatus();
}

v1::Key KeyFromSecret(const UpstreamSecret& secret, std::string key_name) {
  v1::Key key;
  key.set_name(std::move(key_name));
  key.add_models("*");
  const std::string region = Get(secret.settings, "region");
  if (secret.auth_type == "aws_keys") {
    v1::BedrockKeyConfig* bedrock = key.mutable_bedrock_key_config();
    *bedrock->mutable_access_key() = Literal(Get(secret.credentials, "access_key_id"));
    *bedrock->mutable_secret_key() = Literal(Get(secret.credentials, "secret_access_key"));
    if (const std::string token = Get(secret.credentials, "session_token"); !token.empty()) {
      *bedrock->mutable_session_token() = Literal(token);
    }
    if (!region.empty()) *bedrock->mutable_region() = Literal(region);
    return key;
  }
  if (secret.auth_type == "google_service_account") {
    v1::VertexKeyConfig* vertex = key.mutable_vertex_key_config();
    const std::string sa = Get(secret.credentials, "service_account_json");
    *vertex->mutable_auth_credentials() = Literal(sa);
    std::string project = Get(secret.settings, "project_id");
    if (project.empty()) {
      const json parsed = json::parse(sa, nullptr, false);
      if (parsed.is_object() && parsed.contains("project_id") && parsed["project_id"].is_string()) {
        project = parsed["project_id"].get<std::string>();
      }
    }
    *vertex->mutable_project_id() = Literal(project);
    *vertex->mutable_region() = Literal(region.empty() ? "us-central1" : region);
    return key;
  }
  *key.mutable_value() = Literal(secret.api_key);
  if (secret.model_provider == "bedrock" && !region.empty()) {
    *key.mutable_bedrock_key_config()->mutable_region() = Literal(region);
  }
  if (secret.model_provider == "azure_openai") {
    v1::AzureKeyConfig* azure = key.mutable_azure_key_config();
    std::string endpoint = Get(secret.settings, "endpoint");
    if (endpoint.empty()) endpoint = secret.base_url;
    *azure->mutable_endpoint() = Literal(endpoint);
    if (const std::string version = Get(secret.settings, "api_version"); !version.empty()) {
      *azure->mutable_api_version() = Literal(version);
    }
  }
  return key;
}

UpstreamSecret SecretOf(const v1::Credential& credential) {
  UpstreamSecret secret;
  secret.model_provider = credential.model_provider();
  secret.auth_type = credential.auth_type();
  secret.api_key = credential.api_key();
  secret.credentials.insert(credential.credentials().begin(), credential.credentials().end());
  secret.settings.insert(credential.settings().begin(), credential.settings().end());
  secret.base_url = credential.base_url();
  return secret;
}

absl::Status CanonicalizeCredential(v1::Credential* credential) {
  if (credential->name().empty()) return InvalidField("name", "is required");
  if (credential->name().size() > 128) {
    return InvalidField("name", "is longer than 128 characters");
  }
  if (FindBarndoorFamily(credential->model_provider()) == nullptr) {
    return InvalidField("model_provider", StrCat("must be one of ", BarndoorSlugList()));
  }
  if (credential->auth_type().empty()) credential->set_auth_type("api_key");
  RETURN_IF_ERROR(
      CheckAuthType("auth_type", credential->model_provider(), credential->auth_type()));
  std::string base_url = std::string(absl::StripAsciiWhitespace(credential->base_url()));
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  credential->set_base_url(base_url);
  return CheckSecret("", SecretOf(*credential));
}

void RedactCredential(v1::Credential* credential) {
  if (!credential->api_key().empty()) credential->set_api_key(RedactSecret(credential->api_key()));
  for (auto& [name, value] : *credential->mutable_credentials()) {
    value = std::string(kRedactedMarker);
  }
}

void RestoreCredentialSecrets(const v1::Credential& stored, v1::Credential* incoming) {
  if (LooksRedacted(incoming->api_key()) &&
      incoming->api_key() == RedactSecret(stored.api_key())) {
    incoming->set_api_key(stored.api_key());
  }
  for (auto& [name, value] : *incoming->mutable_credentials()) {
    auto it = stored.credentials().find(name);
    if (value == kRedactedMarker && it != stored.credentials().end()) value = it->second;
  }
}

void VisitCredentialSecrets(v1::GovernanceObject* object,
                            const std::function<void(std::string*)>& visit) {
  if (!object->has_credential()) return;
  v1::Credential* credential = object->mutable_credential();
  if (!credential->api_key().empty()) visit(credential->mutable_api_key());
  for (auto& [name, value] : *credential->mutable_credentials()) visit(&value);
}

std::string SlugFromName(std::string_view name) {
  std::string slug;
  bool dash = false;
  for (unsigned char c : name) {
    if (absl::ascii_isalnum(c)) {
      if (dash && !slug.empty()) slug.push_back('-');
      slug.push_back(static_cast<char>(absl::ascii_tolower(c)));
      dash = false;
    } else {
      dash = true;
    }
    if (slug.size() >= 64) break;
  }
  return slug;
}

std::string ProviderNameFor(std::string_view display_name) {
  if (ValidateProviderName(display_name).ok()) return std::string(display_name);
  return SlugFromName(display_name);
}

bool IsBarndoorBody(std::string_view json_text) {
  const json parsed = json::parse(json_text, nullptr, false);
  return parsed.is_object() && parsed.contains("model_provider");
}

absl::StatusOr<BarndoorProviderRequest> BarndoorProviderFromJson(std::string_view text) {
  const json body = json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  BarndoorProviderRequest out;
  auto string_field = [&](const char* name, std::string* into) -> absl::Status {
    if (!body.contains(name) || body[name].is_null()) return absl::OkStatus();
    if (!body[name].is_string()) return InvalidField(name, "must be a string");
    *into = body[name].get<std::string>();
    return absl::OkStatus();
  };
  auto timeout_field = [&](const char* name, int64_t max,
                           std::optional<int64_t>* into) -> absl::Status {
    if (!body.contains(name) || body[name].is_null()) return absl::OkStatus();
    if (!body[name].is_number_integer()) {
      return InvalidField(name, "must be a whole number of seconds, or null");
    }
    *into = body[name].get<int64_t>();
    return CheckTimeout(name, **into, max);
  };
  for (const auto& [name, value] : body.items()) {
    static const char* const kKnown[] = {
        "name",          "model_provider", "auth_type",   "api_key",
        "credentials",   "connection_id",  "catalog_slug", "models",
        "request_timeout_seconds", "stream_idle_timeout_seconds", "base_url",
        // Read-only fields of the answer, accepted so that it can be sent back.
        "id", "slug", "created_at", "updated_at", "catalog"};
    if (!OneOf(name, kKnown)) return InvalidField(name, "is not a field of a Barndoor provider");
  }
  RETURN_IF_ERROR(string_field("name", &out.display_name));
  if (out.display_name.empty()) return InvalidField("name", "is required");
  if (SlugFromName(out.display_name).empty()) {
    return InvalidField("name", "needs at least one letter or digit");
  }
  std::string model_provider, auth_type, connection_id, catalog_slug;
  RETURN_IF_ERROR(string_field("model_provider", &model_provider));
  if (FindBarndoorFamily(model_provider) == nullptr) {
    return InvalidField("model_provider", StrCat("must be one of ", BarndoorSlugList()));
  }
  RETURN_IF_ERROR(string_field("auth_type", &auth_type));
  RETURN_IF_ERROR(string_field("connection_id", &connection_id));
  RETURN_IF_ERROR(string_field("catalog_slug", &catalog_slug));
  RETURN_IF_ERROR(string_field("base_url", &out.base_url));
  UpstreamSecret& secret = out.inline_secret;
  RETURN_IF_ERROR(string_field("api_key", &secret.api_key));
  if (body.contains("credentials")) {
    RETURN_IF_ERROR(StringMapFromJson(body["credentials"], "credentials", &secret.credentials));
  }
  out.has_inline_secret = !secret.api_key.empty() || !secret.credentials.empty();
  if (!connection_id.empty() && out.has_inline_secret) {
    return InvalidField("connection_id",
                        "is given with api_key/credentials; send one or the other");
  }
  if (connection_id.empty() && !out.has_inline_secret) {
    return InvalidField("api_key", "is required when no connection_id is given");
  }
  if (out.has_inline_secret) {
    if (auth_type.empty()) auth_type = "api_key";
    RETURN_IF_ERROR(CheckAuthType("auth_type", model_provider, auth_type));
    secret.model_provider = model_provider;
    secret.auth_type = auth_type;
    secret.base_url = out.base_url;
    RETURN_IF_ERROR(CheckSecret("", secret));
  } else if (!auth_type.empty()) {
    RETURN_IF_ERROR(CheckAuthType("auth_type", model_provider, auth_type));
  }
  RETURN_IF_ERROR(timeout_field("request_timeout_seconds", kMaxRequestTimeout,
                                &out.request_timeout_seconds));
  RETURN_IF_ERROR(timeout_field("stream_idle_timeout_seconds", kMaxStreamIdle,
                                &out.stream_idle_timeout_seconds));
  if (body.contains("models") && !body["models"].is_null()) {
    if (!body["models"].is_array()) return InvalidField("models", "must be an array of names");
    for (size_t i = 0; i < body["models"].size(); ++i) {
      const json& model = body["models"][i];
      if (!model.is_string() || model.get<std::string>().empty()) {
        return InvalidField(StrCat("models[", i, "]"), "must be a model name");
      }
      out.models.push_back(model.get<std::string>());
    }
  }
  v1::BarndoorProfile& profile = out.profile;
  profile.set_display_name(out.display_name);
  profile.set_model_provider(model_provider);
  profile.set_auth_type(auth_type);
  profile.set_connection_id(connection_id);
  profile.set_catalog_slug(catalog_slug);
  return out;
}

absl::StatusOr<v1::ProviderConfig> ProviderFromBarndoor(const BarndoorProviderRequest& request,
                                                        std::string name,
                                                        const v1::Credential* credential) {
  const BarndoorFamily& family = *FindBarndoorFamily(request.profile.model_provider());
  v1::ProviderConfig config;
  config.set_name(std::move(name));
  *config.mutable_barndoor() = request.profile;
  if (IsStandardProvider(config.name())) {
    if (config.name() != family.base_type || !family.default_base_url.empty()) {
      return InvalidField("name", StrCat("\"", config.name(), "\" is the name of the ",
                                         config.name(), " provider; choose another name"));
    }
  } else {
    config.mutable_custom_provider_config()->set_base_provider_type(std::string(family.base_type));
  }
  UpstreamSecret secret = request.inline_secret;
  std::string key_name = "inline";
  if (credential != nullptr) {
    if (credential->model_provider() != request.profile.model_provider()) {
      return InvalidField("connection_id",
                          StrCat("names a credential for ", credential->model_provider(),
                                 ", not ", request.profile.model_provider()));
    }
    secret = SecretOf(*credential);
    key_name = credential->name();
    config.mutable_barndoor()->set_auth_type(credential->auth_type());
  }
  std::string base_url = secret.base_url.empty() ? request.base_url : secret.base_url;
  if (base_url.empty()) base_url = std::string(family.default_base_url);
  if (family.base_type != "azure" && !base_url.empty()) {
    config.mutable_network_config()->set_base_url(base_url);
  }
  *config.add_keys() = KeyFromSecret(secret, key_name);
  if (request.request_timeout_seconds) {
    config.mutable_network_config()->set_default_request_timeout_in_seconds(
        *request.request_timeout_seconds);
  }
  if (request.stream_idle_timeout_seconds) {
    config.mutable_network_config()->set_stream_idle_timeout_in_seconds(
        *request.stream_idle_timeout_seconds);
  }
  return config;
}

std::string BarndoorProviderToJson(const v1::ProviderConfig& provider,
                                   const std::vector<std::string>& models) {
  const v1::BarndoorProfile& profile = provider.barndoor();
  const v1::NetworkConfig& network = provider.network_config();
  auto or_null = [](const std::string& value) { return value.empty() ? json(nullptr) : json(value); };
  std::string model_provider = profile.model_provider();
  if (model_provider.empty()) {
    // A provider created through Bifrost's API: its family's slug.
    const std::string_view base = BaseProviderType(provider);
    for (const BarndoorFamily& family : kFamilies) {
      if (family.base_type == base && family.default_base_url.empty()) {
        model_provider = std::string(family.slug);
        break;
      }
    }
    if (model_provider.empty()) model_provider = "custom";
  }
  json out = json::object();
  out["id"] = profile.id().empty() ? provider.name() : profile.id();
  out["name"] = profile.display_name().empty() ? provider.name() : profile.display_name();
  out["slug"] = provider.name();
  out["model_provider"] = model_provider;
  out["auth_type"] = profile.auth_type().empty() ? "api_key" : profile.auth_type();
  out["connection_id"] = or_null(profile.connection_id());
  out["catalog_slug"] = or_null(profile.catalog_slug());
  out["catalog"] = or_null(profile.catalog_slug());
  const int64_t timeout = network.default_request_timeout_in_seconds();
  out["request_timeout_seconds"] =
      timeout == kDefaultTimeoutSeconds ? json(nullptr) : json(timeout);
  const int64_t idle = network.stream_idle_timeout_in_seconds();
  out["stream_idle_timeout_seconds"] =
      idle == kDefaultStreamIdleTimeoutSeconds ? json(nullptr) : json(idle);
  out["models"] = models;
  out["config_hash"] = provider.config_hash();
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace switchyard::common
