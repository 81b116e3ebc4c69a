#include "data-plane/http/inference_handler.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/provider_types.h"
#include "common/strings.h"
#include "data-plane/router/key_selector.h"
#include "data-plane/router/retry_policy.h"
#include "data-plane/upstream/provider_endpoints.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
using common::ApiError;
using common::HttpRequest;
using common::StrCat;

constexpr std::string_view kDynamicHeaderPrefix = "x-bf-eh-";
constexpr size_t kMaxErrorBody = 1024 * 1024;

enum class Route { kChat, kCompletion, kEmbedding, kResponses, kModels, kUnknown };

Route RouteOf(std::string_view path) {
  if (path.starts_with("/openai/v1/")) path.remove_prefix(7);
  if (path == "/v1/chat/completions") return Route::kChat;
  if (path == "/v1/completions") return Route::kCompletion;
  if (path == "/v1/embeddings") return Route::kEmbedding;
  if (path == "/v1/responses") return Route::kResponses;
  if (path == "/v1/models") return Route::kModels;
  return Route::kUnknown;
}

std::string RequestType(Route route, bool stream) {
  switch (route) {
    case Route::kChat: return stream ? "chat_completion_stream" : "chat_completion";
    case Route::kCompletion: return stream ? "text_completion_stream" : "text_completion";
    case Route::kEmbedding: return "embedding";
    case Route::kResponses: return stream ? "responses_stream" : "responses";
    case Route::kModels: return "list_models";
    case Route::kUnknown: break;
  }
  return "";
}

ApiError GatewayError(int status, std::string type, std::string code, std::string message) {
  ApiError error;
  error.http_status = status;
  error.type = std::move(type);
  error.code = std::move(code);
  error.message = std::move(message);
  return error;
}

HeaderList JsonHeaders() { return {{"Content-Type", "application/json"}}; }

bool Allowed(const v1::ProviderConfig& config, std::string_view request_type) {
  if (!config.has_custom_provider_config() ||
      !config.custom_provider_config().has_allowed_requests()) {
    return true;  // omitted: everything allowed (seed 003)
  }
  const v1::AllowedRequests& allowed = config.custom_provider_config().allowed_requests();
  const auto* field = allowed.GetDescriptor()->FindFieldByName(std::string(request_type));
  return field != nullptr && allowed.GetReflection()->GetBool(allowed, field);
}

// "true"/"false" header overrides of a provider flag.
bool FlagWithOverride(const HttpRequest& request, std::string_view header, bool configured) {
  const std::string_view raw = request.Header(header);
  if (raw.empty()) return configured;
  const std::string value = absl::AsciiStrToLower(common::ToAbsl(raw));
  if (value == "true") return true;
  if (value == "false") return false;
  return configured;
}

}  // namespace

// What one client request carries through its candidates (primary, then fallbacks).
struct InferenceHandler::Attempt {
  const HttpRequest* request = nullptr;
  RequestBody body;
  Route route = Route::kUnknown;
  std::string request_type;
  bool stream = false;
};

asio::awaitable<void> InferenceHandler::Handle(HttpRequest& request,
                                               ResponseWriter& writer) {
  auto send_error = [&](const ApiError& error) {
    return writer.Send(error.http_status, JsonHeaders(), common::ErrorEnvelopeJson(error));
  };
  const Route route = RouteOf(request.path);
  if (route == Route::kUnknown) {
    co_await send_error(GatewayError(404, "not_found_error", "not_found",
                                     StrCat("no route for ", request.method, " ", request.path)));
    co_return;
  }
  const bool get_route = route == Route::kModels;
  if (request.method != (get_route ? "GET" : "POST")) {
    co_await send_error(GatewayError(405, "invalid_request_error", "method_not_allowed",
                                     StrCat(request.path, " takes ", get_route ? "GET" : "POST")));
    co_return;
  }
  WorkerTable::Lease table = tables_->Acquire();  // kept for the whole request
  if (!table) {
    co_await send_error(GatewayError(503, "service_unavailable_error", "not_ready",
                                     "no routing table yet: the data plane has not received "
                                     "its configuration"));
    co_return;
  }
  if (route == Route::kModels) {
    co_await ListModels(*table.get(), writer);
    co_return;
  }

  Attempt attempt;
  attempt.request = &request;
  attempt.route = route;
  absl::StatusOr<RequestBody> body = ParseRequestBody(std::move(request.body));
  if (!body.ok()) {
    co_await send_error(GatewayError(400, "invalid_request_error", "invalid_request",
                                     std::string(body.status().message())));
    co_return;
  }
  attempt.body = *std::move(body);
  attempt.stream = attempt.body.stream && route != Route::kEmbedding;
  attempt.request_type = RequestType(route, attempt.stream);

  ApiError primary_error;
  if (co_await TryCandidate(*table.get(), attempt, attempt.body.model, writer, &primary_error)) {
    co_return;
  }
  for (const std::string& fallback : attempt.body.fallbacks) {
    ApiError ignored;
    if (co_await TryCandidate(*table.get(), attempt, fallback, writer, &ignored)) co_return;
  }
  co_await send_error(primary_error);
}

// True when a response (success, or a stream that failed midway) reached the client; false
// with `error` set when nothing was sent and the next candidate may try.
asio::awaitable<bool> InferenceHandler::TryCandidate(const RoutingTable& table, Attempt& attempt,
                                                     std::string_view candidate,
                                                     ResponseWriter& writer, ApiError* error) {
  const size_t slash = candidate.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == candidate.size()) {
    *error = GatewayError(400, "invalid_request_error", "invalid_model",
                          StrCat("model \"", candidate, "\" must be \"provider/model\""));
    co_return false;
  }
  const std::string_view provider = candidate.substr(0, slash);
  const std::string_view model = candidate.substr(slash + 1);
  auto fail = [&](ApiError e) {
    e.provider = std::string(provider);
    e.model_requested = std::string(model);
    e.request_type = attempt.request_type;
    *error = std::move(e);
    return false;
  };
  const ProviderEntry* entry = table.Find(provider);
  if (entry == nullptr) {
    co_return fail(GatewayError(400, "invalid_request_error", "provider_not_found",
                                StrCat("provider \"", provider, "\" is not configured")));
  }
  if (!entry->served) {
    co_return fail(GatewayError(501, "not_implemented_error", "provider_not_supported",
                                entry->unserved_reason));
  }
  if (!Allowed(entry->config, attempt.request_type)) {
    co_return fail(GatewayError(400, "invalid_request_error", "unsupported_operation",
                                StrCat(attempt.request_type, " is not supported by ", provider,
                                       " provider")));
  }
  const bool key_less = entry->config.has_custom_provider_config() &&
                        entry->config.custom_provider_config().is_key_less();
  const ResolvedKey* key = nullptr;
  if (!key_less) {
    key = SelectKey(*entry, model, random_);
    if (key == nullptr) {
      co_return fail(GatewayError(400, "invalid_request_error", "no_key",
                                  StrCat("no enabled key of provider \"", provider,
                                         "\" serves model \"", model, "\"")));
    }
  }

  UpstreamRequest upstream;
  upstream.endpoint = &entry->endpoint;
  upstream.proxy = &entry->proxy;
  upstream.timeout = entry->timeout;
  const auto& overrides = entry->config.custom_provider_config().request_path_overrides();
  auto override_path = overrides.find(attempt.request_type);
  std::string path = override_path != overrides.end()
                         ? override_path->second
                         : std::string(DefaultPath(entry->base_type, attempt.request_type));
  // A base URL that already ends in /v1 (as seed 002's examples write it) is not doubled.
  if (entry->endpoint.base_path.ends_with("/v1") && path.starts_with("/v1/")) {
    path.erase(0, 3);
  }
  upstream.target = entry->endpoint.base_path + path;
  bool dynamic_headers = false;
  for (const auto& [name, value] : attempt.request->headers) {
    dynamic_headers |= name.size() > kDynamicHeaderPrefix.size() &&
                       absl::StartsWithIgnoreCase(name, common::ToAbsl(kDynamicHeaderPrefix));
  }
  if (!dynamic_headers) {
    // The common case: every header line was compiled with the table.
    upstream.header_lines[0] = entry->static_header_lines;
    if (key != nullptr && !entry->extra_sets_authorization) {
      upstream.header_lines[1] = key->authorization_line;
    }
    if (attempt.stream) upstream.header_lines[2] = "accept: text/event-stream\r\n";
  } else {
    upstream.headers.emplace_back("content-type", "application/json");
    if (attempt.stream) upstream.headers.emplace_back("accept", "text/event-stream");
    if (key != nullptr) upstream.headers.emplace_back("authorization", "Bearer " + key->secret);
    auto set_header = [&](std::string name, std::string value) {
      for (auto& [existing, old] : upstream.headers) {
        if (existing == name) {
          old = std::move(value);
          return;
        }
      }
      upstream.headers.emplace_back(std::move(name), std::move(value));
    };
    for (const auto& [name, value] : entry->extra_headers) set_header(name, value);
    for (const auto& [name, value] : attempt.request->headers) {
      if (name.size() <= kDynamicHeaderPrefix.size() ||
          !absl::StartsWithIgnoreCase(name, common::ToAbsl(kDynamicHeaderPrefix))) {
        continue;
      }
      std::string stripped = absl::AsciiStrToLower(name.substr(kDynamicHeaderPrefix.size()));
      // The denylist, plus authorization: a request may not swap the configured key.
      if (stripped == "authorization" || common::IsDeniedHeader(stripped)) continue;
      set_header(std::move(stripped), value);
    }
  }
  const bool merge_extra = FlagWithOverride(*attempt.request, "x-bf-passthrough-extra-params",
                                            false);
  upstream.body = UpstreamBody(attempt.body, model, merge_extra);

  absl::Status slot_status;
  if (!entry->limiter->TryAcquire()) {
    // (Not a conditional expression: GCC 12 mishandles co_await inside one.)
    slot_status = co_await entry->limiter->Acquire(entry->timeout);
  }
  if (absl::IsResourceExhausted(slot_status)) {
    co_return fail(GatewayError(503, "request_dropped", "request_dropped",
                                StrCat("provider \"", provider, "\" is at its concurrency and "
                                                                "buffer limits; request dropped")));
  }
  if (!slot_status.ok()) {
    co_return fail(GatewayError(504, "timeout_error", "timeout",
                                StrCat("timed out waiting for a free slot of provider \"",
                                       provider, "\"")));
  }
  LimiterSlot slot(entry->limiter);
  UpstreamClient& client = entry->proxy.type == "none" ? *direct_ : *proxied_;
  co_return co_await CallProvider(*entry, client, attempt, provider, model, upstream, writer,
                                  error);
}

namespace {

// The provider's error as Bifrost reports it: its status, its message kept.
ApiError UpstreamError(int status, std::string_view body) {
  ApiError error;
  error.http_status = status;
  error.is_bifrost_error = false;
  error.type = "upstream_error";
  error.code = StrCat("upstream_", status);
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  const nlohmann::json* detail = nullptr;
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
  if (error.message.empty()) {
    error.message = body.empty() ? StrCat("provider answered ", status)
                                 : std::string(body.substr(0, 512));
  }
  return error;
}

ApiError TransportError(const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) {
    return GatewayError(504, "timeout_error", "upstream_timeout", std::string(status.message()));
  }
  return GatewayError(502, "upstream_unreachable", "upstream_unreachable",
                      std::string(status.message()));
}

// Forwards a streamed response to the client as it arrives; an error status is buffered
// instead, so that the request can still be retried or fall back.
class ClientSink : public UpstreamSink {
 public:
  explicit ClientSink(ResponseWriter& writer) : writer_(writer) {}

  asio::awaitable<bool> OnHead(int status, const HeaderList& headers) override {
    status_ = status;
    if (status >= 400) co_return true;
    HeaderList out = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
    std::string content_type = "text/event-stream";
    for (const auto& [name, value] : headers) {
      if (name == "content-type") content_type = value;
    }
    out.emplace_back("Content-Type", content_type);
    forwarding_ = true;
    co_return co_await writer_.Begin(status, std::move(out));
  }

  asio::awaitable<bool> OnData(std::string_view data) override {
    if (!forwarding_) {
      if (error_body_.size() < kMaxErrorBody) error_body_.append(data);
      co_return true;
    }
    co_return co_await writer_.Write(data);
  }

  int status() const { return status_; }
  bool forwarding() const { return forwarding_; }
  const std::string& error_body() const { return error_body_; }

 private:
  ResponseWriter& writer_;
  int status_ = 0;
  bool forwarding_ = false;
  std::string error_body_;
};

// extra_fields.raw_request / raw_response added to a JSON response.
std::string WithRawFields(const std::string& response, const std::string& raw_request,
                          bool add_request, bool add_response, std::string_view provider) {
  nlohmann::json json = nlohmann::json::parse(response, nullptr, false);
  if (!json.is_object()) return response;
  nlohmann::json& extra = json["extra_fields"];
  if (!extra.is_object()) extra = nlohmann::json::object();
  extra["provider"] = std::string(provider);
  if (add_request) {
    nlohmann::json parsed = nlohmann::json::parse(raw_request, nullptr, false);
    extra["raw_request"] = parsed.is_discarded() ? nlohmann::json(raw_request) : parsed;
  }
  if (add_response) {
    extra["raw_response"] = nlohmann::json::parse(response, nullptr, false);
  }
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

asio::awaitable<bool> InferenceHandler::CallProvider(const ProviderEntry& entry,
                                                     UpstreamClient& client, Attempt& attempt, std::string_view provider,
                                                     std::string_view model,
                                                     UpstreamRequest& upstream,
                                                     ResponseWriter& writer, ApiError* error) {
  const v1::NetworkConfig& network = entry.config.network_config();
  const int max_retries = static_cast<int>(network.max_retries());
  auto fail = [&](ApiError e) {
    e.provider = std::string(provider);
    e.model_requested = std::string(model);
    e.request_type = attempt.request_type;
    *error = std::move(e);
    return false;
  };
  std::optional<asio::steady_timer> timer;  // only when a retry waits
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto wait_before_retry = [&](int retry, std::optional<std::chrono::milliseconds> retry_after) {
    const double jitter = std::uniform_real_distribution<double>(0, 1)(random_);
    if (!timer) timer.emplace(executor);
    timer->expires_after(RetryBackoff(retry, std::chrono::milliseconds(network.retry_backoff_initial()),
                                     std::chrono::milliseconds(network.retry_backoff_max()),
                                     jitter, retry_after));
    return timer->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  };

  for (int retry = 0;; ++retry) {
    const bool last = retry >= max_retries;
    if (attempt.stream) {
      ClientSink sink(writer);
      const absl::Status status = co_await client.Stream(upstream, sink);
      if (sink.forwarding()) {
        if (absl::IsCancelled(status)) co_return true;  // the client went away
        if (status.ok()) {
          co_await writer.End();
          co_return true;
        }
        // Failed midway: bytes already reached the client, so end the stream with an error.
        ApiError midway = TransportError(status);
        midway.message = StrCat("stream from provider interrupted: ", midway.message);
        const std::string event = StrCat(
            "data: ", common::ErrorEnvelopeJson(midway), "\n\n");
        if (co_await writer.Write(event)) co_await writer.End();
        co_return true;
      }
      if (absl::IsCancelled(status)) co_return true;
      if (!status.ok() && sink.status() == 0) {
        if (!last) {
          co_await wait_before_retry(retry, std::nullopt);
          continue;
        }
        co_return fail(TransportError(status));
      }
      if (IsRetryableStatus(sink.status()) && !last) {
        co_await wait_before_retry(retry, std::nullopt);
        continue;
      }
      co_return fail(UpstreamError(sink.status(), sink.error_body()));
    }

    absl::StatusOr<UpstreamResponse> response = co_await client.Send(upstream);
    if (!response.ok()) {
      if (!last) {
        co_await wait_before_retry(retry, std::nullopt);
        continue;
      }
      co_return fail(TransportError(response.status()));
    }
    if (response->status >= 400) {
      if (IsRetryableStatus(response->status) && !last) {
        co_await wait_before_retry(retry, ParseRetryAfter(response->Header("retry-after")));
        continue;
      }
      co_return fail(UpstreamError(response->status, response->body));
    }
    const bool raw_request = FlagWithOverride(*attempt.request, "x-bf-send-back-raw-request",
                                              entry.config.send_back_raw_request());
    const bool raw_response = FlagWithOverride(*attempt.request, "x-bf-send-back-raw-response",
                                               entry.config.send_back_raw_response());
    std::string body = raw_request || raw_response
                           ? WithRawFields(response->body, upstream.body, raw_request,
                                           raw_response, provider)
                           : std::move(response->body);
    HeaderList headers;
    const std::string_view content_type = response->Header("content-type");
    headers.emplace_back("Content-Type",
                         content_type.empty() ? "application/json" : std::string(content_type));
    co_await writer.Send(response->status, std::move(headers), std::move(body));
    co_return true;
  }
}

asio::awaitable<void> InferenceHandler::ListModels(const RoutingTable& table,
                                                   ResponseWriter& writer) {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& [name, entry] : table.providers()) {
    std::set<std::string> models;
    for (const ResolvedKey& key : entry.keys) {
      if (!key.enabled) continue;
      for (const std::string& model : key.models) {
        if (model != "*") models.insert(model);
      }
    }
    for (const std::string& model : models) {
      data.push_back({{"id", StrCat(name, "/", model)}, {"object", "model"}, {"owned_by", name}});
    }
  }
  nlohmann::json body{{"object", "list"}, {"data", data}};
  co_await writer.Send(200, JsonHeaders(),
                       body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace switchyard::dp
