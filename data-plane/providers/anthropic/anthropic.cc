#include "data-plane/providers/anthropic/anthropic.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"

#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/model_list.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

// Known anthropic-beta prefixes (ADAPTERS.md §7): one token per prefix is sent.
constexpr std::string_view kKnownBetaPrefixes[] = {
    "computer-use-",         "structured-outputs-",  "mcp-client-",
    "prompt-caching-scope-", "compact-",             "context-management-",
    "files-api-",            "advanced-tool-use-",   "tool-examples-",
    "interleaved-thinking-", "skills-",              "context-1m-",
    "fast-mode-",            "redact-thinking-",     "task-budgets-",
    "fine-grained-tool-streaming-", "advisor-tool-", "cache-diagnosis-",
    "server-side-fallback-", "fallback-credit-",     "mid-conversation-tool-changes-",
};

// The body sent upstream: Anthropic's own wire format passes through with the model
// rewritten; OpenAI's is translated.
absl::StatusOr<std::string> AnthropicUpstreamBody(const InferenceRequest& request,
                                                  const AttemptTarget& target) {
  if (request.surface == ApiSurface::kAnthropic) {
    return RewriteBody(request.body, target.model, target.merge_extra_params);
  }
  return OpenAiToAnthropicRequest(request.body.text, target.model, request.stream);
}

}  // namespace

std::string FilterAnthropicBeta(std::string_view client_value,
                                const google::protobuf::Map<std::string, bool>& overrides) {
  std::vector<std::string_view> kept;
  std::vector<std::string_view> prefixes_sent;
  for (absl::string_view piece : absl::StrSplit(common::ToAbsl(client_value), ',')) {
    const std::string_view token = common::ToStd(absl::StripAsciiWhitespace(piece));
    if (token.empty()) continue;
    // The longest override prefix decides; none means kept.
    size_t longest = 0;
    bool allowed = true;
    for (const auto& [prefix, on] : overrides) {
      if (!prefix.empty() && token.starts_with(prefix) && prefix.size() > longest) {
        longest = prefix.size();
        allowed = on;
      }
    }
    if (!allowed || std::find(kept.begin(), kept.end(), token) != kept.end()) continue;
    const auto known = std::find_if(std::begin(kKnownBetaPrefixes), std::end(kKnownBetaPrefixes),
                                    [&](std::string_view prefix) { return token.starts_with(prefix); });
    if (known != std::end(kKnownBetaPrefixes)) {
      if (std::find(prefixes_sent.begin(), prefixes_sent.end(), *known) != prefixes_sent.end()) {
        continue;  // another version of a beta already sent
      }
      prefixes_sent.push_back(*known);
    }
    kept.push_back(token);
  }
  std::string joined;
  for (const std::string_view token : kept) {
    if (!joined.empty()) joined.push_back(',');
    joined.append(token);
  }
  return joined;
}

void AddAnthropicBeta(const InferenceRequest& request, const ProviderEntry& entry,
                      UpstreamRequest* out) {
  if (const std::string_view beta = request.ControlHeader("anthropic-beta");
      !beta.empty() && !entry.HasExtraHeader("anthropic-beta") &&
      std::none_of(out->headers.begin(), out->headers.end(),
                   [](const auto& header) { return header.first == "anthropic-beta"; })) {
    std::string filtered =
        FilterAnthropicBeta(beta, entry.config.network_config().beta_header_overrides());
    if (!filtered.empty()) out->headers.emplace_back("anthropic-beta", std::move(filtered));
  }
}

absl::Status AnthropicAdapter::Compile(const v1::ProviderConfig& config,
                                       ProviderEntry* entry) const {
  if (absl::Status endpoint = CompileEndpoint(config, kDefaultBaseUrl, entry); !endpoint.ok()) {
    return endpoint;
  }
  CompileKeyHeader("x-api-key", "", entry);
  return absl::OkStatus();
}

absl::Status AnthropicAdapter::BuildRequest(const InferenceRequest& request,
                                            const AttemptTarget& target,
                                            UpstreamRequest* out) const {
  std::string path;
  if (IsChatRequest(request.request_type)) {
    path = "/v1/messages";
  } else if (request.request_type == "count_tokens" && request.surface == ApiSurface::kAnthropic) {
    path = "/v1/messages/count_tokens";
  } else {
    return absl::UnimplementedError(
        StrCat(request.request_type, " is not served by anthropic providers here"));
  }
  absl::StatusOr<std::string> body = AnthropicUpstreamBody(request, target);
  if (!body.ok()) return body.status();
  const ProviderEntry& entry = *target.entry;
  if (entry.endpoint.base_path.ends_with("/v1")) path.erase(0, 3);
  out->target = entry.endpoint.base_path + path;
  ComposeUpstreamHeaders(request, target, out);
  if (!entry.HasExtraHeader("anthropic-version")) {
    out->headers.emplace_back("anthropic-version", "2023-06-01");
  }
  AddAnthropicBeta(request, entry, out);
  out->body = *std::move(body);
  return absl::OkStatus();
}

absl::StatusOr<std::string> AnthropicAdapter::TranslateResponse(const InferenceRequest& request,
                                                                const AttemptTarget& target,
                                                                std::string upstream_body) const {
  if (request.surface == ApiSurface::kAnthropic) return upstream_body;  // as the provider sent it
  return WithRawFieldsIfAsked(
      AnthropicToOpenAiResponse(upstream_body),
      [&] { return AnthropicUpstreamBody(request, target); }, upstream_body, target);
}

std::unique_ptr<StreamTranslator> AnthropicAdapter::NewStreamTranslator(
    const InferenceRequest& request, const AttemptTarget&) const {
  if (request.surface == ApiSurface::kAnthropic) return nullptr;  // already Anthropic's events
  return NewAnthropicToOpenAiStream(request.body.include_usage);
}

UpstreamFailure AnthropicAdapter::ClassifyError(int status, std::string_view retry_after,
                                                std::string_view body) const {
  UpstreamFailure failure = UpstreamFailureFor(status, retry_after);
  failure.retryable |= status == 529;  // Anthropic is overloaded
  common::ApiError& error = failure.error;
  const json in = json::parse(body, nullptr, false);
  if (const json* detail = FindMember(in, "error"); detail != nullptr && detail->is_object()) {
    if (std::string type = StringMember(*detail, "type"); !type.empty()) error.type = type;
    error.code = error.type;
    error.message = StringMember(*detail, "message");
  }
  FillMissingMessage(status, body, &error);
  return failure;
}

std::vector<std::string> AnthropicAdapter::ListModels(const ProviderEntry& entry) const {
  return ConfiguredModels(entry);
}

// GET /v1/models, 1000 a page (Anthropic's most), after_id the previous page's last_id.
absl::Status AnthropicAdapter::BuildModelsRequest(const AttemptTarget& target,
                                                  std::string_view page_token,
                                                  UpstreamRequest* out) const {
  const ProviderEntry& entry = *target.entry;
  std::string path = "/v1/models?limit=1000";
  if (!page_token.empty()) path += StrCat("&after_id=", PercentEncode(page_token));
  if (entry.endpoint.base_path.ends_with("/v1")) path.erase(0, 3);
  ComposeModelsRequest(target, entry.endpoint.base_path + path, out);
  if (!entry.HasExtraHeader("anthropic-version")) {
    out->headers.emplace_back("anthropic-version", "2023-06-01");
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelPage> AnthropicAdapter::ParseModelPage(std::string_view body) const {
  return dp::ParseModelPage(body, {"data", "id", "last_id", "has_more"});
}

}  // namespace switchyard::dp
