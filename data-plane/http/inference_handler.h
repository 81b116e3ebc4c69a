// InferenceHandler: the inference listener's route table, on one worker.
//
//   (method, path) -> (API surface, request type):
//   POST /v1/chat/completions   chat_completion[_stream]
//   POST /v1/completions        text_completion[_stream]
//   POST /v1/embeddings         embedding
//   POST /v1/responses          responses[_stream]
//   GET  /v1/models             the models of the live routing table
//   ... and each again under /openai/v1/...
//   POST /anthropic/v1/messages  Anthropic's Messages API (plain and streamed); a bare model
//                                means the provider "anthropic"
//
// It parses the body once into the InferenceRequest the router takes, takes the worker's
// table once for the whole request, and hands both to the Router. It knows no provider.
//
// One per worker; runs only on that worker's event loop; never throws.
#ifndef SWITCHYARD_DATA_PLANE_HTTP_INFERENCE_HANDLER_H_
#define SWITCHYARD_DATA_PLANE_HTTP_INFERENCE_HANDLER_H_

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "absl/strings/match.h"

#include "common/http/http_server.h"
#include "data-plane/logs/request_context.h"
#include "data-plane/router/governance.h"
#include "data-plane/router/response_writer.h"
#include "data-plane/router/router.h"
#include "data-plane/table/table_slot.h"

namespace switchyard::dp {

// The client headers the request pipeline reads: Bifrost's x-bf-* controls and anthropic-beta
// (filtered per provider, ADAPTERS.md §7). The servers drop every other header at the door,
// so nothing else a client sends (its own credentials included) can reach a provider.
// The client's credential headers (authorization, x-api-key, x-goog-api-key, api-key) are
// kept only to find its virtual key, and dropped before the request goes further.
inline bool IsPipelineHeader(std::string_view name) {
  const absl::string_view view(name.data(), name.size());
  return (name.size() > 5 && absl::StartsWithIgnoreCase(view, "x-bf-")) ||
         absl::EqualsIgnoreCase(view, "anthropic-beta") ||
         absl::EqualsIgnoreCase(view, "authorization") ||
         absl::EqualsIgnoreCase(view, "x-api-key") ||
         absl::EqualsIgnoreCase(view, "x-goog-api-key") ||
         absl::EqualsIgnoreCase(view, "api-key") ||
         absl::EqualsIgnoreCase(view, "x-request-id") ||
         absl::EqualsIgnoreCase(view, "traceparent") ||
         absl::EqualsIgnoreCase(view, "tracestate");
}

// IsPipelineHeader, or a multipart upload's Content-Type (its boundary); JSON's is not kept.
inline bool KeepsHeader(std::string_view name, std::string_view value) {
  return IsPipelineHeader(name) ||
         (absl::EqualsIgnoreCase(absl::string_view(name.data(), name.size()), "content-type") &&
          value.starts_with("multipart/"));
}

class BodySource;     // data-plane/upstream/upstream_client.h
struct ResourceRoute;  // inference_handler.cc

// Audio uploads (transcriptions, translations), which have their own size limit.
inline bool IsAudioUpload(std::string_view method, std::string_view path) {
  if (path.starts_with("/openai/v1/")) path.remove_prefix(7);
  return method == "POST" && (path == "/v1/audio/transcriptions" || path == "/v1/audio/translations");
}

// Requests whose body the server hands over unread (HTTP/1.1), never held whole: file uploads
// (POST /v1/files, /openai/v1/files), streamed through to the provider, and audio uploads and
// image edits, spooled to a file (their model comes after their file).
inline bool StreamsBody(std::string_view method, std::string_view path) {
  if (IsAudioUpload(method, path)) return true;
  if (path.starts_with("/openai/v1/")) path.remove_prefix(7);
  return method == "POST" && (path == "/v1/files" || path == "/v1/images/edits");
}

// The size limit of a StreamsBody request: audio uploads have their own, image edits the
// request body limit, file uploads the upload limit.
inline uint64_t StreamedBodyLimit(std::string_view method, std::string_view path,
                                  uint64_t max_body, uint64_t max_upload, uint64_t max_audio) {
  if (IsAudioUpload(method, path)) return max_audio;
  return path.ends_with("/images/edits") ? max_body : max_upload;
}

class InferenceHandler {
 public:
  // `require_virtual_key`: every inference request must present a virtual key (401
  // otherwise); when false, only requests presenting one are governed.
  // `counting` (null: local) counts governed requests (router/governance.h).
  // `logs` (null: request logs off) takes a record of every request, made by `node_id`.
  InferenceHandler(WorkerTable* tables, Router* router, bool require_virtual_key = false,
                   GovernanceCounting* counting = nullptr, LogShipper* logs = nullptr,
                   std::string node_id = "")
      : tables_(tables),
        router_(router),
        require_virtual_key_(require_virtual_key),
        counting_(counting),
        logs_(logs),
        node_id_(std::move(node_id)) {}

  // Takes the request body (moved out of `request`), or reads it from `body` (an upload the
  // server did not read ahead: StreamsBody()).
  boost::asio::awaitable<void> Handle(common::HttpRequest& request, ResponseWriter& writer,
                                      BodySource* body = nullptr);

  // Where audio uploads and image edits are spooled (UploadSpool).
  void set_upload_spool_dir(std::string directory) { spool_dir_ = std::move(directory); }

  // Requests being served right now (any thread may read it; only this worker writes it).
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  boost::asio::awaitable<void> Dispatch(common::HttpRequest& request, RequestContext& writer,
                                        BodySource* body);
  boost::asio::awaitable<void> DispatchGenAi(common::HttpRequest& request, RequestContext& writer);
  // OpenAI's uploads, files and batches (inference_handler.cc kResourceRoutes).
  boost::asio::awaitable<void> DispatchResource(common::HttpRequest& request,
                                                const ResourceRoute& route,
                                                std::string path, RequestContext& writer,
                                                BodySource* body);
  boost::asio::awaitable<void> DispatchBedrock(common::HttpRequest& request,
                                               RequestContext& writer);
  // A native route naming its model in the path (GenAI's, Bedrock's).
  struct NativeCall {
    ApiSurface surface;
    std::string_view default_provider;  // what a bare model name means
    std::string_view encoded_model;     // as in the path
    std::string_view method;            // the route's own name for it
    std::string_view request_type;
    bool stream = false;
    bool sse = false;
  };
  boost::asio::awaitable<void> ServeNative(common::HttpRequest& request, const NativeCall& call,
                                           RequestContext& writer);
  // Finds the request's virtual key (router/governance.h), drops the client's credential
  // headers and, under the local policy, counts the request when `count`: a refusal, or
  // nothing with `*key` set (null for an ungoverned request).
  std::optional<Refusal> Govern(common::HttpRequest& request, const RoutingTable& table, bool count,
                                const CompiledKey** key);
  // Whether a request by `key` is counted in Redis (the redis policy), which needs Admitted().
  bool CountsRemotely(const CompiledKey* key, bool count) const {
    return key != nullptr && count && counting_ != nullptr && !counting_->local();
  }
  // Counts the request in Redis (the redis policy), then answers a refusal if there is one:
  // false when it did.
  boost::asio::awaitable<bool> Admitted(std::optional<Refusal> refused, const CompiledKey* key,
                                        bool count, ApiSurface surface, ResponseWriter& writer);

  WorkerTable* const tables_;
  Router* const router_;
  const bool require_virtual_key_;
  GovernanceCounting* const counting_;
  LogShipper* const logs_;
  const std::string node_id_;
  std::string spool_dir_ = "/tmp";
  std::atomic<int> in_flight_{0};
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_INFERENCE_HANDLER_H_
