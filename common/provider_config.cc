#include "common/provider_config.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/errors.h"
#include "common/provider_json.h"
#include "common/provider_types.h"
#include "common/redaction.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/url.h"

namespace switchyard::common {
namespace {

using v1::EnvValue;
using v1::Key;
using v1::ProviderConfig;

constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxKeys = 1000;
constexpr size_t kMaxDescription = 4096;
constexpr int64_t kMaxTimeoutSeconds = 3600;
constexpr int64_t kMaxRetries = 100;
constexpr int64_t kMaxStreamIdleTimeoutSeconds = 1800;
constexpr int64_t kMaxBackoffMs = 600000;
constexpr int64_t kMaxConcurrency = 1000000;
constexpr int64_t kMaxBufferSize = 10000000;

absl::Status Invalid(std::string_view path, std::string_view problem) {
  return InvalidField(path, problem);
}

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

}  // namespace

absl::Status ValidateProviderName(std::string_view name) {
  if (name.empty()) return InvalidField("name", "is required");
  if (name.size() > kMaxNameLength || !absl::ascii_isalnum(static_cast<unsigned char>(name[0])) ||
      !std::all_of(name.begin(), name.end(), IsNameChar)) {
    return InvalidField("name",
        "must be 1-64 characters of letters, digits, '-', '_' or '.', starting "
        "with a letter or digit");
  }
  return absl::OkStatus();
}

namespace {

bool IsEnvVarName(std::string_view name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool HasControlChars(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

// Splits a value into a literal or an environment reference; see EnvValue in provider.proto.
// A `document` (a key file pasted whole, like Vertex's auth_credentials) may hold line breaks
// and tabs.
absl::Status NormalizeEnvValue(std::string_view path, EnvValue* value, bool document = false) {
  std::string var;
  if (!value->env_var().empty()) {
    var = value->env_var();
  } else if (absl::StartsWith(value->value(), "env.")) {
    var = value->value();
  } else if (value->from_env()) {
    return Invalid(StrCat(path, ".env_var"), "is required when from_env is true");
  }
  if (var.empty()) {
    value->clear_env_var();
    value->set_from_env(false);
    std::string_view text = value->value();
    const bool bad = document ? std::any_of(text.begin(), text.end(), [](char c) {
                                  return c != '\n' && c != '\r' && c != '\t' &&
                                         HasControlChars(std::string_view(&c, 1));
                                })
                              : HasControlChars(text);
    if (bad) return Invalid(path, "contains control characters");
    return absl::OkStatus();
  }
  std::string_view name = var;
  if (name.starts_with("env.")) name.remove_prefix(4);
  if (!IsEnvVarName(name)) {
    return Invalid(path, "must reference an environment variable as env.NAME (letters, digits, "
                         "'_', not starting with a digit)");
  }
  const std::string reference = StrCat("env.", name);
  value->set_value(reference);
  value->set_env_var(reference);
  value->set_from_env(true);
  return absl::OkStatus();
}

bool IsSet(const EnvValue& value) { return !value.value().empty() || value.from_env(); }

// A normalized secret must not still be a redacted placeholder: the admin sent back a
// redacted value that matches no stored secret.
absl::Status RejectRedacted(std::string_view path, const EnvValue& value) {
  if (!value.from_env() && LooksRedacted(value.value())) {
    return Invalid(path, "is a redacted placeholder that matches no stored secret; send the "
                         "real value");
  }
  return absl::OkStatus();
}

template <typename Message>
absl::Status NormalizeOptionalEnv(std::string_view path, bool present, Message* message,
                                  bool secret) {
  if (!present) return absl::OkStatus();
  RETURN_IF_ERROR(NormalizeEnvValue(path, message, path.ends_with(".auth_credentials")));
  if (secret) RETURN_IF_ERROR(RejectRedacted(path, *message));
  return absl::OkStatus();
}

absl::Status NormalizeKeyConfigs(std::string_view path, Key* key) {
  if (key->has_azure_key_config()) {
    auto* c = key->mutable_azure_key_config();
    const std::string p = StrCat(path, ".azure_key_config");
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".endpoint", c->has_endpoint(),
                                         c->mutable_endpoint(), false));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".api_version", c->has_api_version(),
                                         c->mutable_api_version(), false));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".client_id", c->has_client_id(),
                                         c->mutable_client_id(), false));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".client_secret", c->has_client_secret(),
                                         c->mutable_client_secret(), true));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".tenant_id", c->has_tenant_id(),
                                         c->mutable_tenant_id(), false));
  }
  if (key->has_vertex_key_config()) {
    auto* c = key->mutable_vertex_key_config();
    const std::string p = StrCat(path, ".vertex_key_config");
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".project_id", c->has_project_id(),
                                         c->mutable_project_id(), false));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".project_number", c->has_project_number(),
                                         c->mutable_project_number(), false));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".region", c->has_region(), c->mutable_region(),
                                         false));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".auth_credentials", c->has_auth_credentials(),
                                         c->mutable_auth_credentials(), true));
  }
  if (key->has_bedrock_key_config()) {
    auto* c = key->mutable_bedrock_key_config();
    const std::string p = StrCat(path, ".bedrock_key_config");
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".access_key", c->has_access_key(),
                                         c->mutable_access_key(), true));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".secret_key", c->has_secret_key(),
                                         c->mutable_secret_key(), true));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".session_token", c->has_session_token(),
                                         c->mutable_session_token(), true));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".region", c->has_region(), c->mutable_region(),
                                         false));
    RETURN_IF_ERROR(NormalizeOptionalEnv(p + ".arn", c->has_arn(), c->mutable_arn(), false));
  }
  return absl::OkStatus();
}

// A UUID-shaped id derived from provider and key name, so an omitted id is the same in every
// process and after restarts.
std::string DerivedKeyId(std::string_view provider, std::string_view key_name) {
  const std::string hex = Sha256Hex(StrCat("switchyard-key:", provider, "/", key_name));
  return StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

absl::Status NormalizeKeys(ProviderConfig* config) {
  auto& keys = *config->mutable_keys();
  if (static_cast<size_t>(keys.size()) > kMaxKeys) {
    return Invalid("keys", StrCat("has more than ", kMaxKeys, " entries"));
  }
  const bool key_less =
      config->has_custom_provider_config() && config->custom_provider_config().is_key_less();

  std::set<std::string> names;
  for (const Key& key : keys) {
    if (!key.name().empty()) names.insert(key.name());
  }
  for (int i = 0; i < keys.size(); ++i) {
    Key& key = keys[i];
    const std::string path = StrCat("keys[", i, "]");
    if (key.name().empty()) {
      // Stable for the same input: the key's position, skipping names already taken.
      std::string name = StrCat("key-", i + 1);
      for (int suffix = 2; names.count(name) > 0; ++suffix) {
        name = StrCat("key-", i + 1, "-", suffix);
      }
      names.insert(name);
      key.set_name(name);
    }
    if (key.name().size() > 128 || HasControlChars(key.name())) {
      return Invalid(path + ".name", "must be at most 128 printable characters");
    }
    if (key.id().empty()) key.set_id(DerivedKeyId(config->name(), key.name()));
    if (key.id().size() > 128 || HasControlChars(key.id())) {
      return Invalid(path + ".id", "must be at most 128 printable characters");
    }

    RETURN_IF_ERROR(NormalizeEnvValue(path + ".value", key.mutable_value()));
    RETURN_IF_ERROR(RejectRedacted(path + ".value", key.value()));
    RETURN_IF_ERROR(NormalizeKeyConfigs(path, &key));
    const bool has_provider_credentials = key.has_azure_key_config() ||
                                          key.has_vertex_key_config() ||
                                          key.has_bedrock_key_config();
    if (!IsSet(key.value()) && !key_less && !has_provider_credentials) {
      return Invalid(path + ".value", "is required (a literal or \"env.NAME\")");
    }

    if (!key.has_weight()) key.set_weight(kDefaultKeyWeight);
    if (!std::isfinite(key.weight()) || key.weight() < 0) {
      return Invalid(path + ".weight", "must be a number >= 0");
    }
    if (!key.has_enabled()) key.set_enabled(true);
    if (!key.has_use_for_batch_api()) key.set_use_for_batch_api(false);

    std::set<std::string> models;
    bool all_models = key.models().empty();
    for (int m = 0; m < key.models_size(); ++m) {
      const std::string& model = key.models(m);
      if (model.empty() || HasControlChars(model)) {
        return Invalid(StrCat(path, ".models[", m, "]"), "must be a non-empty model name");
      }
      if (model == "*") all_models = true;
      models.insert(model);
    }
    key.clear_models();
    if (all_models) {
      key.add_models("*");
    } else {
      for (const std::string& model : models) key.add_models(model);
    }
  }

  std::set<std::string> ids;
  std::set<std::string> seen_names;
  for (const Key& key : keys) {
    if (!seen_names.insert(key.name()).second) {
      return Invalid("keys", StrCat("has two keys named \"", key.name(),
                                          "\"; key names must be unique within a provider"));
    }
    if (!ids.insert(key.id()).second) {
      return Invalid("keys", StrCat("has two keys with id \"", key.id(), "\""));
    }
  }
  std::sort(keys.begin(), keys.end(),
            [](const Key& a, const Key& b) { return a.name() < b.name(); });
  return absl::OkStatus();
}


absl::Status ValidatePem(std::string_view path, const std::string& pem) {
  if (pem.empty()) return absl::OkStatus();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), pem.size()),
                                                &BIO_free);
  int certificates = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++certificates;
  }
  if (certificates == 0) return Invalid(path, "must hold at least one PEM certificate");
  return absl::OkStatus();
}

bool IsHeaderToken(std::string_view name) {
  static constexpr std::string_view kTokenExtras = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           kTokenExtras.find(c) != std::string_view::npos;
  });
}

absl::Status NormalizeNetwork(ProviderConfig* config, std::string_view base_type) {
  auto* network = config->mutable_network_config();
  std::string base_url = std::string(absl::StripAsciiWhitespace(network->base_url()));
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  network->set_base_url(base_url);
  if (!base_url.empty()) {
    RETURN_IF_ERROR(ValidateUrl("network_config.base_url", base_url, {"http", "https"}));
  } else if (RequiresBaseUrl(base_type)) {
    return Invalid("network_config.base_url",
                   StrCat("is required for ", base_type, " providers"));
  }

  google::protobuf::Map<std::string, std::string> headers;
  for (const auto& [name, value] : network->extra_headers()) {
    const std::string path = StrCat("network_config.extra_headers.", name);
    const std::string lower = absl::AsciiStrToLower(name);
    if (!IsHeaderToken(name)) return Invalid(path, "is not a valid HTTP header name");
    if (HasControlChars(value)) return Invalid(path, "must not contain control characters");
    if (IsSensitiveHeader(lower) && LooksRedacted(value)) {
      return Invalid(path, "is a redacted placeholder that matches no stored secret; send the "
                           "real value");
    }
    if (IsDeniedHeader(lower)) {
      return Invalid(path, "is on the security denylist and is never forwarded");
    }
    if (!headers.insert({lower, value}).second) {
      return Invalid(path, "is given twice (header names are case-insensitive)");
    }
  }
  *network->mutable_extra_headers() = std::move(headers);

  if (!network->has_default_request_timeout_in_seconds()) {
    network->set_default_request_timeout_in_seconds(kDefaultTimeoutSeconds);
  }
  if (!network->has_max_retries()) network->set_max_retries(kDefaultMaxRetries);
  if (!network->has_retry_backoff_initial()) {
    network->set_retry_backoff_initial(kDefaultBackoffInitialMs);
  }
  if (!network->has_retry_backoff_max()) network->set_retry_backoff_max(kDefaultBackoffMaxMs);
  if (!network->has_stream_idle_timeout_in_seconds()) {
    network->set_stream_idle_timeout_in_seconds(kDefaultStreamIdleTimeoutSeconds);
  }
  const int64_t idle = network->stream_idle_timeout_in_seconds();
  if (idle < 1 || idle > kMaxStreamIdleTimeoutSeconds) {
    return Invalid("network_config.stream_idle_timeout_in_seconds",
                   StrCat("must be between 1 and ", kMaxStreamIdleTimeoutSeconds));
  }

  const int64_t timeout = network->default_request_timeout_in_seconds();
  if (timeout < 1 || timeout > kMaxTimeoutSeconds) {
    return Invalid("network_config.default_request_timeout_in_seconds",
                   StrCat("must be between 1 and ", kMaxTimeoutSeconds));
  }
  if (network->max_retries() < 0 || network->max_retries() > kMaxRetries) {
    return Invalid("network_config.max_retries", StrCat("must be between 0 and ",
                                                              kMaxRetries));
  }
  if (network->retry_backoff_initial() < 0 || network->retry_backoff_initial() > kMaxBackoffMs) {
    return Invalid("network_config.retry_backoff_initial",
                   StrCat("must be between 0 and ", kMaxBackoffMs, " ms"));
  }
  if (network->retry_backoff_max() < 0 || network->retry_backoff_max() > kMaxBackoffMs) {
    return Invalid("network_config.retry_backoff_max",
                   StrCat("must be between 0 and ", kMaxBackoffMs, " ms"));
  }
  if (network->retry_backoff_initial() > network->retry_backoff_max()) {
    return Invalid("network_config.retry_backoff_initial",
                   "must not exceed network_config.retry_backoff_max");
  }
  if (network->ca_cert_pem() == kRedactedMarker) {
    return Invalid("network_config.ca_cert_pem",
                   "is a redacted placeholder that matches no stored certificate");
  }
  RETURN_IF_ERROR(ValidatePem("network_config.ca_cert_pem", network->ca_cert_pem()));
  for (const auto& [prefix, enabled] : network->beta_header_overrides()) {
    if (prefix.empty() || !IsHeaderToken(prefix)) {
      return Invalid(StrCat("network_config.beta_header_overrides.", prefix),
                     "must be an anthropic-beta header prefix");
    }
  }
  return absl::OkStatus();
}

absl::Status NormalizeConcurrency(ProviderConfig* config) {
  auto* limits = config->mutable_concurrency_and_buffer_size();
  if (!limits->has_concurrency()) limits->set_concurrency(kDefaultConcurrency);
  if (!limits->has_buffer_size()) limits->set_buffer_size(kDefaultBufferSize);
  if (limits->concurrency() <= 0 || limits->concurrency() > kMaxConcurrency) {
    return Invalid("concurrency_and_buffer_size.concurrency",
                   StrCat("must be between 1 and ", kMaxConcurrency));
  }
  if (limits->buffer_size() <= 0 || limits->buffer_size() > kMaxBufferSize) {
    return Invalid("concurrency_and_buffer_size.buffer_size",
                   StrCat("must be between 1 and ", kMaxBufferSize));
  }
  if (limits->concurrency() > limits->buffer_size()) {
    return Invalid("concurrency_and_buffer_size.concurrency",
                   "must not exceed concurrency_and_buffer_size.buffer_size");
  }
  return absl::OkStatus();
}

absl::Status NormalizeProxy(ProviderConfig* config) {
  auto* proxy = config->mutable_proxy_config();
  proxy->set_type(absl::AsciiStrToLower(proxy->type()));
  if (proxy->type().empty()) proxy->set_type("none");
  const std::string& type = proxy->type();
  if (type != "none" && type != "http" && type != "socks5" && type != "environment") {
    return Invalid("proxy_config.type", "must be one of none, http, socks5, environment");
  }
  if (type == "http" || type == "socks5") {
    if (proxy->url().empty()) {
      return Invalid("proxy_config.url", StrCat("is required for ", type, " proxies"));
    }
    RETURN_IF_ERROR(
        ValidateUrl("proxy_config.url", proxy->url(), {"http", "https", "socks5", "socks5h"}));
  } else if (!proxy->url().empty() || !proxy->username().empty() ||
             !proxy->password().empty()) {
    return Invalid("proxy_config",
                   StrCat("url, username and password apply only to http and socks5 "
                                "proxies, not to type ", type));
  }
  if (HasControlChars(proxy->username()) || HasControlChars(proxy->password())) {
    return Invalid("proxy_config", "username and password must not contain control characters");
  }
  if (UrlHasRedactedPassword(proxy->url())) {
    return Invalid("proxy_config.url", "holds a redacted password that matches no stored URL; "
                                       "send the real one");
  }
  if (proxy->password() == kRedactedMarker) {
    return Invalid("proxy_config.password",
                   "is a redacted placeholder that matches no stored password");
  }
  if (proxy->ca_cert_pem() == kRedactedMarker) {
    return Invalid("proxy_config.ca_cert_pem",
                   "is a redacted placeholder that matches no stored certificate");
  }
  return ValidatePem("proxy_config.ca_cert_pem", proxy->ca_cert_pem());
}

absl::Status NormalizeCustom(ProviderConfig* config) {
  const bool standard = IsStandardProvider(config->name());
  if (!config->has_custom_provider_config()) {
    if (!standard) {
      return Invalid("custom_provider_config.base_provider_type",
                     StrCat("is required: \"", config->name(),
                                  "\" is not a standard provider, so it must name the standard "
                                  "provider it is built on"));
    }
    return absl::OkStatus();
  }
  auto* custom = config->mutable_custom_provider_config();
  const std::string& base = custom->base_provider_type();
  if (standard) {
    // A custom provider may not take a standard provider's name (seed 003): naming a base
    // type declares a custom provider, so it needs a name of its own.
    if (!base.empty()) {
      return Invalid("custom_provider_config",
                     StrCat("declares a custom provider, but \"", config->name(),
                            "\" is a standard provider's name; choose another name for a "
                            "custom provider"));
    }
  } else if (base.empty()) {
    return Invalid("custom_provider_config.base_provider_type",
                   StrCat("is required for the custom provider \"", config->name(), "\""));
  } else if (!IsStandardProvider(base)) {
    return Invalid("custom_provider_config.base_provider_type",
                   StrCat("must be a standard provider type, not \"", base, "\""));
  }
  for (const auto& [request_type, path] : custom->request_path_overrides()) {
    const std::string field = StrCat("custom_provider_config.request_path_overrides.",
                                           request_type);
    if (!IsRequestType(request_type)) return Invalid(field, "is not a request type");
    if (path.empty() || path[0] != '/' || HasControlChars(path) ||
        path.find_first_of(" \t") != std::string::npos) {
      return Invalid(field, "must be a path starting with '/'");
    }
  }
  if (custom->has_allowed_requests()) {
    // Spell out every request type, so {} and {"chat_completion": false} hash equal.
    auto* allowed = custom->mutable_allowed_requests();
    const auto* descriptor = allowed->GetDescriptor();
    const auto* reflection = allowed->GetReflection();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const auto* field = descriptor->field(i);
      reflection->SetBool(allowed, field, reflection->GetBool(*allowed, field));
    }
  }
  // An empty custom_provider_config on a standard provider means nothing: drop it.
  if (standard && !custom->is_key_less() && !custom->has_allowed_requests() &&
      custom->request_path_overrides().empty()) {
    config->clear_custom_provider_config();
  }
  return absl::OkStatus();
}

}  // namespace

// A URL as the data plane will compile it: the same parser (common/url.h) on both planes, so
// a URL accepted here can never be refused by a data plane.
absl::Status ValidateUrl(std::string_view path, std::string_view url,
                         std::initializer_list<std::string_view> schemes) {
  if (HasControlChars(url)) return Invalid(path, "must not contain control characters");
  absl::StatusOr<ServiceUrl> parsed = ParseServiceUrl(url, schemes);
  if (!parsed.ok()) return Invalid(path, ToStd(parsed.status().message()));
  return absl::OkStatus();
}

std::string_view BaseProviderType(const ProviderConfig& config) {
  if (config.has_custom_provider_config() &&
      !config.custom_provider_config().base_provider_type().empty()) {
    return config.custom_provider_config().base_provider_type();
  }
  return config.name();
}

absl::StatusOr<ProviderConfig> Canonicalize(ProviderConfig config) {
  RETURN_IF_ERROR(ValidateProviderName(config.name()));
  RETURN_IF_ERROR(NormalizeCustom(&config));
  RETURN_IF_ERROR(NormalizeKeys(&config));
  RETURN_IF_ERROR(NormalizeNetwork(&config, BaseProviderType(config)));
  RETURN_IF_ERROR(NormalizeConcurrency(&config));
  RETURN_IF_ERROR(NormalizeProxy(&config));
  if (!config.has_send_back_raw_request()) config.set_send_back_raw_request(false);
  if (!config.has_send_back_raw_response()) config.set_send_back_raw_response(false);
  if (!config.has_store_raw_request_response()) config.set_store_raw_request_response(false);
  if (config.has_raw_log_max_bytes()) {
    if (config.raw_log_max_bytes() < 1 || config.raw_log_max_bytes() > kMaxRawLogBytes) {
      return Invalid("raw_log_max_bytes", StrCat("must be between 1 and ", kMaxRawLogBytes));
    }
    if (config.raw_log_max_bytes() == kDefaultRawLogBytes) config.clear_raw_log_max_bytes();
  }
  if (config.description().size() > kMaxDescription) {
    return Invalid("description", StrCat("must be at most ", kMaxDescription, " bytes"));
  }
  config.set_provider_status("active");
  config.set_status("active");
  config.set_config_hash(ConfigHash(config));
  return config;
}

std::string CanonicalJson(const ProviderConfig& canonical) {
  return ProviderToJson(canonical, JsonView::kCanonical);
}

std::string ConfigHash(const ProviderConfig& canonical) {
  return Sha256Hex(CanonicalJson(canonical));
}

struct TableHasher::State {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::string pending;  // lines batched into large updates (small ones are slow)
  ~State() { EVP_MD_CTX_free(context); }
  void Flush() {
    EVP_DigestUpdate(context, pending.data(), pending.size());
    pending.clear();
  }
};

TableHasher::TableHasher() : state_(new State) {
  EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr);
}

TableHasher::~TableHasher() { delete state_; }

void TableHasher::Add(std::string_view name, std::string_view config_hash) {
  std::string& pending = state_->pending;
  pending.append(name).append(":").append(config_hash).append("\n");
  if (pending.size() >= 64 * 1024) state_->Flush();
}

std::string TableHasher::Finish() {
  state_->Flush();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->context, digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

std::string TableHash(std::vector<std::pair<std::string, std::string>> name_and_hash) {
  std::sort(name_and_hash.begin(), name_and_hash.end());
  TableHasher hasher;
  for (const auto& [name, hash] : name_and_hash) hasher.Add(name, hash);
  return hasher.Finish();
}

}  // namespace switchyard::common
