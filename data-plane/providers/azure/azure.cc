#include "data-plane/providers/azure/azure.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/multipart.h"
#include "data-plane/providers/sse.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/providers/vertex/service_account.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

std::string_view PathOf(std::string_view request_type) {
  if (IsChatRequest(request_type)) {
    return "/chat/completions";
  }
  if (request_type == "text_completion" || request_type == "text_completion_stream") {
    return "/completions";
  }
  if (request_type == "embedding") return "/embeddings";
  if (request_type == "speech" || request_type == "speech_stream") return "/audio/speech";
  if (request_type == "image_generation" || request_type == "image_generation_stream") {
    return "/images/generations";
  }
  return {};
}

// Azure's chunks that strict OpenAI clients choke on (ADAPTERS.md §9 item 12) are dropped;
// every other event passes through as sent.
class AzureStream : public SseStreamTranslator {
 protected:
  absl::Status OnEvent(std::string_view data, std::string* client) override {
    if (data != "[DONE]" && data.find("_filter_") != std::string_view::npos && !Keep(data)) {
      return absl::OkStatus();
    }
    client->append("data: ").append(data).append("\n\n");
    if (data == "[DONE]") Done();
    return absl::OkStatus();
  }
  absl::Status Finish(std::string*) override { return absl::OkStatus(); }

 private:
  // A chunk with a filter report is kept when it carries usage, or a choice with a delta or a
  // finish reason.
  static bool Keep(std::string_view data) {
    const json chunk = json::parse(data, nullptr, false);
    if (const json* usage = FindMember(chunk, "usage"); usage != nullptr && !usage->is_null()) {
      return true;
    }
    const json* choices = FindMember(chunk, "choices");
    if (choices == nullptr || !choices->is_array()) return true;  // not ours to judge
    for (const json& choice : *choices) {
      if (FindMember(choice, "delta") != nullptr) return true;
      if (const json* finish = FindMember(choice, "finish_reason"); finish && !finish->is_null()) {
        return true;
      }
    }
    return false;
  }
};

}  // namespace

absl::Status AzureAdapter::Compile(const v1::ProviderConfig& config, ProviderEntry* entry) const {
  // The entry's own endpoint is only a fallback: every key has its resource's.
  if (absl::Status endpoint = CompileEndpoint(config, "https://openai.azure.com", entry);
      !endpoint.ok()) {
    return endpoint;
  }
  const char* authority = std::getenv("AZURE_AUTHORITY_HOST");
  const std::string authority_host =
      authority != nullptr && *authority != '\0' ? authority : "https://login.microsoftonline.com";
  for (ResolvedKey& key : entry->keys) {
    if (key.env_missing) continue;  // disabled; /config shows why
    const std::string where = StrCat("key \"", key.name, "\": azure_key_config.");
    const std::string_view resource = key.ConfigField("endpoint");
    if (resource.empty() && config.network_config().base_url().empty()) {
      return absl::InvalidArgumentError(StrCat(where, "endpoint is required"));
    }
    key.endpoint.emplace();
    if (absl::Status endpoint = CompileEndpoint(config, resource, &*key.endpoint); !endpoint.ok()) {
      return endpoint;
    }
    key.path_prefix = StrCat(key.endpoint->base_path, "/openai/deployments/");
    const std::string_view client_id = key.ConfigField("client_id");
    const std::string_view client_secret = key.ConfigField("client_secret");
    const std::string_view tenant_id = key.ConfigField("tenant_id");
    if (!client_id.empty() || !client_secret.empty() || !tenant_id.empty()) {
      if (tenant_id.empty()) {
        return absl::InvalidArgumentError(StrCat(where, "tenant_id is required for Entra auth"));
      }
      absl::StatusOr<std::shared_ptr<const OAuthCredential>> credential = CompileClientCredentials(
          StrCat(authority_host, "/", PercentEncode(tenant_id), "/oauth2/v2.0/token"), client_id,
          client_secret, kEntraScope, entry->proxy);
      if (!credential.ok()) {
        return absl::InvalidArgumentError(StrCat(where, credential.status().message()));
      }
      key.oauth = *std::move(credential);
    } else if (!key.secret.empty()) {
      CompileKeyHeader("api-key", "", *entry, &key);
    } else {
      return absl::InvalidArgumentError(
          StrCat("key \"", key.name, "\" needs a value (sent as api-key) or azure_key_config's "
                 "client_id, client_secret and tenant_id (Entra)"));
    }
  }
  return absl::OkStatus();
}

absl::Status AzureAdapter::BuildRequest(const InferenceRequest& request,
                                        const AttemptTarget& target,
                                        UpstreamRequest* out) const {
  const ResolvedKey* key = target.key;
  if (key == nullptr || !key->endpoint) {
    return absl::InternalError("azure request without a compiled key");
  }
  // Uploads name their path (/audio/transcriptions, /images/edits); files and batches are
  // the resource's, not a deployment's (/openai/files?api-version=…).
  const std::string_view resource = request.resource_path;
  const std::string_view path =
      resource.empty() ? PathOf(request.request_type) : resource.substr(0, resource.find('?'));
  if (path.empty()) {
    return absl::UnimplementedError(
        StrCat(request.request_type, " is not served by azure providers here"));
  }
  const size_t question = resource.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : resource.substr(question + 1);
  std::string_view version = key->ConfigField("api_version");
  if (version.empty()) version = kDefaultApiVersion;
  out->endpoint = &*key->endpoint;
  out->method = std::string(request.method);
  if (target.model.empty()) {
    out->target = StrCat(key->endpoint->base_path, "/openai", path, "?api-version=",
                         PercentEncode(version), query.empty() ? "" : "&", query);
  } else {
    const auto mapped = key->deployments.find(std::string(target.model));
    const std::string_view deployment =
        mapped != key->deployments.end() ? std::string_view(mapped->second) : target.model;
    out->target = StrCat(key->path_prefix, PercentEncode(deployment), path,
                         "?api-version=", PercentEncode(version));
  }
  ComposeUpstreamHeaders(request, target, out);
  if (!target.access_token.empty() && !target.entry->HasExtraHeader("authorization")) {
    out->headers.emplace_back("authorization", StrCat("Bearer ", target.access_token));
  }
  if (!resource.empty()) {
    ResourceBody(request, target, out);
  } else {
    out->body = RewriteBody(request.body, target.model, target.merge_extra_params);
  }
  return absl::OkStatus();
}

std::unique_ptr<StreamTranslator> AzureAdapter::NewStreamTranslator(const InferenceRequest&,
                                                                    const AttemptTarget&) const {
  return std::make_unique<AzureStream>();
}

}  // namespace switchyard::dp
