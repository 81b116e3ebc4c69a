// RequestContext: what the data plane knows about one inference request beyond its body:
// its id, its W3C trace and, when request logs are on, its log record. http/ makes one per
// request and passes it down as the router's ResponseWriter, so it sees the answer go out:
// it adds x-request-id to the response head and notes the status, the time to the first
// byte and whether the answer was streamed.
//
//   id: the client's x-request-id when it is usable (1-128 visible ASCII characters), else
//       a new UUID v4;
//   trace: the client's traceparent continued with a new span of ours (version 00, its
//       flags kept), or a new trace (flags 01) when none came or it is malformed (W3C Trace
//       Context level 1); tracestate passes through unchanged. Both go upstream, and the
//       warning a failed request (5xx, or no answer) leaves in the log names the id and
//       the trace id.
#ifndef SWITCHYARD_DATA_PLANE_LOGS_REQUEST_CONTEXT_H_
#define SWITCHYARD_DATA_PLANE_LOGS_REQUEST_CONTEXT_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "data-plane/logs/log_shipper.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/router/response_writer.h"

namespace switchyard::dp {

struct TraceContext {
  static constexpr std::string_view kHeader = "traceparent: ";
  // "traceparent: 00-<trace id>-<span id>-<flags>\r\n": the line sent upstream.
  char line[kHeader.size() + 55 + 2];
  bool continued = false;  // the caller's trace (else a new one)

  std::string_view traceparent() const { return {line + kHeader.size(), 55}; }
  std::string_view trace_id() const { return {line + kHeader.size() + 3, 32}; }
  std::string_view span_id() const { return {line + kHeader.size() + 36, 16}; }
  std::string_view flags() const { return {line + kHeader.size() + 53, 2}; }
};

// `traceparent`: the client's header, or "".
TraceContext ContinueTrace(std::string_view traceparent);
std::string NewRequestId();
bool IsUsableRequestId(std::string_view id);

struct RequestOrigin {
  std::string_view path;
  ApiSurface surface;
  std::string_view client_address;
  std::string_view request_id;   // the client's x-request-id, or ""
  std::string_view traceparent;  // the client's, or ""
  std::string_view tracestate;
};

class RequestContext : public ResponseWriter {
 public:
  // `node_id` and `log`: with a log (request logs on), the record is filled and pushed to it
  // by Finish().
  RequestContext(ResponseWriter& client, const RequestOrigin& origin, std::string_view node_id,
                 LogShipper* log);

  // The request's trace and record for the InferenceRequest the router serves.
  void Annotate(InferenceRequest* request) const;
  const std::string& id() const { return id_; }
  const TraceContext& trace() const { return trace_; }
  LogRecord* record() { return entry_ ? &entry_->record : nullptr; }

  // After the answer: latency and status into the record, and the record to the shipper.
  void Finish();

  boost::asio::awaitable<bool> Send(int status, HeaderList headers, std::string body) override;
  boost::asio::awaitable<bool> Begin(int status, HeaderList headers,
                                     std::string_view first_data) override;
  boost::asio::awaitable<bool> Write(std::string_view data) override;
  boost::asio::awaitable<bool> End(std::string_view last_data) override;
  void Abort() override { client_.Abort(); }

 private:
  void Head(int status, HeaderList* headers);
  void LogFailure() const;

  ResponseWriter& client_;
  LogShipper* const log_;
  const std::chrono::steady_clock::time_point start_;
  std::string id_;
  TraceContext trace_;
  std::string trace_lines_;  // traceparent and tracestate lines, when a tracestate came
  std::string_view route_;  // the request's path (HttpRequest outlives its context)
  std::unique_ptr<LogEntry> entry_;
  int status_ = 0;
  bool stream_ = false;
  double first_byte_ms_ = 0;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_LOGS_REQUEST_CONTEXT_H_
