#include "data-plane/router/router.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <nlohmann/json.hpp>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "common/provider_config.h"
#include "common/strings.h"
#include "data-plane/logs/log_record.h"
#include "data-plane/logs/raw_capture.h"
#include "data-plane/providers/multipart.h"
#include "data-plane/providers/surface.h"
#include "data-plane/router/governance.h"
#include "data-plane/router/key_selector.h"
#include "data-plane/router/retry_policy.h"
#include "data-plane/upstream/upload_spool.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
using common::ApiError;
using common::StrCat;
using Clock = std::chrono::steady_clock;
constexpr size_t kMaxErrorBody = 1024 * 1024;

ApiError GatewayError(int status, std::string type, std::string code, std::string message) {
  return common::MakeApiError(status, std::move(type), std::move(code), std::move(message));
}

HeaderList JsonHeaders() { return {{"Content-Type", "application/json"}}; }

// "true"/"false" header overrides of a provider flag.
bool FlagWithOverride(const InferenceRequest& request, std::string_view header, bool configured) {
  const std::string_view raw = request.ControlHeader(header);
  if (raw.empty()) return configured;
  const std::string value = absl::AsciiStrToLower(common::ToAbsl(raw));
  if (value == "true") return true;
  if (value == "false") return false;
  return configured;
}

ApiError TransportError(const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) {
    return GatewayError(504, "timeout_error", "upstream_timeout", std::string(status.message()));
  }
  return GatewayError(502, "upstream_unreachable", "upstream_unreachable",
                      std::string(status.message()));
}

// An upstream call's failure when the request streams its body from the client: what the
// body's source reported (upstream_client.h BodySource) is the client's doing, not the
// provider's; a client that cannot send such a body says so.
ApiError UploadError(const absl::Status& status) {
  if (absl::IsInvalidArgument(status)) {
    return GatewayError(400, "invalid_request_error", "invalid_request",
                        std::string(status.message()));
  }
  if (absl::IsResourceExhausted(status)) {
    return GatewayError(413, "invalid_request_error", "request_too_large",
                        std::string(status.message()));
  }
  if (absl::IsUnimplemented(status)) {
    return GatewayError(501, "not_implemented_error", "unsupported_operation",
                        std::string(status.message()));
  }
  return TransportError(status);
}

// A key's access token could not be had: the credential was refused (401), or the token
// endpoint failed (502) or timed out (504). The message names the endpoint and its answer.
ApiError TokenError(const absl::Status& status) {
  if (absl::IsUnauthenticated(status)) {
    return GatewayError(401, "authentication_error", "token_exchange_refused",
                        std::string(status.message()));
  }
  if (absl::IsDeadlineExceeded(status)) {
    return GatewayError(504, "timeout_error", "token_exchange_timeout",
                        std::string(status.message()));
  }
  return GatewayError(502, "upstream_error", "token_exchange_failed",
                      std::string(status.message()));
}

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

// Forwards what the client receives and records it in the worker's metrics.
class MeteredWriter : public ResponseWriter {
 public:
  // `usage` (may be null) reads the answer's token counts as it passes.
  MeteredWriter(ResponseWriter& writer, RequestMetrics* metrics, Clock::time_point start,
                UsageScanner* usage = nullptr)
      : writer_(writer), metrics_(metrics), start_(start), usage_(usage) {}
  ~MeteredWriter() override {
    if (streaming_) metrics_->StreamClosed();
  }

  asio::awaitable<bool> Send(int status, HeaderList headers, std::string body) override {
    status_ = status;
    metrics_->FirstByte(Seconds(Clock::now() - start_));
    if (usage_ != nullptr && status < 300) usage_->Feed(body);
    const bool ok = co_await writer_.Send(status, std::move(headers), std::move(body));
    metrics_->Done(Seconds(Clock::now() - start_));
    co_return ok;
  }
  asio::awaitable<bool> Begin(int status, HeaderList headers,
                              std::string_view first_data) override {
    status_ = status;
    streaming_ = true;
    metrics_->StreamOpened();
    metrics_->FirstByte(Seconds(Clock::now() - start_));
    if (usage_ != nullptr && status < 300) usage_->Feed(first_data);
    co_return co_await writer_.Begin(status, std::move(headers), first_data);
  }
  asio::awaitable<bool> Write(std::string_view data) override {
    if (usage_ != nullptr && status_ < 300) usage_->Feed(data);
    co_return co_await writer_.Write(data);
  }
  asio::awaitable<bool> End(std::string_view last_data) override {
    if (usage_ != nullptr && status_ < 300) usage_->Feed(last_data);
    const bool ok = co_await writer_.End(last_data);
    metrics_->Done(Seconds(Clock::now() - start_));
    co_return ok;
  }
  void Abort() override { writer_.Abort(); }
  int status() const { return status_; }

 private:
  ResponseWriter& writer_;
  RequestMetrics* const metrics_;
  const Clock::time_point start_;
  UsageScanner* const usage_;
  int status_ = 0;
  bool streaming_ = false;
};

// Receives a streamed upstream response: a success goes to the client as it arrives (through
// the adapter's translator, if any); an error status is buffered instead, so that the request
// can still be retried or fall back.
class ClientSink : public UpstreamSink {
 public:
  // `raw` (may be null) keeps the upstream's bytes as they came, up to `raw_limit`.
  ClientSink(ResponseWriter& writer, StreamTranslator* translator, std::string* raw = nullptr,
             size_t raw_limit = 0)
      : writer_(writer), translator_(translator), raw_(raw), raw_limit_(raw_limit) {}

  asio::awaitable<bool> OnHead(int status, const HeaderList& headers,
                               std::string_view first_data) override {
    status_ = status;
    Keep(first_data);
    if (status >= 400) {
      error_body_.append(first_data.substr(0, kMaxErrorBody));
      co_return true;
    }
    HeaderList out = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
    std::string content_type = "text/event-stream";
    if (translator_ == nullptr) {
      for (const auto& [name, value] : headers) {
        if (name == "content-type") content_type = value;
      }
    } else {
      content_type = translator_->content_type();
    }
    out.emplace_back("Content-Type", content_type);
    forwarding_ = true;
    if (translator_ == nullptr || first_data.empty()) {
      co_return co_await writer_.Begin(status, std::move(out), first_data);
    }
    Translate(first_data);  // (what was translated before a failure still reaches the client)
    const bool begun = co_await writer_.Begin(status, std::move(out), translated_);
    co_return begun && translation_error_.ok();
  }

  asio::awaitable<bool> OnData(std::string_view data) override {
    Keep(data);
    if (!forwarding_) {
      if (error_body_.size() < kMaxErrorBody) error_body_.append(data);
      co_return true;
    }
    if (translator_ == nullptr) co_return co_await writer_.Write(data);
    Translate(data);
    bool written = true;  // (not `||`: GCC 12 mishandles co_await in such expressions)
    if (!translated_.empty()) written = co_await writer_.Write(translated_);
    co_return written && translation_error_.ok();
  }

  int status() const { return status_; }
  bool forwarding() const { return forwarding_; }
  const std::string& error_body() const { return error_body_; }
  const absl::Status& translation_error() const { return translation_error_; }

 private:
  // translated_ := the client's bytes for `data`. (Room for twice its size first: the
  // translations make a text event's bytes somewhat larger, and growing by doubling from
  // nothing would reallocate a stream's first buffer about ten times.)
  void Translate(std::string_view data) {
    translated_.clear();
    translated_.reserve(2 * data.size());
    translation_error_ = translator_->Feed(data, &translated_);
  }

  void Keep(std::string_view data) {
    if (raw_ != nullptr && raw_->size() < raw_limit_) {
      raw_->append(data.substr(0, raw_limit_ - raw_->size()));
    }
  }

  ResponseWriter& writer_;
  StreamTranslator* const translator_;
  std::string* const raw_;
  const size_t raw_limit_;
  int status_ = 0;
  bool forwarding_ = false;
  std::string error_body_;
  std::string translated_;
  absl::Status translation_error_;
};

// An error the client read in a stream that had begun (its record's status code stays the
// head's).
void NoteError(LogRecord* log, std::string_view type, std::string_view message) {
  if (log == nullptr) return;
  log->Error(type, message);
  log->error_noted = true;
}

// How much of a streamed answer is kept for the log: a little more than the cap, so that
// redaction still finds a secret cut by it.
size_t RawLimit(const ProviderEntry& entry) {
  return static_cast<size_t>(common::RawLogMaxBytes(entry.config)) + 4096;
}

// A raw body into the record (store_raw_request_response), redacted and capped.
void KeepRaw(LogRecord::Field field, std::string_view text, const ProviderEntry& entry,
             std::string_view access_token, LogRecord* log) {
  bool truncated = false;
  log->Text(field, RedactedCapture(text, entry, access_token, &truncated));
  if (truncated) log->Bool(LogRecord::kRawTruncated, true);
}

}  // namespace

// One candidate ("provider/model") with everything its attempts share.
struct Router::Candidate {
  const ProviderEntry* entry = nullptr;
  AttemptTarget target;
  UpstreamRequest upstream;
  UpstreamClient* client = nullptr;
  // A native route's request bridged to the internal form, when the adapter does not speak
  // the route's surface (surface.h); the adapter then sees `internal`.
  std::optional<InferenceRequest> internal;
  std::string access_token;  // target.access_token points here
  // The provider's timeouts, or its route's.
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds stream_idle_timeout{0};
  // store_raw_request_response (or its header) with request logs on: the raw bodies go into
  // the request's log record.
  bool store_raw = false;
  // The body composed from a spooled upload (UpstreamRequest::pieces), read as it is sent.
  std::optional<SpooledBody> spooled;
  const InferenceRequest& Sent(const InferenceRequest& request) const {
    return internal ? *internal : request;
  }
};

asio::awaitable<void> Router::Serve(const RoutingTable& table, const InferenceRequest& request,
                                    ResponseWriter& client_writer) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + options_.request_deadline;
  const CompiledKey* key = request.virtual_key;
  LogRecord* const log = request.log;
  std::optional<UsageScanner> usage;
  // Every governed or logged answer's tokens are counted.
  if (key != nullptr || log != nullptr) usage.emplace();
  MeteredWriter writer(client_writer, metrics_, start, usage ? &*usage : nullptr);
  // The candidates, in order: the model (through its route, seed 004), the route's failovers,
  // then the request's own fallbacks (each through its route, too).
  const GovernanceTable* governance = table.governance();
  auto resolve = [&](std::string_view model) {
    const CompiledRoute* route = governance != nullptr ? governance->FindRoute(model) : nullptr;
    return Target{route != nullptr ? std::string_view(route->target) : model, route};
  };
  const Target primary = resolve(request.body.model);
  absl::InlinedVector<Target, 4> next;
  if (primary.route != nullptr) {
    for (const CompiledRoute* failover : primary.route->failovers) {
      next.push_back({failover->target, failover});
    }
  }
  for (const std::string& fallback : request.body.fallbacks) next.push_back(resolve(fallback));

  std::string_view provider_label = "unknown";
  const size_t slash = primary.name.find('/');
  if (slash != std::string::npos) {
    const std::string_view provider = primary.name.substr(0, slash);
    if (table.Find(provider) != nullptr) provider_label = provider;
  }
  if (log != nullptr) {
    const std::string_view model = request.body.model;
    const size_t model_slash = model.find('/');
    log->Text(LogRecord::kRequestType, request.request_type);
    if (model_slash != std::string::npos) {
      log->Text(LogRecord::kRequestedProvider, model.substr(0, model_slash));
      log->Text(LogRecord::kRequestedModel, model.substr(model_slash + 1));
    } else {
      log->Text(LogRecord::kRequestedModel, model);  // a route's bare alias
    }
  }

  ApiError primary_error;
  const GovernanceLevel* governed_level = nullptr;  // the answering candidate's, to charge
  std::string_view answered_by;  // the candidate that answered
  bool answered = false;
  if (primary.route == nullptr && slash == std::string::npos) {
    primary_error = GatewayError(
        404, "invalid_request_error", "model_not_found",
        StrCat("model \"", request.body.model,
               "\" is neither a model route's alias nor \"provider/model\""));
  } else {
    answered = co_await TryCandidate(table, request, primary, deadline, writer, &primary_error,
                                     &governed_level);
    if (answered) answered_by = primary.name;
  }
  std::string skipped;  // fallbacks the virtual key may not use
  for (size_t i = 0; !answered && i < next.size(); ++i) {
    if (Clock::now() >= deadline) break;
    if (request.body_source != nullptr && request.body_source->started()) break;
    metrics_->Fallback();
    ApiError fallback_error;
    answered = co_await TryCandidate(table, request, next[i], deadline, writer, &fallback_error,
                                     &governed_level);
    if (answered) {
      answered_by = next[i].name;
      if (log != nullptr) log->Int(LogRecord::kFallbackIndex, static_cast<int64_t>(i + 1));
    }
    if (fallback_error.code == "model_not_allowed") {
      skipped += StrCat(skipped.empty() ? "" : ", ", next[i].name);
    }
  }
  if (!answered) {
    if (!skipped.empty()) {
      primary_error.message += StrCat(" (fallbacks skipped: the virtual key may not use ",
                                      skipped, ")");
    }
    co_await writer.Send(primary_error.http_status, ErrorHeaders(primary_error),
                         EncodeError(request.surface, primary_error));
  }
  const TokenUsage tokens = usage ? usage->usage() : TokenUsage{};
  const size_t answered_slash = answered_by.find('/');
  const std::string_view answered_provider = answered_by.substr(0, answered_slash);
  const std::string_view answered_model =
      answered_slash == std::string_view::npos ? "" : answered_by.substr(answered_slash + 1);
  const ModelPrice* price = governance != nullptr && answered
                                ? governance->FindPrice(answered_provider, answered_model)
                                : nullptr;
  if (key != nullptr && answered) {
    if (counting_ != nullptr) {
      counting_->Charge(*key, governed_level, tokens, price, NowSeconds());
    } else {
      Charge(*key, governed_level, tokens, price, NowSeconds());
    }
  }
  if (log != nullptr) {
    if (answered) {
      log->Text(LogRecord::kProvider, answered_provider);
      log->Text(LogRecord::kModel, answered_model);
    }
    if (tokens.total() > 0 || tokens.cached > 0) log->Tokens(tokens.input, tokens.output, tokens.cached);
    if (price != nullptr) log->Double(LogRecord::kCost, Cost(*price, tokens));
  }
  metrics_->Request(provider_label, request.request_type, writer.status());
}

// True when a response (success, or a stream that failed midway) reached the client; false
// with `error` set when nothing was sent and the next candidate may try.
asio::awaitable<bool> Router::TryCandidate(const RoutingTable& table,
                                           const InferenceRequest& request, Target target_name,
                                           Clock::time_point deadline, ResponseWriter& writer,
                                           ApiError* error,
                                           const GovernanceLevel** governed_level) {
  const std::string_view name = target_name.name;
  const size_t slash = name.find('/');
  // Files and batches name their provider only ("openai/").
  const bool provider_only = !request.resource_path.empty() && name.ends_with('/');
  if (slash == std::string_view::npos || slash == 0 ||
      (slash + 1 == name.size() && !provider_only)) {
    *error = GatewayError(400, "invalid_request_error", "invalid_model",
                          StrCat("model \"", name, "\" must be \"provider/model\""));
    co_return false;
  }
  const std::string_view provider = name.substr(0, slash);
  const std::string_view model = name.substr(slash + 1);
  auto fail = [&](ApiError e) {
    e.provider = std::string(provider);
    e.model_requested = std::string(model);
    e.request_type = std::string(request.request_type);
    *error = std::move(e);
    return false;
  };
  const GovernanceLevel* provider_level = nullptr;
  if (request.virtual_key != nullptr) {
    // (Statements, not a conditional expression: GCC 12 miscompiles co_await inside ?:.)
    std::optional<Refusal> refused;
    if (counting_ != nullptr && !counting_->local()) {
      refused = co_await counting_->AdmitProvider(*request.virtual_key, provider, model,
                                                  NowSeconds(), &provider_level);
    } else {
      refused = AdmitProvider(*request.virtual_key, provider, model, NowSeconds(), &provider_level);
    }
    if (refused) {
      co_return fail(std::move(refused->error));
    }
    *governed_level = provider_level;
  }
  const ProviderEntry* entry = table.Find(provider);
  if (entry == nullptr) {
    co_return fail(GatewayError(400, "invalid_request_error", "provider_not_found",
                                StrCat("provider \"", provider, "\" is not configured")));
  }
  switch (entry->state) {
    case ProviderEntry::State::kServed:
      break;
    case ProviderEntry::State::kUnsupported:
      co_return fail(GatewayError(501, "not_implemented_error", "provider_not_supported",
                                  entry->unserved_reason));
    case ProviderEntry::State::kBroken:
      co_return fail(GatewayError(503, "service_unavailable_error", "provider_unavailable",
                                  entry->unserved_reason));
  }
  if (!entry->Allows(request.request_type)) {
    // (403: the request is well formed; this provider's allowed_requests refuse it.)
    co_return fail(
        GatewayError(403, "permission_error", "unsupported_operation",
                     StrCat(request.request_type, " is not supported by ", provider, " provider")));
  }
  Candidate candidate;
  candidate.entry = entry;
  // A route's timeouts over its provider's (seed 004).
  const CompiledRoute* route = target_name.route;
  candidate.timeout = route != nullptr && route->request_timeout ? *route->request_timeout
                                                                 : entry->timeout;
  candidate.stream_idle_timeout = route != nullptr && route->stream_idle_timeout
                                      ? *route->stream_idle_timeout
                                      : entry->stream_idle_timeout;
  AttemptTarget& target = candidate.target;
  target.entry = entry;
  target.provider = provider;
  target.model = model;
  if (!entry->key_less) {
    target.key = SelectKey(*entry, model, random_);
    if (target.key == nullptr) {
      co_return fail(GatewayError(
          400, "invalid_request_error", "no_key",
          StrCat("no enabled key of provider \"", provider, "\" serves model \"", model, "\"")));
    }
    if (request.log != nullptr) request.log->Text(LogRecord::kSelectedKeyName, target.key->name);
  }
  candidate.store_raw = request.log != nullptr &&
                        FlagWithOverride(request, "x-bf-store-raw-request-response",
                                         entry->config.store_raw_request_response());
  target.now = std::chrono::system_clock::now();
  target.merge_extra_params = FlagWithOverride(request, "x-bf-passthrough-extra-params", false);
  target.raw_request = FlagWithOverride(request, "x-bf-send-back-raw-request",
                                        entry->config.send_back_raw_request());
  target.raw_response = FlagWithOverride(request, "x-bf-send-back-raw-response",
                                         entry->config.send_back_raw_response());
  auto refused = [&](const absl::Status& status) {
    return fail(absl::IsUnimplemented(status)
                    ? GatewayError(501, "not_implemented_error", "unsupported_operation",
                                   std::string(status.message()))
                    : GatewayError(400, "invalid_request_error", "invalid_request",
                                   std::string(status.message())));
  };
  candidate.client = entry->proxy.type == "none" ? direct_ : proxied_;
  if (target.key != nullptr && target.key->oauth != nullptr) {
    if (tokens_ == nullptr) {
      co_return fail(GatewayError(500, "internal_error", "no_token_cache",
                                  "this router has no token cache for OAuth credentials"));
    }
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::min<Clock::duration>(candidate.timeout, deadline - Clock::now()));
    absl::StatusOr<std::string> token =
        co_await tokens_->Token(target.key->oauth, *candidate.client, timeout);
    if (!token.ok()) co_return fail(TokenError(token.status()));
    candidate.access_token = *std::move(token);
    target.access_token = candidate.access_token;
  }
  if (!entry->adapter->Speaks(request.surface)) {
    absl::StatusOr<InferenceRequest> internal = ToInternalRequest(request, model);
    if (!internal.ok()) co_return refused(internal.status());
    candidate.internal = *std::move(internal);
  }
  if (absl::Status built = BuildUpstream(request, candidate); !built.ok()) co_return refused(built);
  if (co_await Attempts(request, candidate, deadline, writer, error)) co_return true;
  co_return fail(std::move(*error));
}

absl::Status Router::BuildUpstream(const InferenceRequest& request, Candidate& candidate) {
  const ProviderEntry& entry = *candidate.entry;
  UpstreamRequest& upstream = candidate.upstream;
  upstream = UpstreamRequest();
  upstream.endpoint = &entry.endpoint;
  upstream.proxy = &entry.proxy;
  upstream.stream_idle_timeout = candidate.stream_idle_timeout;
  const InferenceRequest& sent = candidate.Sent(request);
  absl::Status built = entry.adapter->BuildRequest(sent, candidate.target, &upstream);
  if (!built.ok()) return built;
  if (!upstream.pieces.empty() && sent.form != nullptr) {
    // A body composed from the client's upload: read from its spool as it is sent (as often
    // as it is sent), or put together from the upload in memory.
    if (sent.form->spool != nullptr) {
      candidate.spooled.emplace(*sent.form->spool, std::move(upstream.pieces));
      upstream.body_source = &*candidate.spooled;
    } else {
      upstream.body = Concatenate(upstream.pieces, sent.form->memory);
    }
    upstream.pieces.clear();
  }
  upstream.header_lines[3] = request.trace_header_lines;
  if (candidate.store_raw) {
    KeepRaw(LogRecord::kRawRequest, upstream.body, entry, candidate.access_token, request.log);
  }
  return absl::OkStatus();
}

asio::awaitable<absl::Status> Router::Reauthenticate(const InferenceRequest& request,
                                                     Candidate& candidate,
                                                     std::chrono::milliseconds timeout) {
  const ResolvedKey& key = *candidate.target.key;
  tokens_->Invalidate(*key.oauth, candidate.access_token);
  absl::StatusOr<std::string> token = co_await tokens_->Token(key.oauth, *candidate.client, timeout);
  if (!token.ok()) co_return token.status();
  candidate.access_token = *std::move(token);
  candidate.target.access_token = candidate.access_token;
  co_return BuildUpstream(request, candidate);
}

asio::awaitable<bool> Router::Attempts(const InferenceRequest& request, Candidate& candidate,
                                       Clock::time_point deadline, ResponseWriter& writer,
                                       ApiError* error) {
  const ProviderEntry& entry = *candidate.entry;
  const ProviderAdapter& adapter = *entry.adapter;
  const InferenceRequest& sent = candidate.Sent(request);
  const v1::NetworkConfig& network = entry.config.network_config();
  const int max_retries = static_cast<int>(network.max_retries());
  std::optional<asio::steady_timer> timer;  // only when a retry waits
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto remaining = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  };
  // A streamed upload is read once: after its first piece left, no attempt can follow.
  auto upstream_started = [](const Candidate& c) {
    return c.upstream.body_source != nullptr && c.upstream.body_source->started();
  };
  auto deadline_error = [&] {
    return GatewayError(504, "timeout_error", "request_deadline_exceeded",
                        StrCat("the request's overall deadline of ",
                               options_.request_deadline.count(), " ms passed"));
  };
  // Waits before retry `retry`; false when the wait would pass the deadline.
  auto backoff =
      [&](int retry,
          std::optional<std::chrono::milliseconds> retry_after) -> asio::awaitable<bool> {
    const double jitter = std::uniform_real_distribution<double>(0, 1)(random_);
    const auto wait =
        RetryBackoff(retry, std::chrono::milliseconds(network.retry_backoff_initial()),
                     std::chrono::milliseconds(network.retry_backoff_max()), jitter, retry_after);
    if (wait >= remaining()) co_return false;
    if (!timer) timer.emplace(executor);
    timer->expires_after(wait);
    co_await timer->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    co_return true;
  };

  // A 401 to a cached access token (revoked or rotated upstream before it expired) gets one
  // fresh token and one more attempt, outside max_retries; a second 401 is the answer.
  const bool oauth = candidate.target.key != nullptr && candidate.target.key->oauth != nullptr;
  bool reauthenticated = false;
  for (int retry = 0;; ++retry) {
    const bool last = retry >= max_retries;
    if (remaining().count() <= 0) {
      *error = deadline_error();
      co_return false;
    }
    // A slot per attempt: released before any backoff wait.
    absl::Status slot_status;
    if (!entry.limiter->TryAcquire()) {
      // (Not a conditional expression: GCC 12 mishandles co_await inside one.)
      slot_status = co_await entry.limiter->Acquire(std::min(candidate.timeout, remaining()));
    }
    if (absl::IsResourceExhausted(slot_status)) {
      metrics_->LimiterDrop();
      *error = GatewayError(503, "request_dropped", "request_dropped",
                            StrCat("provider \"", candidate.target.provider,
                                   "\" is at its concurrency and buffer limits; request dropped"));
      co_return false;
    }
    if (!slot_status.ok()) {
      *error = GatewayError(504, "timeout_error", "timeout",
                            StrCat("timed out waiting for a free slot of provider \"",
                                   candidate.target.provider, "\""));
      co_return false;
    }
    metrics_->Attempt(retry > 0);
    if (request.log != nullptr) {
      ++request.log->attempts;
      if (retry > 0) ++request.log->retries;
    }
    std::optional<std::chrono::milliseconds> retry_after;
    int failed_status = 0;  // the upstream's error status, when it answered one
    {
      LimiterSlot slot(entry.limiter);
      UpstreamRequest& upstream = candidate.upstream;
      upstream.timeout = std::min(candidate.timeout, remaining());
      const bool relay = request.relay && adapter.RelaysBody(sent);
      if (request.stream || relay) {
        // (A relayed download is bytes, never events: no translator.)
        std::unique_ptr<StreamTranslator> translator =
            relay ? nullptr : adapter.NewStreamTranslator(sent, candidate.target);
        if (candidate.internal) {
          translator = NewFromInternalStream(request, std::move(translator));
        }
        std::string raw;  // the upstream's bytes, for the log (store_raw only)
        ClientSink sink(writer, translator.get(), candidate.store_raw ? &raw : nullptr,
                        RawLimit(entry));
        const absl::Status status = co_await candidate.client->Stream(upstream, sink);
        if (candidate.store_raw) {
          KeepRaw(LogRecord::kRawResponse, raw, entry, candidate.access_token, request.log);
        }
        if (sink.forwarding()) {
          std::string tail;
          absl::Status ended = status;
          if (ended.ok() && translator != nullptr) ended = translator->Finish(&tail);
          if (!sink.translation_error().ok()) ended = sink.translation_error();
          if (absl::IsCancelled(ended)) {  // the client went away
            NoteError(request.log, "client_closed_request", "the client went away mid-stream");
            co_return true;
          }
          if (ended.ok()) {
            co_await writer.End(tail);  // (what Finish() wrote leaves with the end)
            co_return true;
          }
          if (relay) {
            // A download cut midway: the client must see it fail, not end short.
            NoteError(request.log, "upstream_error",
                      StrCat("download from provider interrupted: ", ended.message()));
            writer.Abort();
            co_return true;
          }
          // Failed midway: bytes already reached the client, so end with an error event.
          ApiError midway = absl::IsInvalidArgument(ended)
                                ? GatewayError(502, "upstream_error", "bad_upstream_stream",
                                               std::string(ended.message()))
                                : TransportError(ended);
          midway.message = StrCat("stream from provider interrupted: ", midway.message);
          midway.provider = std::string(candidate.target.provider);
          midway.model_requested = std::string(candidate.target.model);
          midway.request_type = std::string(request.request_type);
          NoteError(request.log, midway.type, midway.message);
          const std::string event = EncodeStreamError(request.surface, midway);
          co_await writer.End(event);
          co_return true;
        }
        if (absl::IsCancelled(status)) co_return true;  // the client went away
        if (sink.status() == 0 || (!status.ok() && sink.status() < 400)) {
          const absl::Status failed = status.ok() ? absl::UnavailableError("no response") : status;
          *error = request.body_source != nullptr ? UploadError(failed) : TransportError(failed);
        } else {
          UpstreamFailure failure = adapter.ClassifyError(sink.status(), "", sink.error_body());
          *error = std::move(failure.error);
          failed_status = sink.status();
          if (!failure.retryable && !(oauth && failed_status == 401 && !reauthenticated)) {
            co_return false;
          }
          retry_after = failure.retry_after;
        }
      } else {
        absl::StatusOr<UpstreamResponse> response = co_await candidate.client->Send(upstream);
        if (response.ok() && candidate.store_raw) {
          KeepRaw(LogRecord::kRawResponse, response->body, entry, candidate.access_token, request.log);
        }
        if (!response.ok()) {
          *error = request.body_source != nullptr ? UploadError(response.status())
                                                  : TransportError(response.status());
        } else if (response->status >= 400) {
          UpstreamFailure failure = adapter.ClassifyError(
              response->status, response->Header("retry-after"), response->body);
          *error = std::move(failure.error);
          failed_status = response->status;
          if (!failure.retryable && !(oauth && failed_status == 401 && !reauthenticated)) {
            co_return false;
          }
          retry_after = failure.retry_after;
        } else {
          // A job that finishes later (a prediction, a task): asked about again as the adapter
          // says, within the deadline.
          for (;;) {
            absl::StatusOr<PollStep> step = adapter.NextPoll(sent, candidate.target, response->body);
            if (!step.ok()) {
              *error = GatewayError(502, "upstream_error", "upstream_job_failed",
                                    std::string(step.status().message()));
              co_return false;
            }
            if (step->done) break;
            if (step->wait >= remaining()) {
              *error = deadline_error();
              co_return false;
            }
            if (!timer) timer.emplace(executor);
            timer->expires_after(step->wait);
            co_await timer->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
            UpstreamRequest poll;
            poll.endpoint = upstream.endpoint;
            poll.proxy = upstream.proxy;
            poll.method = "GET";
            poll.target = std::move(step->target);
            poll.header_lines = upstream.header_lines;
            poll.headers = upstream.headers;
            poll.timeout = std::min(candidate.timeout, remaining());
            response = co_await candidate.client->Send(poll);
            if (!response.ok()) {
              *error = TransportError(response.status());
              co_return false;
            }
            if (response->status >= 400) {
              *error = adapter.ClassifyError(response->status, response->Header("retry-after"),
                                             response->body).error;
              co_return false;
            }
          }
          absl::StatusOr<std::string> body =
              adapter.TranslateResponse(sent, candidate.target, std::move(response->body));
          if (body.ok() && candidate.internal) {
            body = FromInternalResponse(request, *std::move(body));
          }
          if (!body.ok()) {
            *error = GatewayError(502, "upstream_error", "bad_upstream_response",
                                  std::string(body.status().message()));
            co_return false;
          }
          HeaderList headers;
          std::string content_type = adapter.ResponseContentType(sent);
          if (content_type.empty()) content_type = std::string(response->Header("content-type"));
          headers.emplace_back("Content-Type",
                               content_type.empty() ? "application/json" : content_type);
          co_await writer.Send(response->status, std::move(headers), *std::move(body));
          co_return true;
        }
      }
    }  // the slot is released here, before any wait
    if (oauth && failed_status == 401 && !reauthenticated && !upstream_started(candidate)) {
      reauthenticated = true;
      const absl::Status fresh = co_await Reauthenticate(
          request, candidate, std::min(candidate.timeout, std::max(remaining(), std::chrono::milliseconds(0))));
      if (!fresh.ok()) {
        // Keep the provider's 401 unless the token endpoint itself refused or failed.
        if (!absl::IsInvalidArgument(fresh) && !absl::IsUnimplemented(fresh)) {
          *error = TokenError(fresh);
        }
        co_return false;
      }
      --retry;  // outside max_retries
      continue;
    }
    if (upstream_started(candidate)) {
      error->message += " (the upload was partly sent upstream, so it was not retried)";
      co_return false;
    }
    if (last || !co_await backoff(retry, retry_after)) co_return false;
  }
}

asio::awaitable<void> Router::ServeModels(const RoutingTable& table, ApiSurface surface,
                                          std::string_view query, ResponseWriter& writer,
                                          const CompiledKey* key) {
  std::vector<std::pair<std::string, std::string>> models;
  if (catalog_ != nullptr) {
    for (ListedModel& model : co_await catalog_->Models(table, *direct_, *proxied_)) {
      models.emplace_back(std::move(model.id), std::move(model.provider));
    }
  } else {
    for (const auto& [name, entry] : table.providers()) {
      if (entry->state != ProviderEntry::State::kServed || !entry->Allows("list_models")) continue;
      for (const std::string& model : entry->adapter->ListModels(*entry)) {
        models.emplace_back(StrCat(name, "/", model), name);
      }
    }
  }
  if (key != nullptr && !key->AllowsAllProviders()) {
    std::erase_if(models, [key](const std::pair<std::string, std::string>& model) {
      const ProviderGrant* grant = key->Grant(model.second);
      const std::string_view id = model.first;  // "provider/model"
      return grant == nullptr || id.size() <= model.second.size() + 1 ||
             !grant->Allows(id.substr(model.second.size() + 1));
    });
  }
  co_await writer.Send(200, JsonHeaders(), EncodeModelList(surface, models, query));
}

}  // namespace switchyard::dp
