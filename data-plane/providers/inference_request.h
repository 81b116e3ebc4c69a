// InferenceRequest: the internal request every layer of the data plane's request pipeline
// shares. http/ builds it once per client request (route table + body parse); router/ reads
// the gateway's own fields (model, fallbacks, stream); a ProviderAdapter translates it for its
// family. It is OpenAI-shaped: native routes decode into it (DESIGN.md "Data plane request
// pipeline").
//
// Immutable once built: a retry or a fallback translates again from the same bytes.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_INFERENCE_REQUEST_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_INFERENCE_REQUEST_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::dp {

struct CompiledKey;
class BodySource;  // data-plane/upstream/upstream_client.h
struct UploadForm;  // data-plane/providers/multipart.h
class LogRecord;  // data-plane/logs/log_record.h  // data-plane/table/governance_table.h

// The wire format a client spoke (the route family it called): OpenAI's (/v1, /openai/v1),
// Anthropic's Messages API (/anthropic/v1/messages) or Google's GenAI API (/genai/v1beta).
// A chat completion request type, plain or streamed.
inline bool IsChatRequest(std::string_view request_type) {
  return request_type == "chat_completion" || request_type == "chat_completion_stream";
}

enum class ApiSurface { kOpenAi, kAnthropic, kGenAi, kCohere, kBedrock };

// The surface's name in request logs: openai | anthropic | genai | cohere | bedrock.
inline std::string_view SurfaceName(ApiSurface surface) {
  switch (surface) {
    case ApiSurface::kAnthropic: return "anthropic";
    case ApiSurface::kGenAi: return "genai";
    case ApiSurface::kCohere: return "cohere";
    case ApiSurface::kBedrock: return "bedrock";
    case ApiSurface::kOpenAi: break;
  }
  return "openai";
}

// The request body, validated as a whole, with the fields the gateway reads.
struct RequestBody {
  std::string text;         // as received
  std::string model;        // "provider/model", unescaped
  size_t model_offset = 0;  // the model's JSON string token (quotes included) in text
  size_t model_length = 0;
  bool stream = false;
  bool has_fallbacks = false;
  std::vector<std::string> fallbacks;
  bool has_extra_params = false;
  bool include_usage = false;  // stream_options.include_usage
};

struct InferenceRequest {
  ApiSurface surface = ApiSurface::kOpenAi;
  std::string_view request_type;  // seed 000's names: "chat_completion_stream", "embedding", ...
  bool stream = false;            // the client asked for server-sent events
  // A binary answer relayed as it arrives, never held whole (file content, speech audio);
  // not events: a failure midway aborts the response.
  bool relay = false;
  RequestBody body;
  // Native routes whose path names the operation (GenAI's "models/{model}:{method}"): the
  // method ("generateContent", "streamGenerateContent", "embedContent", ...) and whether the
  // client asked for server-sent events (alt=sse) rather than a JSON-array stream.
  std::string native_method;
  bool native_sse = true;
  // The virtual key the request is made with (router/governance.h); null: not governed.
  const CompiledKey* virtual_key = nullptr;
  // The request's W3C trace (logs/request_context.h): the traceparent line of this gateway's
  // span (and the caller's tracestate line), sent upstream as they are. `log`: the request's
  // log record, filled as the request is served (null when request logs are off).
  std::string_view trace_header_lines;
  LogRecord* log = nullptr;
  // OpenAI's files, batches and multipart audio/image uploads are sent to an explicit path
  // rather than the request type's: the path under /v1 with its query ("/files/file-1",
  // "/audio/translations"), the method, and the client's Content-Type when it is not JSON
  // (a multipart upload, whose "model" field the adapter rewrites). Files and batches name
  // no model: `body.model` is "<provider>/" (the provider the request names). An audio or
  // image upload comes as `form` (its parts; its bytes in memory or spooled), not body.text.
  std::string resource_path;
  std::string_view method = "POST";
  std::string content_type;
  bool multipart() const { return content_type.starts_with("multipart/"); }
  // An upload streamed from the client instead of `body.text` (file uploads over HTTP/1.1):
  // read once, so never retried nor sent to a fallback once it started.
  BodySource* body_source = nullptr;
  const UploadForm* form = nullptr;
  // The client's x-bf-* headers (Bifrost's per-request controls), names as sent.
  std::vector<std::pair<std::string, std::string>> control_headers;

  // The first control header with this name (compared ignoring case), or "".
  std::string_view ControlHeader(std::string_view lower_case_name) const;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_INFERENCE_REQUEST_H_
