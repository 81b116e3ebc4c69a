#include "data-plane/providers/vertex/vertex.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/anthropic/anthropic.h"
#include "data-plane/providers/anthropic/openai_anthropic.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/gemini/gemini.h"
#include "data-plane/providers/gemini/openai_gemini.h"
#include "data-plane/providers/gemini/gemini_media.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/providers/vertex/service_account.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

bool IsClaude(std::string_view model) { return model.starts_with("claude"); }

// The upstream body of a chat request for `model`.
absl::StatusOr<std::string> ChatBody(const InferenceRequest& request, std::string_view model) {
  if (IsClaude(model)) {
    return OpenAiToAnthropicRequest(request.body.text, model, request.stream,
                                    VertexAdapter::kAnthropicVersion);
  }
  return OpenAiToGeminiRequest(request.body.text);
}

}  // namespace

std::string VertexBaseUrl(std::string_view region) {
  if (region == "global") return "https://aiplatform.googleapis.com";
  return StrCat("https://", region, "-aiplatform.googleapis.com");
}

absl::Status VertexAdapter::Compile(const v1::ProviderConfig& config, ProviderEntry* entry) const {
  // The entry's own endpoint is only a fallback: every key has its region's.
  if (absl::Status endpoint = CompileEndpoint(config, VertexBaseUrl("global"), entry);
      !endpoint.ok()) {
    return endpoint;
  }
  for (ResolvedKey& key : entry->keys) {
    if (key.env_missing) continue;  // disabled; /config shows why
    const std::string where = StrCat("key \"", key.name, "\": vertex_key_config.");
    const std::string_view project = key.ConfigField("project_id");
    const std::string_view region = key.ConfigField("region");
    const std::string_view credentials = key.ConfigField("auth_credentials");
    if (project.empty()) return absl::InvalidArgumentError(StrCat(where, "project_id is required"));
    if (region.empty()) return absl::InvalidArgumentError(StrCat(where, "region is required"));
    if (credentials.empty()) {
      return absl::InvalidArgumentError(StrCat(
          where, "auth_credentials is empty: application default credentials are not supported "
                 "by this data plane; set it to a service-account key file (JSON) or env.NAME"));
    }
    key.endpoint.emplace();
    if (absl::Status endpoint = CompileEndpoint(config, VertexBaseUrl(region), &*key.endpoint);
        !endpoint.ok()) {
      return endpoint;
    }
    key.path_prefix =
        StrCat(key.endpoint->base_path, "/v1/projects/", project, "/locations/", region);
    absl::StatusOr<std::shared_ptr<const OAuthCredential>> credential =
        CompileServiceAccount(credentials, kCloudPlatformScope, entry->proxy);
    if (!credential.ok()) return absl::InvalidArgumentError(StrCat(where, credential.status().message()));
    key.oauth = *std::move(credential);
  }
  return absl::OkStatus();
}

absl::Status VertexAdapter::BuildRequest(const InferenceRequest& request,
                                         const AttemptTarget& target,
                                         UpstreamRequest* out) const {
  const ResolvedKey* key = target.key;
  if (key == nullptr || !key->endpoint || target.access_token.empty()) {
    return absl::InternalError("vertex request without a compiled key and access token");
  }
  const std::string_view model = target.model;
  std::string model_path;
  if (auto deployment = key->deployments.find(std::string(model));
      deployment != key->deployments.end()) {
    const std::string_view number = key->ConfigField("project_number");
    if (number.empty()) {
      return absl::InvalidArgumentError(StrCat("model \"", model,
                                               "\" is a deployment: vertex_key_config."
                                               "project_number is required for it"));
    }
    model_path = StrCat(key->endpoint->base_path, "/v1beta1/projects/", number, "/locations/",
                        key->ConfigField("region"), "/endpoints/", deployment->second);
  } else {
    model_path = StrCat(key->path_prefix, "/publishers/", IsClaude(model) ? "anthropic" : "google",
                        "/models/", model);
  }
  if (request.request_type == "embedding" && !IsClaude(model)) {
    absl::StatusOr<std::string> body = OpenAiToVertexEmbedding(request.body.text);
    if (!body.ok()) return body.status();
    out->target = StrCat(model_path, ":predict");
    out->body = *std::move(body);
  } else if (IsGeminiMedia(request) && !IsClaude(model)) {
    absl::StatusOr<std::string> body = GeminiMediaRequest(request);
    if (!body.ok()) return body.status();
    out->target = StrCat(model_path, ":generateContent");
    out->body = *std::move(body);
  } else if (IsChatRequest(request.request_type)) {
    absl::StatusOr<std::string> body = ChatBody(request, model);
    if (!body.ok()) return body.status();
    out->body = *std::move(body);
    if (IsClaude(model)) {
      out->target = StrCat(model_path, request.stream ? ":streamRawPredict" : ":rawPredict");
    } else {
      out->target = StrCat(model_path, request.stream ? ":streamGenerateContent?alt=sse"
                                                      : ":generateContent");
    }
  } else {
    return absl::UnimplementedError(
        StrCat(request.request_type, " is not served by vertex providers here for model ", model));
  }
  out->endpoint = &*key->endpoint;
  ComposeUpstreamHeaders(request, target, out);
  if (IsClaude(model)) AddAnthropicBeta(request, *target.entry, out);
  if (!target.entry->HasExtraHeader("authorization")) {
    out->headers.emplace_back("authorization", StrCat("Bearer ", target.access_token));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> VertexAdapter::TranslateResponse(const InferenceRequest& request,
                                                             const AttemptTarget& target,
                                                             std::string upstream_body) const {
  if (request.request_type == "embedding") {
    return VertexToOpenAiEmbedding(upstream_body, request.body.text, target.model);
  }
  if (IsGeminiMedia(request)) return GeminiMediaAnswer(request, upstream_body);
  return WithRawFieldsIfAsked(IsClaude(target.model)
                                  ? AnthropicToOpenAiResponse(upstream_body)
                                  : GeminiToOpenAiResponse(upstream_body, target.model),
                              [&] { return ChatBody(request, target.model); }, upstream_body,
                              target);
}

bool VertexAdapter::RelaysBody(const InferenceRequest& request) const {
  return !IsGeminiMedia(request);
}

std::string VertexAdapter::ResponseContentType(const InferenceRequest& request) const {
  return GeminiMediaContentType(request);
}

std::unique_ptr<StreamTranslator> VertexAdapter::NewStreamTranslator(
    const InferenceRequest& request, const AttemptTarget& target) const {
  if (IsClaude(target.model)) return NewAnthropicToOpenAiStream(request.body.include_usage);
  return NewGeminiToOpenAiStream(target.model, request.body.include_usage);
}

UpstreamFailure VertexAdapter::ClassifyError(int status, std::string_view retry_after,
                                             std::string_view body) const {
  // Vertex answers in Google's error shape ({"error": {"code", "message", "status"}}), and
  // rawPredict in Anthropic's ({"type": "error", "error": {"type", "message"}}).
  static const GeminiAdapter kGoogle;
  static const AnthropicAdapter kAnthropic;
  const bool anthropic = body.find("\"type\"") != std::string_view::npos &&
                         body.find("\"status\"") == std::string_view::npos;
  return anthropic ? kAnthropic.ClassifyError(status, retry_after, body)
                   : kGoogle.ClassifyError(status, retry_after, body);
}

std::vector<std::string> VertexAdapter::ListModels(const ProviderEntry& entry) const {
  return ConfiguredModels(entry);
}

}  // namespace switchyard::dp
