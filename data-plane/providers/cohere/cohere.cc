#include "data-plane/providers/cohere/cohere.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/cohere/openai_cohere.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/model_list.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

// The body sent upstream: Cohere's own wire format passes through with the model rewritten;
// OpenAI's is translated.
absl::StatusOr<std::string> CohereUpstreamBody(const InferenceRequest& request,
                                               const AttemptTarget& target) {
  if (request.surface == ApiSurface::kCohere) {
    return RewriteBody(request.body, target.model, target.merge_extra_params);
  }
  if (request.request_type == "embedding") {
    return OpenAiToCohereEmbedding(request.body.text, target.model);
  }
  return OpenAiToCohereRequest(request.body.text, target.model, request.stream);
}

}  // namespace

absl::Status CohereAdapter::Compile(const v1::ProviderConfig& config, ProviderEntry* entry) const {
  if (absl::Status endpoint = CompileEndpoint(config, kDefaultBaseUrl, entry); !endpoint.ok()) {
    return endpoint;
  }
  CompileKeyHeader("authorization", "Bearer ", entry);
  return absl::OkStatus();
}

absl::Status CohereAdapter::BuildRequest(const InferenceRequest& request,
                                         const AttemptTarget& target,
                                         UpstreamRequest* out) const {
  std::string path;
  if (IsChatRequest(request.request_type)) {
    path = "/v2/chat";
  } else if (request.request_type == "embedding") {
    path = "/v2/embed";
  } else {
    return absl::UnimplementedError(
        StrCat(request.request_type, " is not served by cohere providers here"));
  }
  absl::StatusOr<std::string> body = CohereUpstreamBody(request, target);
  if (!body.ok()) return body.status();
  const ProviderEntry& entry = *target.entry;
  if (entry.endpoint.base_path.ends_with("/v2")) path.erase(0, 3);
  out->target = entry.endpoint.base_path + path;
  ComposeUpstreamHeaders(request, target, out);
  out->body = *std::move(body);
  return absl::OkStatus();
}

absl::StatusOr<std::string> CohereAdapter::TranslateResponse(const InferenceRequest& request,
                                                             const AttemptTarget& target,
                                                             std::string upstream_body) const {
  if (request.surface == ApiSurface::kCohere) return upstream_body;  // as the provider sent it
  if (request.request_type == "embedding") {
    return CohereToOpenAiEmbedding(upstream_body, request.body.text, target.model);
  }
  return WithRawFieldsIfAsked(
      CohereToOpenAiResponse(upstream_body, target.model),
      [&] { return CohereUpstreamBody(request, target); }, upstream_body, target);
}

std::unique_ptr<StreamTranslator> CohereAdapter::NewStreamTranslator(
    const InferenceRequest& request, const AttemptTarget& target) const {
  if (request.surface == ApiSurface::kCohere) return nullptr;  // already Cohere's events
  return NewCohereToOpenAiStream(target.model, request.body.include_usage);
}

UpstreamFailure CohereAdapter::ClassifyError(int status, std::string_view retry_after,
                                             std::string_view body) const {
  UpstreamFailure failure = UpstreamFailureFor(status, retry_after);
  // Cohere's errors: {"id": ..., "message": ...}.
  failure.error.message = StringMember(json::parse(body, nullptr, false), "message");
  FillMissingMessage(status, body, &failure.error);
  return failure;
}

std::vector<std::string> CohereAdapter::ListModels(const ProviderEntry& entry) const {
  return ConfiguredModels(entry);
}

// GET /v1/models, 1000 a page, then page_token.
absl::Status CohereAdapter::BuildModelsRequest(const AttemptTarget& target,
                                               std::string_view page_token,
                                               UpstreamRequest* out) const {
  std::string_view base = target.entry->endpoint.base_path;
  if (base.ends_with("/v2") || base.ends_with("/v1")) base.remove_suffix(3);
  std::string path = StrCat(base, "/v1/models?page_size=1000");
  if (!page_token.empty()) path += StrCat("&page_token=", PercentEncode(page_token));
  ComposeModelsRequest(target, std::move(path), out);
  return absl::OkStatus();
}

absl::StatusOr<ModelPage> CohereAdapter::ParseModelPage(std::string_view body) const {
  return dp::ParseModelPage(body, {"models", "name", "next_page_token", nullptr});
}

}  // namespace switchyard::dp
