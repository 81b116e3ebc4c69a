#include "data-plane/logs/request_context.h"

#include <cstring>
#include <random>

#include "common/log.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::mt19937_64& Random() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return random;
}

constexpr char kHex[] = "0123456789abcdef";

// This thread's next log entry, handed back by the shipper (LogShipper::Push).
std::unique_ptr<LogEntry>& SpareEntry() {
  thread_local std::unique_ptr<LogEntry> spare;
  return spare;
}

// The low `digits` hex digits of `value`, most significant first.
void WriteHex(uint64_t value, int digits, char* out) {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = kHex[value & 0xf];
    value >>= 4;
  }
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

}  // namespace

TraceContext ContinueTrace(std::string_view traceparent) {
  TraceContext trace;
  char* out = trace.line;
  std::memcpy(out, TraceContext::kHeader.data(), TraceContext::kHeader.size());
  out += TraceContext::kHeader.size();
  std::memcpy(out, "00-", 3);
  char* const trace_id = out + 3;
  char* const span_id = out + 36;
  char* const flags = out + 53;
  out[35] = out[52] = '-';
  out[55] = '\r';
  out[56] = '\n';
  // version "00": exactly 55 characters; a later version: at least that, "-" after flags.
  const bool shaped = traceparent.size() >= 55 && traceparent[2] == '-' &&
                      traceparent[35] == '-' && traceparent[52] == '-' &&
                      (traceparent.size() == 55 || traceparent[55] == '-');
  if (shaped) {
    const std::string_view version = traceparent.substr(0, 2);
    const std::string_view id = traceparent.substr(3, 32);
    const std::string_view parent = traceparent.substr(36, 16);
    const std::string_view flag = traceparent.substr(53, 2);
    trace.continued = IsLowerHex(version) && version != "ff" &&
                      (version != "00" || traceparent.size() == 55) && IsLowerHex(id) &&
                      !AllZero(id) && IsLowerHex(parent) && !AllZero(parent) && IsLowerHex(flag);
    if (trace.continued) {
      std::memcpy(trace_id, id.data(), 32);
      std::memcpy(flags, flag.data(), 2);
    }
  }
  std::mt19937_64& random = Random();
  if (!trace.continued) {
    WriteHex(random(), 16, trace_id);
    WriteHex(random() | 1, 16, trace_id + 16);  // never all zero
    std::memcpy(flags, "01", 2);
  }
  WriteHex(random() | 1, 16, span_id);
  return trace;
}

std::string NewRequestId() {
  std::mt19937_64& random = Random();
  const uint64_t high = (random() & ~0xf000ULL) | 0x4000ULL;  // version 4
  const uint64_t low = (random() & ~(3ULL << 62)) | (2ULL << 62);  // variant 10
  char id[36];
  WriteHex(high >> 32, 8, id);
  id[8] = '-';
  WriteHex(high >> 16, 4, id + 9);
  id[13] = '-';
  WriteHex(high, 4, id + 14);
  id[18] = '-';
  WriteHex(low >> 48, 4, id + 19);
  id[23] = '-';
  WriteHex(low, 12, id + 24);
  return std::string(id, 36);
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
      route_(origin.path) {
  if (!origin.tracestate.empty()) {
    trace_lines_.append(trace_.line, sizeof trace_.line);
    trace_lines_.append("tracestate: ").append(origin.tracestate).append("\r\n");
  }
  if (log_ == nullptr) return;
  entry_ = SpareEntry() != nullptr ? std::move(SpareEntry()) : std::make_unique<LogEntry>();
  LogRecord& record = entry_->record;
  record.Text(LogRecord::kId, id_);
  record.Int(LogRecord::kTimestampUnixUs,
             std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count());
  record.Text(LogRecord::kNodeId, node_id);
  record.Text(LogRecord::kRoute, origin.path);
  record.Text(LogRecord::kSurface, SurfaceName(origin.surface));
  record.Text(LogRecord::kClientAddress, origin.client_address);
  record.Text(LogRecord::kTraceparent, trace_.traceparent());  // (trace_id: read from it)
  if (!origin.tracestate.empty()) record.Text(LogRecord::kTracestate, origin.tracestate);
}

void RequestContext::Annotate(InferenceRequest* request) const {
  request->trace_header_lines =
      trace_lines_.empty() ? std::string_view(trace_.line, sizeof trace_.line) : trace_lines_;
  request->log = entry_ ? &entry_->record : nullptr;
}

void RequestContext::Head(int status, HeaderList* headers) {
  status_ = status;
  headers->emplace_back("x-request-id", id_);
  first_byte_ms_ = Milliseconds(Clock::now() - start_);
}

asio::awaitable<bool> RequestContext::Send(int status, HeaderList headers, std::string body) {
  Head(status, &headers);
  if (entry_ && status >= 400) entry_->error_body = body.substr(0, 4096);
  co_return co_await client_.Send(status, std::move(headers), std::move(body));
}

asio::awaitable<bool> RequestContext::Begin(int status, HeaderList headers,
                                            std::string_view first_data) {
  Head(status, &headers);
  stream_ = true;
  co_return co_await client_.Begin(status, std::move(headers), first_data);
}

asio::awaitable<bool> RequestContext::Write(std::string_view data) {
  co_return co_await client_.Write(data);
}

asio::awaitable<bool> RequestContext::End(std::string_view last_data) {
  co_return co_await client_.End(last_data);
}

void RequestContext::Finish() {
  if (status_ >= 500 || status_ == 0) LogFailure();
  if (!entry_) return;
  LogRecord& record = entry_->record;
  record.Double(LogRecord::kLatency, Milliseconds(Clock::now() - start_));
  if (status_ == 0) {
    // The client left before any answer.
    record.Text(LogRecord::kStatus, "error");
    record.Int(LogRecord::kStatusCode, 499);
    if (!record.error_noted) {
      record.Error("client_closed_request", "the client went away before the answer");
    }
  } else {
    record.Text(LogRecord::kStatus, status_ >= 400 || record.error_noted ? "error" : "success");
    record.Int(LogRecord::kStatusCode, status_);
    record.Double(LogRecord::kTimeToFirstByte, first_byte_ms_);
  }
  if (stream_) record.Bool(LogRecord::kStream, true);
  if (record.attempts > 0) record.Int(LogRecord::kAttempts, record.attempts);
  if (record.retries > 0) record.Int(LogRecord::kRetries, record.retries);
  SpareEntry() = log_->Push(std::move(entry_));
}

void RequestContext::LogFailure() const {
  // At most kLines a second per worker, then one line saying how many were left out: an
  // outage must not drown the log.
  constexpr int kLines = 10;
  thread_local int64_t second = 0;
  thread_local int lines = 0;
  thread_local int64_t suppressed = 0;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          Clock::now().time_since_epoch())
                          .count();
  if (now != second) {
    if (suppressed > 0) {
      common::LogWarning("failed requests not logged (more than 10 a second on this worker)",
                         {{"requests", std::to_string(suppressed)}});
    }
    second = now;
    lines = 0;
    suppressed = 0;
  }
  if (++lines > kLines) {
    ++suppressed;
    return;
  }
  common::LogWarning(status_ == 0 ? "request ended before an answer" : "request failed",
                     {{"request_id", id_},
                      {"trace_id", std::string(trace_.trace_id())},
                      {"route", route_},
                      {"status", std::to_string(status_)}});
}

}  // namespace switchyard::dp
