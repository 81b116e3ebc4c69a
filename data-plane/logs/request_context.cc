#include "data-plane/logs/request_context.h"

#include <random>

#include "absl/strings/ascii.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::mt19937_64& Random() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return random;
}

constexpr char kHex[] = "0123456789abcdef";

void AppendHex(uint64_t value, int digits, std::string* out) {
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(value >> (i * 4)) & 0xf]);
}

bool IsLowerHex(std::string_view text) {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

double Milliseconds(Clock::duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

std::string_view SurfaceName(std::string_view path) {
  if (path.starts_with("/anthropic/")) return "anthropic";
  if (path.starts_with("/genai/")) return "genai";
  if (path.starts_with("/cohere/")) return "cohere";
  if (path.starts_with("/bedrock/")) return "bedrock";
  return "openai";
}

}  // namespace

TraceContext ContinueTrace(std::string_view traceparent) {
  TraceContext trace;
  // version "00": exactly 55 characters; a later version: at least that, "-" after flags.
  const bool shaped = traceparent.size() >= 55 && traceparent[2] == '-' &&
                      traceparent[35] == '-' && traceparent[52] == '-' &&
                      (traceparent.size() == 55 || traceparent[55] == '-');
  if (shaped) {
    const std::string_view version = traceparent.substr(0, 2);
    const std::string_view trace_id = traceparent.substr(3, 32);
    const std::string_view parent = traceparent.substr(36, 16);
    const std::string_view flags = traceparent.substr(53, 2);
    if (IsLowerHex(version) && version != "ff" && (version != "00" || traceparent.size() == 55) &&
        IsLowerHex(trace_id) && !AllZero(trace_id) && IsLowerHex(parent) && !AllZero(parent) &&
        IsLowerHex(flags)) {
      trace.trace_id = std::string(trace_id);
      trace.parent_id = std::string(parent);
      trace.flags = std::string(flags);
    }
  }
  std::mt19937_64& random = Random();
  if (trace.trace_id.empty()) {
    trace.trace_id.reserve(32);
    AppendHex(random(), 16, &trace.trace_id);
    AppendHex(random() | 1, 16, &trace.trace_id);  // never all zero
    trace.flags = "01";
  }
  AppendHex(random() | 1, 16, &trace.span_id);
  trace.traceparent.reserve(55);
  trace.traceparent.append("00-").append(trace.trace_id).append("-").append(trace.span_id);
  trace.traceparent.append("-").append(trace.flags);
  return trace;
}

std::string NewRequestId() {
  std::mt19937_64& random = Random();
  const uint64_t high = (random() & ~0xf000ULL) | 0x4000ULL;  // version 4
  const uint64_t low = (random() & ~(3ULL << 62)) | (2ULL << 62);  // variant 10
  std::string id;
  id.reserve(36);
  AppendHex(high >> 32, 8, &id);
  id.push_back('-');
  AppendHex(high >> 16, 4, &id);
  id.push_back('-');
  AppendHex(high, 4, &id);
  id.push_back('-');
  AppendHex(low >> 48, 4, &id);
  id.push_back('-');
  AppendHex(low, 12, &id);
  return id;
}

bool IsUsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

RequestContext::RequestContext(ResponseWriter& client, const RequestOrigin& origin,
                               std::string_view node_id, LogShipper* log)
    : client_(client),
      log_(log),
      start_(Clock::now()),
      id_(IsUsableRequestId(origin.request_id) ? std::string(origin.request_id) : NewRequestId()),
      trace_(ContinueTrace(origin.traceparent)),
      tracestate_(origin.tracestate) {
  if (log_ == nullptr) return;
  entry_ = std::make_unique<LogEntry>();
  v1::RequestLog& record = entry_->record;
  record.set_id(id_);
  record.set_timestamp_unix_us(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
  record.set_node_id(std::string(node_id));
  record.set_route(std::string(origin.path));
  record.set_surface(std::string(SurfaceName(origin.path)));
  record.set_client_address(std::string(origin.client_address));
  record.set_traceparent(trace_.traceparent);
  record.set_trace_id(trace_.trace_id);
  record.set_tracestate(tracestate_);
}

void RequestContext::Annotate(InferenceRequest* request) const {
  request->request_id = id_;
  request->traceparent = trace_.traceparent;
  request->tracestate = tracestate_;
  request->log = entry_ ? &entry_->record : nullptr;
}

void RequestContext::Head(int status, HeaderList* headers) {
  status_ = status;
  headers->emplace_back("x-request-id", id_);
  if (entry_) {
    entry_->record.set_status_code(status);
    entry_->record.set_time_to_first_byte(Milliseconds(Clock::now() - start_));
  }
}

asio::awaitable<bool> RequestContext::Send(int status, HeaderList headers, std::string body) {
  Head(status, &headers);
  if (entry_ && status >= 400) entry_->error_body = body.substr(0, 4096);
  co_return co_await client_.Send(status, std::move(headers), std::move(body));
}

asio::awaitable<bool> RequestContext::Begin(int status, HeaderList headers,
                                            std::string_view first_data) {
  Head(status, &headers);
  if (entry_) entry_->record.set_stream(true);
  co_return co_await client_.Begin(status, std::move(headers), first_data);
}

asio::awaitable<bool> RequestContext::Write(std::string_view data) {
  co_return co_await client_.Write(data);
}

asio::awaitable<bool> RequestContext::End() { co_return co_await client_.End(); }

void RequestContext::Finish() {
  if (!entry_) return;
  v1::RequestLog& record = entry_->record;
  record.set_latency(Milliseconds(Clock::now() - start_));
  if (status_ == 0) {
    // The client left before any answer.
    record.set_status("error");
    record.set_status_code(499);
    if (record.error_details().message().empty()) {
      record.mutable_error_details()->set_type("client_closed_request");
      record.mutable_error_details()->set_message("the client went away before the answer");
    }
  } else if (status_ >= 400 || !record.error_details().message().empty()) {
    record.set_status("error");
  } else {
    record.set_status("success");
  }
  if (record.provider().empty()) {
    record.set_provider(record.requested_provider());
    record.set_model(record.requested_model());
  }
  log_->Push(std::move(entry_));
}

}  // namespace switchyard::dp
