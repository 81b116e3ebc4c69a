#include "data-plane/providers/openai/openai_compatible.h"

#include "data-plane/providers/multipart.h"

#include <array>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/model_list.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;

struct Family {
  std::string_view name;
  std::string_view base_url;
  bool versioned_paths;  // paths start with /v1
};

constexpr std::array<Family, 14> kFamilies = {{
    {"openai", "https://api.openai.com", true},
    {"groq", "https://api.groq.com/openai", true},
    {"mistral", "https://api.mistral.ai", true},
    {"ollama", "", true},
    {"vllm", "http://localhost:8000", true},
    {"sgl", "", true},
    {"cerebras", "https://api.cerebras.ai", true},
    {"openrouter", "https://openrouter.ai/api", true},
    {"xai", "https://api.x.ai", true},
    {"fireworks", "https://api.fireworks.ai/inference", true},
    {"perplexity", "https://api.perplexity.ai", false},
    {"nebius", "https://api.studio.nebius.ai", true},
    {"parasail", "https://api.parasail.io", true},
    {"huggingface", "https://router.huggingface.co", true},
}};

const Family* FindFamily(std::string_view base_type) {
  for (const Family& family : kFamilies) {
    if (family.name == base_type) return &family;
  }
  return nullptr;
}

}  // namespace

bool OpenAiCompatibleAdapter::Serves(std::string_view base_type) {
  return FindFamily(base_type) != nullptr;
}

std::string_view OpenAiCompatibleAdapter::DefaultBaseUrl(std::string_view base_type) {
  const Family* family = FindFamily(base_type);
  return family == nullptr ? std::string_view() : family->base_url;
}

std::string_view OpenAiCompatibleAdapter::DefaultPath(std::string_view base_type,
                                                      std::string_view request_type) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kPaths = {{
      {"chat_completion", "/v1/chat/completions"},
      {"chat_completion_stream", "/v1/chat/completions"},
      {"text_completion", "/v1/completions"},
      {"text_completion_stream", "/v1/completions"},
      {"embedding", "/v1/embeddings"},
      {"responses", "/v1/responses"},
      {"responses_stream", "/v1/responses"},
      {"list_models", "/v1/models"},
      {"image_generation", "/v1/images/generations"},
      {"image_generation_stream", "/v1/images/generations"},
      {"speech", "/v1/audio/speech"},
      {"speech_stream", "/v1/audio/speech"},
  }};
  const Family* family = FindFamily(base_type);
  if (family == nullptr) return {};
  for (const auto& [type, path] : kPaths) {
    if (type == request_type) return family->versioned_paths ? path : path.substr(3);
  }
  return {};
}

absl::Status OpenAiCompatibleAdapter::Compile(const v1::ProviderConfig& config,
                                              ProviderEntry* entry) const {
  if (absl::Status endpoint = CompileEndpoint(config, DefaultBaseUrl(entry->base_type), entry);
      !endpoint.ok()) {
    return endpoint;
  }
  CompileKeyHeader("authorization", "Bearer ", entry);
  return absl::OkStatus();
}

absl::Status OpenAiCompatibleAdapter::BuildRequest(const InferenceRequest& request,
                                                   const AttemptTarget& target,
                                                   UpstreamRequest* out) const {
  const ProviderEntry& entry = *target.entry;
  if (!request.resource_path.empty()) return BuildResourceRequest(request, target, out);
  const auto& overrides = entry.config.custom_provider_config().request_path_overrides();
  auto override_path = overrides.find(std::string(request.request_type));
  std::string path = override_path != overrides.end()
                         ? override_path->second
                         : std::string(DefaultPath(entry.base_type, request.request_type));
  if (path.empty()) {
    return absl::UnimplementedError(
        StrCat(request.request_type, " has no endpoint for ", entry.base_type, " providers here"));
  }
  // A base URL that already ends in /v1 (as seed 002's examples write it) is not doubled.
  if (entry.endpoint.base_path.ends_with("/v1") && path.starts_with("/v1/")) path.erase(0, 3);
  out->target = entry.endpoint.base_path + path;
  ComposeUpstreamHeaders(request, target, out);
  out->body = RewriteBody(request.body, target.model, target.merge_extra_params);
  return absl::OkStatus();
}

// Uploads, files and batches: the client's path under the family's version prefix, its method,
// its body (an upload's "model" field naming the target's model).
absl::Status OpenAiCompatibleAdapter::BuildResourceRequest(const InferenceRequest& request,
                                                           const AttemptTarget& target,
                                                           UpstreamRequest* out) const {
  const ProviderEntry& entry = *target.entry;
  const Family* family = FindFamily(entry.base_type);
  std::string_view resource = request.resource_path;
  // batch_results starts with the batch itself (NextPoll then fetches its output file).
  if (request.request_type == "batch_results") resource = resource.substr(0, resource.rfind("/results"));
  std::string path = StrCat(family == nullptr || family->versioned_paths ? "/v1" : "", resource);
  if (entry.endpoint.base_path.ends_with("/v1") && path.starts_with("/v1/")) path.erase(0, 3);
  out->target = entry.endpoint.base_path + path;
  out->method = std::string(request.method);
  ComposeUpstreamHeaders(request, target, out);
  ResourceBody(request, target, out);
  return absl::OkStatus();
}

// batch_results: the batch, then its output file's content (the final answer).
absl::StatusOr<PollStep> OpenAiCompatibleAdapter::NextPoll(const InferenceRequest& request,
                                                           const AttemptTarget& target,
                                                           std::string_view upstream_body) const {
  if (request.request_type != "batch_results") return PollStep{};
  const nlohmann::ordered_json batch = nlohmann::ordered_json::parse(upstream_body, nullptr, false);
  if (!batch.is_object() || StringMember(batch, "object") != "batch") return PollStep{};  // the file
  const std::string output = StringMember(batch, "output_file_id");
  if (output.empty()) {
    return absl::FailedPreconditionError(
        StrCat("batch ", StringMember(batch, "id"), " has no results yet (status ",
               StringMember(batch, "status"), ")"));
  }
  const ProviderEntry& entry = *target.entry;
  const Family* family = FindFamily(entry.base_type);
  std::string path = StrCat(family == nullptr || family->versioned_paths ? "/v1" : "", "/files/",
                            PercentEncode(output), "/content");
  if (entry.endpoint.base_path.ends_with("/v1") && path.starts_with("/v1/")) path.erase(0, 3);
  return PollStep{false, entry.endpoint.base_path + path, std::chrono::milliseconds(0)};
}

absl::StatusOr<std::string> OpenAiCompatibleAdapter::TranslateResponse(
    const InferenceRequest& request, const AttemptTarget& target, std::string upstream_body) const {
  if (!target.raw_request && !target.raw_response) return upstream_body;
  // The raw request is the body as sent upstream: translate it again (pure, cheap).
  const std::string sent = RewriteBody(request.body, target.model, target.merge_extra_params);
  const std::string raw_response = target.raw_response ? upstream_body : std::string();
  return WithRawFields(std::move(upstream_body), sent, raw_response, target);
}

std::unique_ptr<StreamTranslator> OpenAiCompatibleAdapter::NewStreamTranslator(
    const InferenceRequest&, const AttemptTarget&) const {
  return nullptr;  // already the client's format
}

UpstreamFailure OpenAiCompatibleAdapter::ClassifyError(int status, std::string_view retry_after,
                                                       std::string_view body) const {
  UpstreamFailure failure = UpstreamFailureFor(status, retry_after);
  common::ApiError& error = failure.error;
  const nlohmann::ordered_json json = nlohmann::ordered_json::parse(body, nullptr, false);
  const nlohmann::ordered_json* detail = nullptr;
  if (json.is_object()) {
    auto it = json.find("error");
    if (it != json.end()) detail = &*it;
  }
  if (detail != nullptr && detail->is_object()) {
    // (find(), not operator[]: on a const json a missing key is undefined behaviour.)
    auto text = [&](const char* field, std::string* out) {
      auto it = detail->find(field);
      if (it != detail->end() && it->is_string()) *out = it->get<std::string>();
    };
    text("message", &error.message);
    text("type", &error.type);
    text("code", &error.code);
    text("param", &error.param);
  } else if (detail != nullptr && detail->is_string()) {
    error.message = *detail;
  }
  FillMissingMessage(status, body, &error);
  return failure;
}

std::vector<std::string> OpenAiCompatibleAdapter::ListModels(const ProviderEntry& entry) const {
  return ConfiguredModels(entry);
}

// GET /v1/models (or the family's path, or the provider's list_models override): one page.
absl::Status OpenAiCompatibleAdapter::BuildModelsRequest(const AttemptTarget& target,
                                                         std::string_view,
                                                         UpstreamRequest* out) const {
  const ProviderEntry& entry = *target.entry;
  const auto& overrides = entry.config.custom_provider_config().request_path_overrides();
  auto override_path = overrides.find("list_models");
  std::string path = override_path != overrides.end()
                         ? override_path->second
                         : std::string(DefaultPath(entry.base_type, "list_models"));
  if (path.empty()) return absl::UnimplementedError("no model list path for this family");
  if (entry.endpoint.base_path.ends_with("/v1") && path.starts_with("/v1/")) path.erase(0, 3);
  ComposeModelsRequest(target, entry.endpoint.base_path + path, out);
  return absl::OkStatus();
}

absl::StatusOr<ModelPage> OpenAiCompatibleAdapter::ParseModelPage(std::string_view body) const {
  return dp::ParseModelPage(body, {"data", "id", nullptr, nullptr});
}

}  // namespace switchyard::dp
