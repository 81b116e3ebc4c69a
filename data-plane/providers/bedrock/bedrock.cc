#include "data-plane/providers/bedrock/bedrock.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/bedrock/openai_bedrock.h"
#include "data-plane/providers/bedrock/sigv4.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

constexpr std::string_view kEventStreamAccept = "accept: application/vnd.amazon.eventstream\r\n";

absl::StatusOr<std::string> BedrockUpstreamBody(const InferenceRequest& request,
                                                std::string_view id) {
  if (request.surface == ApiSurface::kBedrock) return request.body.text;  // as the SDK sent it
  if (request.request_type == "embedding") return OpenAiToBedrockEmbedding(request.body.text, id);
  return OpenAiToConverseRequest(request.body.text);
}

}  // namespace

std::string BedrockModelId(const ResolvedKey& key, std::string_view model) {
  const auto mapped = key.deployments.find(std::string(model));
  const std::string deployment = mapped != key.deployments.end() ? mapped->second : std::string(model);
  const std::string_view arn = key.ConfigField("arn");
  return arn.empty() ? deployment : StrCat(arn, "/", deployment);
}

absl::Status BedrockAdapter::Compile(const v1::ProviderConfig& config, ProviderEntry* entry) const {
  if (absl::Status endpoint =
          CompileEndpoint(config, "https://bedrock-runtime.us-east-1.amazonaws.com", entry);
      !endpoint.ok()) {
    return endpoint;
  }
  for (ResolvedKey& key : entry->keys) {
    if (key.env_missing) continue;  // disabled; /config shows why
    const std::string where = StrCat("key \"", key.name, "\": bedrock_key_config.");
    const std::string_view region = key.ConfigField("region");
    if (region.empty()) return absl::InvalidArgumentError(StrCat(where, "region is required"));
    key.endpoint.emplace();
    if (absl::Status endpoint = CompileEndpoint(
            config, StrCat("https://bedrock-runtime.", region, ".amazonaws.com"), &*key.endpoint);
        !endpoint.ok()) {
      return endpoint;
    }
    const bool signed_key = !key.ConfigField("access_key").empty();
    if (signed_key == key.ConfigField("secret_key").empty()) {
      return absl::InvalidArgumentError(
          StrCat(where, "access_key and secret_key go together (or leave both out and put a "
                        "Bedrock API key in the key's value)"));
    }
    if (!signed_key) {
      if (key.secret.empty()) {
        return absl::InvalidArgumentError(StrCat(
            "key \"", key.name, "\" needs access_key and secret_key, or a Bedrock API key as its "
                                "value (the default AWS credential chain is not supported)"));
      }
      CompileKeyHeader("authorization", "Bearer ", *entry, &key);
    }
  }
  return absl::OkStatus();
}

absl::Status BedrockAdapter::BuildRequest(const InferenceRequest& request,
                                          const AttemptTarget& target,
                                          UpstreamRequest* out) const {
  const ResolvedKey* key = target.key;
  if (key == nullptr || !key->endpoint) return absl::InternalError("bedrock request without a key");
  std::string_view method;
  std::string native_method;
  if (request.surface == ApiSurface::kBedrock) {
    native_method = StrCat("/", request.native_method);
    method = native_method;
  } else if (IsChatRequest(request.request_type)) {
    method = request.stream ? "/converse-stream" : "/converse";
  } else if (request.request_type == "embedding") {
    method = "/invoke";
  } else {
    return absl::UnimplementedError(
        StrCat(request.request_type, " is not served by bedrock providers here"));
  }
  const std::string model_id = BedrockModelId(*key, target.model);
  absl::StatusOr<std::string> body = BedrockUpstreamBody(request, model_id);
  if (!body.ok()) return body.status();
  const UpstreamEndpoint& endpoint = *key->endpoint;
  out->endpoint = &endpoint;
  out->target = StrCat(endpoint.base_path, "/model/", AwsUriEncode(model_id), method);
  out->body = *std::move(body);
  ComposeUpstreamHeaders(request, target, out);
  if (request.stream) {
    out->header_lines[2] = kEventStreamAccept;
    for (auto& [name, value] : out->headers) {
      if (name == "accept") value = "application/vnd.amazon.eventstream";
    }
  }
  if (const std::string_view access_key = key->ConfigField("access_key"); !access_key.empty()) {
    std::string host = endpoint.host;
    if (endpoint.port != (endpoint.tls ? 443 : 80)) host += StrCat(":", endpoint.port);
    const SigV4Request signing{.method = out->method,
                               .host = host,
                               .path = out->target,
                               .headers = {{"content-type", "application/json"}},
                               .body = out->body,
                               .region = key->ConfigField("region"),
                               .service = "bedrock",
                               .now = target.now};
    const AwsCredentials credentials{std::string(access_key),
                                     std::string(key->ConfigField("secret_key")),
                                     std::string(key->ConfigField("session_token"))};
    for (auto& header : SignV4(signing, credentials)) out->headers.push_back(std::move(header));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BedrockAdapter::TranslateResponse(const InferenceRequest& request,
                                                              const AttemptTarget& target,
                                                              std::string upstream_body) const {
  if (request.surface == ApiSurface::kBedrock) return upstream_body;  // as Bedrock sent it
  if (request.request_type == "embedding") {
    return BedrockToOpenAiEmbedding(upstream_body, request.body.text, target.model);
  }
  return WithRawFieldsIfAsked(
      ConverseToOpenAiResponse(upstream_body, target.model),
      [&] { return BedrockUpstreamBody(request, BedrockModelId(*target.key, target.model)); },
      upstream_body, target);
}

std::unique_ptr<StreamTranslator> BedrockAdapter::NewStreamTranslator(
    const InferenceRequest& request, const AttemptTarget& target) const {
  if (request.surface == ApiSurface::kBedrock) return nullptr;  // already AWS's event stream
  return NewConverseToOpenAiStream(target.model, request.body.include_usage);
}

UpstreamFailure BedrockAdapter::ClassifyError(int status, std::string_view retry_after,
                                              std::string_view body) const {
  UpstreamFailure failure = UpstreamFailureFor(status, retry_after);
  // AWS's errors: {"message": ...} (or "Message"), the type in x-amzn-ErrorType.
  const json in = json::parse(body, nullptr, false);
  failure.error.message = StringMember(in, "message");
  if (failure.error.message.empty()) failure.error.message = StringMember(in, "Message");
  FillMissingMessage(status, body, &failure.error);
  return failure;
}

std::vector<std::string> BedrockAdapter::ListModels(const ProviderEntry& entry) const {
  return ConfiguredModels(entry);
}

}  // namespace switchyard::dp
