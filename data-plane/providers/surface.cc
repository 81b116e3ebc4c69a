#include "data-plane/providers/surface.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "common/strings.h"
#include "common/url.h"
#include "data-plane/providers/anthropic/anthropic_openai.h"
#include "data-plane/providers/bedrock/bedrock_openai.h"
#include "data-plane/providers/cohere/cohere_openai.h"
#include "data-plane/providers/gemini/gemini_openai.h"
#include "data-plane/providers/json_util.h"

namespace switchyard::dp {
namespace {

using json = nlohmann::ordered_json;

// Two translators in a row: the adapter's (provider -> internal form), then the surface's
// (internal form -> client).
class ChainedStream : public StreamTranslator {
 public:
  ChainedStream(std::unique_ptr<StreamTranslator> first, std::unique_ptr<StreamTranslator> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  absl::Status Feed(std::string_view upstream, std::string* client) override {
    middle_.clear();
    if (absl::Status status = first_->Feed(upstream, &middle_); !status.ok()) return status;
    return middle_.empty() ? absl::OkStatus() : second_->Feed(middle_, client);
  }
  absl::Status Finish(std::string* client) override {
    middle_.clear();
    if (absl::Status status = first_->Finish(&middle_); !status.ok()) return status;
    if (!middle_.empty()) {
      if (absl::Status status = second_->Feed(middle_, client); !status.ok()) return status;
    }
    return second_->Finish(client);
  }
  std::string_view content_type() const override { return second_->content_type(); }

 private:
  std::unique_ptr<StreamTranslator> first_;
  std::unique_ptr<StreamTranslator> second_;
  std::string middle_;
};

// Anthropic's error types by status, for errors the gateway raises itself.
std::string AnthropicErrorType(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: return "api_error";
  }
}

bool IsAnthropicErrorType(std::string_view type) {
  static constexpr std::string_view kTypes[] = {
      "invalid_request_error", "authentication_error", "billing_error", "permission_error",
      "not_found_error",       "request_too_large",    "rate_limit_error", "api_error",
      "timeout_error",         "overloaded_error"};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

}  // namespace

// Google's status names by HTTP status (google.rpc.Code), for the GenAI surface.
static std::string_view GoogleStatus(int status) {
  switch (status) {
    case 400: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "ABORTED";
    case 429: return "RESOURCE_EXHAUSTED";
    case 501: return "UNIMPLEMENTED";
    case 503: return "UNAVAILABLE";
    case 504: return "DEADLINE_EXCEEDED";
    default: return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
  }
}

// AWS's error shapes by status, for the Bedrock surface (the SDK reads __type).
static std::string_view AwsErrorType(int status) {
  switch (status) {
    case 403: return "AccessDeniedException";
    case 404: return "ResourceNotFoundException";
    case 408: case 504: return "ModelTimeoutException";
    case 429: return "ThrottlingException";
    case 503: return "ServiceUnavailableException";
    default: return status >= 500 ? "InternalServerException" : "ValidationException";
  }
}

std::string EncodeError(ApiSurface surface, const common::ApiError& error) {
  if (surface == ApiSurface::kOpenAi) return common::ErrorEnvelopeJson(error);
  if (surface == ApiSurface::kCohere) return DumpJson({{"message", error.message}});
  if (surface == ApiSurface::kBedrock) {
    return DumpJson({{"message", error.message}, {"__type", std::string(AwsErrorType(error.http_status))}});
  }
  if (surface == ApiSurface::kGenAi) {
    return DumpJson({{"error", {{"code", error.http_status},
                                {"message", error.message},
                                {"status", std::string(GoogleStatus(error.http_status))}}}});
  }
  // A provider's own type is kept when it is one of Anthropic's (an anthropic provider's);
  // anything else (the gateway's, another family's) is mapped from the status.
  const std::string type = !error.is_bifrost_error && IsAnthropicErrorType(error.type)
                               ? error.type
                               : AnthropicErrorType(error.http_status);
  return DumpJson({{"type", "error"}, {"error", {{"type", type}, {"message", error.message}}}});
}

namespace {

// The value of `name` in a query string ("" when absent), percent-decoded.
std::string QueryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) {
      absl::StatusOr<std::string> value = common::PercentDecode(pair.substr(eq + 1));
      return value.ok() ? *std::move(value) : std::string();
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

// A page size from the query: `fallback` when absent or not a number, else within 1..1000.
size_t PageSize(std::string_view query, std::string_view name, size_t fallback) {
  const std::string text = QueryValue(query, name);
  size_t size = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &size)) return fallback;
  return std::clamp<size_t>(size, 1, 1000);
}

// The first position after `id` in `models` (sorted by id): where a page "after" it starts,
// also when `id` itself is gone.
size_t After(const std::vector<std::pair<std::string, std::string>>& models, std::string_view id) {
  return std::upper_bound(models.begin(), models.end(), id,
                          [](std::string_view value, const auto& model) {
                            return value < model.first;
                          }) -
         models.begin();
}

}  // namespace

std::string EncodeModelList(ApiSurface surface,
                            const std::vector<std::pair<std::string, std::string>>& models,
                            std::string_view query) {
  json data = json::array();
  if (surface == ApiSurface::kOpenAi) {
    for (const auto& [id, owner] : models) {
      data.push_back({{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", owner}});
    }
    return DumpJson({{"object", "list"}, {"data", data}});
  }
  if (surface == ApiSurface::kGenAi) {
    const size_t size = PageSize(query, "pageSize", 50);
    const std::string token = QueryValue(query, "pageToken");
    const size_t begin = token.empty() ? 0 : After(models, token);
    const size_t end = std::min(models.size(), begin + size);
    json list = json::array();
    for (size_t i = begin; i < end; ++i) {
      const std::string& id = models[i].first;
      list.push_back({{"name", "models/" + id},
                      {"displayName", id},
                      {"supportedGenerationMethods",
                       {"generateContent", "streamGenerateContent", "countTokens", "embedContent"}}});
    }
    json out = {{"models", std::move(list)}};
    if (end < models.size()) out["nextPageToken"] = models[end - 1].first;
    return DumpJson(out);
  }
  // Anthropic: after_id pages forward, before_id backward (the page just before it).
  const size_t limit = PageSize(query, "limit", 20);
  const std::string after = QueryValue(query, "after_id");
  const std::string before = QueryValue(query, "before_id");
  size_t begin = 0;
  size_t end = 0;
  bool has_more = false;
  if (!before.empty() && after.empty()) {
    end = std::lower_bound(models.begin(), models.end(), before,
                           [](const auto& model, std::string_view value) {
                             return model.first < value;
                           }) -
          models.begin();
    begin = end > limit ? end - limit : 0;
    has_more = begin > 0;
  } else {
    begin = after.empty() ? 0 : After(models, after);
    end = std::min(models.size(), begin + limit);
    has_more = end < models.size();
  }
  for (size_t i = begin; i < end; ++i) {
    const std::string& id = models[i].first;
    data.push_back({{"type", "model"}, {"id", id}, {"display_name", id},
                    {"created_at", "1970-01-01T00:00:00Z"}});
  }
  return DumpJson({{"data", data},
                   {"has_more", has_more},
                   {"first_id", begin < end ? json(models[begin].first) : json(nullptr)},
                   {"last_id", begin < end ? json(models[end - 1].first) : json(nullptr)}});
}

std::string EncodeStreamError(ApiSurface surface, const common::ApiError& error) {
  if (surface == ApiSurface::kOpenAi) {
    return common::StrCat("data: ", common::ErrorEnvelopeJson(error), "\n\n");
  }
  if (surface == ApiSurface::kGenAi) return common::StrCat("data: ", EncodeError(surface, error), "\r\n\r\n");
  if (surface == ApiSurface::kBedrock) {
    return ConverseExceptionFrame(error.http_status == 429 ? "throttlingException"
                                                           : "modelStreamErrorException",
                                  error.message);
  }
  if (surface == ApiSurface::kCohere) {
    // Cohere ends a failed stream with message-end, finish_reason ERROR and the error.
    return common::StrCat(
        "event: message-end\ndata: ",
        DumpJson({{"type", "message-end"},
                  {"delta", {{"finish_reason", "ERROR"}, {"error", error.message}}}}),
        "\n\n");
  }
  return common::StrCat("event: error\ndata: ", EncodeError(surface, error), "\n\n");
}

absl::StatusOr<InferenceRequest> ToInternalRequest(const InferenceRequest& native,
                                                   std::string_view bare_model) {
  const bool chat = IsChatRequest(native.request_type);
  absl::StatusOr<RequestBody> body = absl::UnimplementedError("");
  switch (native.surface) {
    case ApiSurface::kGenAi:
      if (chat) body = GeminiToOpenAiRequest(native.body.text, bare_model, native.stream);
      break;
    case ApiSurface::kAnthropic:
      if (chat) body = AnthropicToOpenAiRequest(native.body.text, bare_model);
      break;
    case ApiSurface::kCohere:
      body = chat ? CohereToOpenAiRequest(native.body.text, bare_model)
             : native.request_type == "embedding"
                 ? CohereToOpenAiEmbeddingRequest(native.body.text, bare_model)
                 : body;
      break;
    case ApiSurface::kBedrock:
      if (chat && native.native_method != "invoke") {
        body = ConverseToOpenAiRequest(native.body.text, bare_model, native.stream);
      }
      break;
    case ApiSurface::kOpenAi:
      break;
  }
  if (absl::IsUnimplemented(body.status())) {
    const bool genai = native.surface == ApiSurface::kGenAi;
    const std::string_view family = genai                                     ? "gemini"
                                    : native.surface == ApiSurface::kCohere  ? "cohere"
                                    : native.surface == ApiSurface::kBedrock ? "bedrock"
                                                                             : "anthropic";
    return absl::UnimplementedError(common::StrCat(
        genai || native.surface == ApiSurface::kBedrock ? native.native_method : native.request_type,
        " is served by ", family,
        "-family providers only"));
  }
  if (!body.ok()) return body.status();
  InferenceRequest internal;
  internal.surface = ApiSurface::kOpenAi;
  internal.request_type = native.request_type;
  internal.stream = native.stream;
  internal.body = *std::move(body);
  internal.control_headers = native.control_headers;
  internal.trace_header_lines = native.trace_header_lines;
  return internal;
}

absl::StatusOr<std::string> FromInternalResponse(const InferenceRequest& native,
                                                 std::string internal_body) {
  switch (native.surface) {
    case ApiSurface::kOpenAi:
      return internal_body;
    case ApiSurface::kGenAi:
      return OpenAiToGeminiResponse(internal_body);
    case ApiSurface::kCohere:
      if (native.request_type == "embedding") {
        return OpenAiToCohereEmbeddingResponse(internal_body, native.body.text);
      }
      return OpenAiToCohereResponse(internal_body);
    case ApiSurface::kBedrock:
      return OpenAiToConverseResponse(internal_body);
    case ApiSurface::kAnthropic:
      break;
  }
  return OpenAiToAnthropicResponse(internal_body);
}

std::unique_ptr<StreamTranslator> NewFromInternalStream(const InferenceRequest& native,
                                                        std::unique_ptr<StreamTranslator> inner) {
  if (native.surface == ApiSurface::kOpenAi) return inner;
  std::unique_ptr<StreamTranslator> outer =
      native.surface == ApiSurface::kGenAi    ? NewOpenAiToGeminiStream(native.native_sse)
      : native.surface == ApiSurface::kCohere  ? NewOpenAiToCohereStream()
      : native.surface == ApiSurface::kBedrock ? NewOpenAiToConverseStream()
                                               : NewOpenAiToAnthropicStream();
  if (inner == nullptr) return outer;
  return std::make_unique<ChainedStream>(std::move(inner), std::move(outer));
}

}  // namespace switchyard::dp
