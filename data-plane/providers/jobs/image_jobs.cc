#include "data-plane/providers/jobs/image_jobs.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

constexpr std::chrono::milliseconds kPollEvery{500};
constexpr std::string_view kRunwayVersion = "2024-11-06";

absl::StatusOr<json> ImageRequest(std::string_view body) {
  json in = json::parse(body, nullptr, false);
  if (!in.is_object()) return absl::InvalidArgumentError("the body is not a JSON object");
  if (StringMember(in, "prompt").empty()) return absl::InvalidArgumentError("prompt is required");
  if (StringMember(in, "response_format") == "b64_json") {
    return absl::InvalidArgumentError(
        "response_format b64_json is not available: this provider answers with image URLs");
  }
  return in;
}

std::string_view BasePath(const AttemptTarget& target) {
  std::string_view base = target.entry->endpoint.base_path;
  if (base.ends_with("/v1")) base.remove_suffix(3);
  return base;
}

}  // namespace

absl::StatusOr<std::string> OpenAiToReplicate(std::string_view body, std::string_view model,
                                              std::string* path) {
  absl::StatusOr<json> in = ImageRequest(body);
  if (!in.ok()) return in.status();
  json input = {{"prompt", StringMember(*in, "prompt")}};
  if (const json* n = FindMember(*in, "n"); n != nullptr && n->is_number_integer()) {
    input["num_outputs"] = *n;
  }
  json out = json::object();
  if (const size_t colon = model.find(':'); colon != std::string_view::npos) {
    *path = "/v1/predictions";
    out["version"] = std::string(model.substr(colon + 1));
  } else {
    if (model.find('/') == std::string_view::npos) {
      return absl::InvalidArgumentError(
          StrCat("replicate models are \"owner/name\" (or \"owner/name:version\"), not \"", model,
                 "\""));
    }
    *path = StrCat("/v1/models/", model, "/predictions");
  }
  out["input"] = std::move(input);
  return out.dump();
}

absl::StatusOr<std::string> OpenAiToRunway(std::string_view body, std::string_view model) {
  absl::StatusOr<json> in = ImageRequest(body);
  if (!in.ok()) return in.status();
  std::string ratio = StringMember(*in, "size");
  if (ratio.empty() || ratio == "auto") ratio = "1920x1080";
  for (char& c : ratio) {
    if (c == 'x') c = ':';
  }
  return json{{"model", model}, {"promptText", StringMember(*in, "prompt")}, {"ratio", ratio}}
      .dump();
}

absl::StatusOr<PollStep> JobState(ImageJobAdapter::Kind kind, std::string_view body,
                                  std::string_view base_path, std::vector<std::string>* urls) {
  const json job = json::parse(body, nullptr, false);
  if (!job.is_object()) return absl::InvalidArgumentError("the provider answered no JSON object");
  const std::string id = StringMember(job, "id");
  const std::string status = StringMember(job, "status");
  const bool replicate = kind == ImageJobAdapter::Kind::kReplicate;
  const bool succeeded = replicate ? status == "succeeded" : status == "SUCCEEDED";
  const bool failed = replicate ? (status == "failed" || status == "canceled")
                                : (status == "FAILED" || status == "CANCELLED");
  if (failed) {
    std::string why = replicate ? StringMember(job, "error") : StringMember(job, "failure");
    if (const json* error = FindMember(job, "error"); why.empty() && error != nullptr) {
      why = error->dump();
    }
    return absl::FailedPreconditionError(
        StrCat(replicate ? "prediction " : "task ", id, " ", status, why.empty() ? "" : ": ", why));
  }
  if (!succeeded) {
    if (id.empty()) return absl::InvalidArgumentError("the provider's job has no id");
    return PollStep{false,
                    StrCat(base_path, replicate ? "/v1/predictions/" : "/v1/tasks/", id),
                    kPollEvery};
  }
  if (const json* output = FindMember(job, "output"); output != nullptr) {
    if (output->is_string()) urls->push_back(output->get<std::string>());
    if (output->is_array()) {
      for (const json& url : *output) {
        if (url.is_string()) urls->push_back(url.get<std::string>());
      }
    }
  }
  return PollStep{};
}

absl::Status ImageJobAdapter::Compile(const v1::ProviderConfig& config,
                                      ProviderEntry* entry) const {
  const std::string_view base = kind_ == Kind::kReplicate ? "https://api.replicate.com"
                                                          : "https://api.dev.runwayml.com";
  if (absl::Status endpoint = CompileEndpoint(config, base, entry); !endpoint.ok()) {
    return endpoint;
  }
  CompileKeyHeader("authorization", "Bearer ", entry);
  return absl::OkStatus();
}

absl::Status ImageJobAdapter::BuildRequest(const InferenceRequest& request,
                                           const AttemptTarget& target,
                                           UpstreamRequest* out) const {
  if (request.request_type != "image_generation" || !request.resource_path.empty()) {
    return absl::UnimplementedError(
        StrCat(request.request_type, " is not served by ", family(), " providers"));
  }
  std::string path;
  absl::StatusOr<std::string> body = kind_ == Kind::kReplicate
                                         ? OpenAiToReplicate(request.body.text, target.model, &path)
                                         : OpenAiToRunway(request.body.text, target.model);
  if (!body.ok()) return body.status();
  if (kind_ == Kind::kRunway) path = "/v1/text_to_image";
  out->target = StrCat(BasePath(target), path);
  ComposeUpstreamHeaders(request, target, out);
  if (kind_ == Kind::kReplicate) {
    out->headers.emplace_back("prefer", "wait");
  } else {
    out->headers.emplace_back("x-runway-version", std::string(kRunwayVersion));
  }
  out->body = *std::move(body);
  return absl::OkStatus();
}

absl::StatusOr<PollStep> ImageJobAdapter::NextPoll(const InferenceRequest&,
                                                   const AttemptTarget& target,
                                                   std::string_view upstream_body) const {
  std::vector<std::string> urls;
  return JobState(kind_, upstream_body, BasePath(target), &urls);
}

absl::StatusOr<std::string> ImageJobAdapter::TranslateResponse(const InferenceRequest&,
                                                               const AttemptTarget& target,
                                                               std::string upstream_body) const {
  std::vector<std::string> urls;
  absl::StatusOr<PollStep> state = JobState(kind_, upstream_body, BasePath(target), &urls);
  if (!state.ok()) return state.status();
  json data = json::array();
  for (std::string& url : urls) data.push_back({{"url", std::move(url)}});
  return json{{"created", static_cast<int64_t>(std::time(nullptr))}, {"data", data}}.dump();
}

std::unique_ptr<StreamTranslator> ImageJobAdapter::NewStreamTranslator(const InferenceRequest&,
                                                                       const AttemptTarget&) const {
  return nullptr;  // never streams (BuildRequest refuses image_generation_stream)
}

UpstreamFailure ImageJobAdapter::ClassifyError(int status, std::string_view retry_after,
                                               std::string_view body) const {
  UpstreamFailure failure = UpstreamFailureFor(status, retry_after);
  // replicate: {"detail": "..."}; runway: {"error": "..."}.
  const json parsed = json::parse(body, nullptr, false);
  failure.error.message = StringMember(parsed, kind_ == Kind::kReplicate ? "detail" : "error");
  FillMissingMessage(status, body, &failure.error);
  return failure;
}

std::vector<std::string> ImageJobAdapter::ListModels(const ProviderEntry& entry) const {
  return ConfiguredModels(entry);
}

}  // namespace switchyard::dp
