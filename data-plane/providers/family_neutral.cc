#include "data-plane/providers/family_neutral.h"

#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/router/retry_policy.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

// Recursive merge: objects merge member by member, anything else replaces.
void Merge(nlohmann::ordered_json& into, const nlohmann::ordered_json& from) {
  for (const auto& [key, value] : from.items()) {
    if (value.is_object() && into.contains(key) && into[key].is_object()) {
      Merge(into[key], value);
    } else {
      into[key] = value;
    }
  }
}

std::string JsonString(std::string_view text) {
  const bool plain = std::none_of(text.begin(), text.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (!plain) return nlohmann::ordered_json(std::string(text)).dump();
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  out.append(text);
  out.push_back('"');
  return out;
}

}  // namespace

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return {};
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && padding < 2 && text[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

absl::Status CompileEndpoint(const v1::ProviderConfig& config, std::string_view default_base_url,
                             ProviderEntry* entry) {
  return CompileEndpoint(config, default_base_url, &entry->endpoint);
}

absl::Status CompileEndpoint(const v1::ProviderConfig& config, std::string_view default_base_url,
                             UpstreamEndpoint* out) {
  const v1::NetworkConfig& network = config.network_config();
  const std::string base_url =
      network.base_url().empty() ? std::string(default_base_url) : network.base_url();
  if (base_url.empty()) return absl::InvalidArgumentError("it has no base_url");
  absl::StatusOr<UpstreamEndpoint> endpoint = ParseBaseUrl(base_url);
  if (!endpoint.ok()) {
    return absl::InvalidArgumentError(
        common::StrCat("network_config.base_url ", endpoint.status().message()));
  }
  *out = *std::move(endpoint);
  // A base URL of scheme, host and port only keeps the family's path prefix (groq's /openai,
  // openrouter's /api, ...): it changes where requests go, not what they are.
  if (!network.base_url().empty() && out->base_path.empty() && !default_base_url.empty()) {
    if (absl::StatusOr<UpstreamEndpoint> family = ParseBaseUrl(default_base_url); family.ok()) {
      out->base_path = family->base_path;
    }
  }
  out->ca_cert_pem = network.ca_cert_pem();
  out->insecure_skip_verify = network.insecure_skip_verify();
  out->pool_key = PoolKey(*out);
  return absl::OkStatus();
}

void CompileKeyHeader(std::string_view name, std::string_view prefix, ProviderEntry* entry) {
  for (ResolvedKey& key : entry->keys) {
    if (!key.secret.empty()) CompileKeyHeader(name, prefix, *entry, &key);
  }
}

void CompileKeyHeader(std::string_view name, std::string_view prefix, const ProviderEntry& entry,
                      ResolvedKey* key) {
  key->auth_headers = {{std::string(name), common::StrCat(prefix, key->secret)}};
  if (!entry.HasExtraHeader(name)) {
    key->auth_header_lines = common::StrCat(name, ": ", prefix, key->secret, "\r\n");
  }
}

UpstreamFailure UpstreamFailureFor(int status, std::string_view retry_after) {
  UpstreamFailure failure;
  failure.retryable = IsRetryableStatus(status);
  failure.retry_after = ParseRetryAfter(retry_after);
  failure.error.http_status = status;
  failure.error.is_bifrost_error = false;
  failure.error.type = "upstream_error";
  failure.error.code = common::StrCat("upstream_", status);
  return failure;
}

void FillMissingMessage(int status, std::string_view body, common::ApiError* error) {
  if (!error->message.empty()) return;
  error->message = body.empty() ? common::StrCat("provider answered ", status)
                                : std::string(body.substr(0, 512));
}

std::vector<std::string> ConfiguredModels(const ProviderEntry& entry) {
  std::set<std::string> models;
  for (const ResolvedKey& key : entry.keys) {
    if (!key.enabled) continue;
    for (const std::string& model : key.models) {
      if (model != "*") models.insert(model);
    }
  }
  return {models.begin(), models.end()};
}

std::string RewriteBody(const RequestBody& body, std::string_view bare_model,
                              bool merge_extra_params) {
  if (!body.has_fallbacks && !body.has_extra_params) {
    // The hot path: every byte as the client sent it, the model replaced in place.
    std::string out;
    out.reserve(body.text.size());
    out.append(body.text, 0, body.model_offset);
    out.append(JsonString(bare_model));
    out.append(body.text, body.model_offset + body.model_length);
    return out;
  }
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(body.text, nullptr, false);
  json["model"] = std::string(bare_model);
  json.erase("fallbacks");
  auto extra = json.find("extra_params");
  if (extra != json.end()) {
    nlohmann::ordered_json params = std::move(*extra);
    json.erase("extra_params");
    if (merge_extra_params && params.is_object()) {
      for (const char* handled : {"model", "stream", "fallbacks", "extra_params"}) {
        params.erase(handled);
      }
      Merge(json, params);
    }
  }
  return DumpJson(json);
}

absl::StatusOr<std::string> WithRawFieldsIfAsked(
    absl::StatusOr<std::string> translated,
    const std::function<absl::StatusOr<std::string>()>& sent, std::string_view upstream_body,
    const AttemptTarget& target) {
  if (!translated.ok() || (!target.raw_request && !target.raw_response)) return translated;
  absl::StatusOr<std::string> body = sent();
  return WithRawFields(*std::move(translated), body.ok() ? *body : std::string(), upstream_body,
                       target);
}

std::string WithRawFields(std::string response, std::string_view raw_request,
                          std::string_view raw_response, const AttemptTarget& target) {
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(response, nullptr, false);
  if (!json.is_object()) return response;
  nlohmann::ordered_json& extra = json["extra_fields"];
  if (!extra.is_object()) extra = nlohmann::ordered_json::object();
  extra["provider"] = std::string(target.provider);
  // A body that is not JSON is kept as a string.
  auto parsed = [](std::string_view text) {
    nlohmann::ordered_json value = nlohmann::ordered_json::parse(text, nullptr, false);
    return value.is_discarded() ? nlohmann::ordered_json(std::string(text)) : value;
  };
  if (target.raw_request) extra["raw_request"] = parsed(raw_request);
  if (target.raw_response) extra["raw_response"] = parsed(raw_response);
  return DumpJson(json);
}

absl::StatusOr<ImageData> SplitImageDataUrl(std::string_view url) {
  const size_t semicolon = url.find(';');
  const size_t comma = url.find(',');
  if (!url.starts_with("data:") || semicolon == std::string_view::npos ||
      comma == std::string_view::npos || comma < semicolon ||
      url.compare(semicolon, 8, ";base64,") != 0) {
    return absl::InvalidArgumentError("image data URLs must be data:<mime>;base64,<data>");
  }
  return ImageData{std::string(url.substr(5, semicolon - 5)), std::string(url.substr(comma + 1))};
}

}  // namespace switchyard::dp
