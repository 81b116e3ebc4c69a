#include "common/redaction.h"

#include <cctype>
#include <utility>

namespace switchyard::common {
namespace {

using v1::EnvValue;
using v1::Key;
using v1::ProviderConfig;

constexpr size_t kVisible = 4;
constexpr size_t kStars = 24;

bool IsLiteral(const EnvValue& value) { return !value.from_env() && !value.value().empty(); }

// The secret EnvValues of a key, by slot; nullptr when the sub-config holding that slot is
// absent. Slots let a stored key and an incoming key be compared field by field.
constexpr int kKeySecretSlots = 6;
EnvValue* KeySecret(Key* key, int slot) {
  switch (slot) {
    case 0: return key->mutable_value();
    case 1:
      return key->has_azure_key_config()
                 ? key->mutable_azure_key_config()->mutable_client_secret() : nullptr;
    case 2:
      return key->has_vertex_key_config()
                 ? key->mutable_vertex_key_config()->mutable_auth_credentials() : nullptr;
    case 3:
      return key->has_bedrock_key_config()
                 ? key->mutable_bedrock_key_config()->mutable_access_key() : nullptr;
    case 4:
      return key->has_bedrock_key_config()
                 ? key->mutable_bedrock_key_config()->mutable_secret_key() : nullptr;
    case 5:
      return key->has_bedrock_key_config()
                 ? key->mutable_bedrock_key_config()->mutable_session_token() : nullptr;
  }
  return nullptr;
}

// The provider-level secrets that redact to the marker, by slot.
constexpr int kMarkedSecretSlots = 3;
std::string* MarkedSecret(ProviderConfig* config, int slot) {
  switch (slot) {
    case 0:
      return config->has_network_config()
                 ? config->mutable_network_config()->mutable_ca_cert_pem() : nullptr;
    case 1:
      return config->has_proxy_config() ? config->mutable_proxy_config()->mutable_password()
                                        : nullptr;
    case 2:
      return config->has_proxy_config() ? config->mutable_proxy_config()->mutable_ca_cert_pem()
                                        : nullptr;
  }
  return nullptr;
}

// "scheme://user:password@host" -> the offset and length of "password" (0, 0 when none).
std::pair<size_t, size_t> UrlPassword(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {0, 0};
  const size_t authority = scheme + 3;
  const size_t end = url.find_first_of("/?#", authority);
  const std::string_view host_part = url.substr(authority, end == std::string_view::npos ? url.npos : end - authority);
  const size_t at = host_part.rfind('@');
  if (at == std::string_view::npos) return {0, 0};
  const size_t colon = host_part.find(':');
  if (colon == std::string_view::npos || colon > at || colon + 1 == at) return {0, 0};
  return {authority + colon + 1, at - colon - 1};
}

std::string RedactUrl(const std::string& url) {
  const auto [offset, length] = UrlPassword(url);
  if (length == 0) return url;
  std::string redacted = url;
  redacted.replace(offset, length, kRedactedMarker);
  return redacted;
}

const Key* FindStoredKey(const ProviderConfig& stored, const Key& incoming) {
  if (!incoming.id().empty()) {
    for (const Key& key : stored.keys()) {
      if (key.id() == incoming.id()) return &key;
    }
  }
  if (!incoming.name().empty()) {
    for (const Key& key : stored.keys()) {
      if (key.name() == incoming.name()) return &key;
    }
  }
  return nullptr;
}

}  // namespace

std::string RedactSecret(std::string_view secret) {
  if (secret.size() <= 2 * kVisible) return std::string(secret.size(), '*');
  std::string redacted(secret.substr(0, kVisible));
  redacted.append(kStars, '*');
  redacted.append(secret.substr(secret.size() - kVisible));
  return redacted;
}

bool IsSensitiveHeader(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string_view exact : {"authorization", "proxy-authorization", "cookie"}) {
    if (lower == exact) return true;
  }
  for (const std::string_view part : {"token", "secret", "key"}) {
    if (lower.find(part) != std::string::npos) return true;
  }
  return false;
}

bool UrlHasRedactedPassword(std::string_view url) {
  const auto [offset, length] = UrlPassword(url);
  return length != 0 && url.substr(offset, length) == kRedactedMarker;
}

bool LooksRedacted(std::string_view value) {
  if (value == kRedactedMarker) return true;
  if (value.empty()) return false;
  if (value.find_first_not_of('*') == std::string_view::npos) return value.size() <= 2 * kVisible;
  return value.size() == 2 * kVisible + kStars &&
         value.substr(kVisible, kStars).find_first_not_of('*') == std::string_view::npos;
}

void VisitStoredSecrets(ProviderConfig* config, const std::function<void(std::string*)>& visit) {
  for (Key& key : *config->mutable_keys()) {
    for (int slot = 0; slot < kKeySecretSlots; ++slot) {
      EnvValue* value = KeySecret(&key, slot);
      if (value != nullptr && IsLiteral(*value)) visit(value->mutable_value());
    }
  }
  if (config->has_proxy_config() && !config->proxy_config().password().empty()) {
    visit(config->mutable_proxy_config()->mutable_password());
  }
  if (config->has_network_config()) {
    for (auto& [name, value] : *config->mutable_network_config()->mutable_extra_headers()) {
      if (IsSensitiveHeader(name) && !value.empty()) visit(&value);
    }
  }
}

ProviderConfig RedactSecrets(const ProviderConfig& config) {
  ProviderConfig redacted = config;
  for (Key& key : *redacted.mutable_keys()) {
    for (int slot = 0; slot < kKeySecretSlots; ++slot) {
      EnvValue* value = KeySecret(&key, slot);
      if (value != nullptr && IsLiteral(*value)) value->set_value(RedactSecret(value->value()));
    }
  }
  for (int slot = 0; slot < kMarkedSecretSlots; ++slot) {
    std::string* secret = MarkedSecret(&redacted, slot);
    if (secret != nullptr && !secret->empty()) *secret = std::string(kRedactedMarker);
  }
  if (redacted.has_network_config()) {
    for (auto& [name, value] : *redacted.mutable_network_config()->mutable_extra_headers()) {
      if (IsSensitiveHeader(name) && !value.empty()) value = RedactSecret(value);
    }
  }
  if (redacted.has_proxy_config()) {
    redacted.mutable_proxy_config()->set_url(RedactUrl(redacted.proxy_config().url()));
  }
  return redacted;
}

void RestoreRedactedSecrets(const ProviderConfig& stored, ProviderConfig* incoming) {
  for (Key& key : *incoming->mutable_keys()) {
    const Key* match = FindStoredKey(stored, key);
    if (match == nullptr) continue;
    Key original = *match;
    for (int slot = 0; slot < kKeySecretSlots; ++slot) {
      EnvValue* value = KeySecret(&key, slot);
      const EnvValue* from = KeySecret(&original, slot);
      if (value == nullptr || from == nullptr) continue;
      if (value->from_env() || !value->env_var().empty() || !LooksRedacted(value->value())) {
        continue;
      }
      if (IsLiteral(*from) && RedactSecret(from->value()) == value->value()) {
        value->set_value(from->value());
      }
    }
  }
  ProviderConfig original = stored;
  for (int slot = 0; slot < kMarkedSecretSlots; ++slot) {
    std::string* secret = MarkedSecret(incoming, slot);
    const std::string* from = MarkedSecret(&original, slot);
    if (secret != nullptr && from != nullptr && *secret == kRedactedMarker && !from->empty()) {
      *secret = *from;
    }
  }
  if (incoming->has_network_config()) {
    const auto& stored_headers = stored.network_config().extra_headers();
    for (auto& [name, value] : *incoming->mutable_network_config()->mutable_extra_headers()) {
      auto from = stored_headers.find(name);
      if (IsSensitiveHeader(name) && LooksRedacted(value) && from != stored_headers.end() &&
          RedactSecret(from->second) == value) {
        value = from->second;
      }
    }
  }
  if (incoming->has_proxy_config() && UrlHasRedactedPassword(incoming->proxy_config().url()) &&
      RedactUrl(stored.proxy_config().url()) == incoming->proxy_config().url()) {
    incoming->mutable_proxy_config()->set_url(stored.proxy_config().url());
  }
}

}  // namespace switchyard::common
