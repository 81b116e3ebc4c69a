#include "data-plane/providers/gemini/gemini.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/gemini/gemini_media.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/model_list.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

}  // namespace

absl::Status GeminiAdapter::Compile(const v1::ProviderConfig& config, ProviderEntry* entry) const {
  if (absl::Status endpoint = CompileEndpoint(config, kDefaultBaseUrl, entry); !endpoint.ok()) {
    return endpoint;
  }
  CompileKeyHeader("x-goog-api-key", "", entry);
  return absl::OkStatus();
}

absl::Status GeminiAdapter::BuildRequest(const InferenceRequest& request,
                                         const AttemptTarget& target,
                                         UpstreamRequest* out) const {
  const ProviderEntry& entry = *target.entry;
  std::string_view base = entry.endpoint.base_path;
  if (base.ends_with("/v1beta")) base.remove_suffix(7);  // a base URL written with the version
  const std::string model_path = StrCat(base, "/v1beta/models/", PercentEncode(target.model));
  if (request.surface == ApiSurface::kGenAi) {
    // Google's own wire format: the same method on the provider's model.
    out->target = StrCat(model_path, ":", request.native_method,
                         request.stream && request.native_sse ? "?alt=sse" : "");
    out->body = request.body.text;
    if (request.native_method == "batchEmbedContents") {
      json body = json::parse(request.body.text, nullptr, false);
      if (json* requests = body.is_object() && body.contains("requests") ? &body["requests"] : nullptr;
          requests != nullptr && requests->is_array()) {
        for (json& one : *requests) {
          if (one.is_object()) one["model"] = StrCat("models/", target.model);
        }
      }
      out->body = DumpJson(body);
    }
  } else if (request.request_type == "embedding") {
    absl::StatusOr<GeminiEmbedding> embedding =
        OpenAiToGeminiEmbedding(request.body.text, target.model);
    if (!embedding.ok()) return embedding.status();
    out->target = StrCat(model_path, embedding->batch ? ":batchEmbedContents" : ":embedContent");
    out->body = std::move(embedding->body);
  } else if (IsGeminiMedia(request)) {
    absl::StatusOr<std::string> body = GeminiMediaRequest(request);
    if (!body.ok()) return body.status();
    out->target = StrCat(model_path, ":generateContent");
    out->body = *std::move(body);
  } else if (IsChatRequest(request.request_type)) {
    absl::StatusOr<std::string> body = OpenAiToGeminiRequest(request.body.text);
    if (!body.ok()) return body.status();
    out->target = StrCat(model_path, request.stream ? ":streamGenerateContent?alt=sse"
                                                    : ":generateContent");
    out->body = *std::move(body);
  } else {
    return absl::UnimplementedError(
        StrCat(request.request_type, " is not served by gemini providers here yet"));
  }
  ComposeUpstreamHeaders(request, target, out);
  return absl::OkStatus();
}

// Speech comes back as JSON with the audio inline: translated whole, never relayed.
bool GeminiAdapter::RelaysBody(const InferenceRequest& request) const {
  return !IsGeminiMedia(request);
}

std::string GeminiAdapter::ResponseContentType(const InferenceRequest& request) const {
  return GeminiMediaContentType(request);
}

absl::StatusOr<std::string> GeminiAdapter::TranslateResponse(const InferenceRequest& request,
                                                             const AttemptTarget& target,
                                                             std::string upstream_body) const {
  if (request.surface == ApiSurface::kGenAi) return upstream_body;  // as the provider sent it
  if (request.request_type == "embedding") {
    return GeminiToOpenAiEmbedding(upstream_body, request.body.text, target.model);
  }
  if (IsGeminiMedia(request)) return GeminiMediaAnswer(request, upstream_body);
  return WithRawFieldsIfAsked(GeminiToOpenAiResponse(upstream_body, target.model),
                              [&] { return OpenAiToGeminiRequest(request.body.text); },
                              upstream_body, target);
}

std::unique_ptr<StreamTranslator> GeminiAdapter::NewStreamTranslator(
    const InferenceRequest& request, const AttemptTarget& target) const {
  if (request.surface == ApiSurface::kGenAi) return nullptr;  // already Gemini's events
  return NewGeminiToOpenAiStream(target.model, request.body.include_usage);
}

UpstreamFailure GeminiAdapter::ClassifyError(int status, std::string_view retry_after,
                                             std::string_view body) const {
  UpstreamFailure failure = UpstreamFailureFor(status, retry_after);
  common::ApiError& error = failure.error;
  json in = json::parse(body, nullptr, false);
  if (in.is_array() && !in.empty()) in = in.front();  // the JSON-array stream form
  if (const json* detail = FindMember(in, "error"); detail != nullptr && detail->is_object()) {
    error.message = StringMember(*detail, "message");
    if (std::string code = StringMember(*detail, "status"); !code.empty()) {
      error.type = code;
      error.code = code;
    }
  }
  FillMissingMessage(status, body, &error);
  return failure;
}

std::vector<std::string> GeminiAdapter::ListModels(const ProviderEntry& entry) const {
  return ConfiguredModels(entry);
}

// models.list: GET /v1beta/models, 1000 a page (Google's most), then pageToken.
absl::Status GeminiAdapter::BuildModelsRequest(const AttemptTarget& target,
                                               std::string_view page_token,
                                               UpstreamRequest* out) const {
  std::string_view base = target.entry->endpoint.base_path;
  if (base.ends_with("/v1beta")) base.remove_suffix(7);
  std::string path = StrCat(base, "/v1beta/models?pageSize=1000");
  if (!page_token.empty()) path += StrCat("&pageToken=", PercentEncode(page_token));
  ComposeModelsRequest(target, std::move(path), out);
  return absl::OkStatus();
}

absl::StatusOr<ModelPage> GeminiAdapter::ParseModelPage(std::string_view body) const {
  return dp::ParseModelPage(body, {"models", "name", "nextPageToken", nullptr});
}

}  // namespace switchyard::dp
