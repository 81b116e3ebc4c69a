#include "data-plane/http/inference_handler.h"

#include <nlohmann/json.hpp>

#include <optional>

#include <array>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/strings.h"
#include "data-plane/providers/multipart.h"
#include "data-plane/upstream/upload_spool.h"
#include "data-plane/upstream/upstream_client.h"
#include "common/url.h"
#include "data-plane/http/request_body.h"
#include "data-plane/router/governance.h"
#include "data-plane/providers/surface.h"

namespace switchyard::dp {
// OpenAI's routes sent to an explicit path (InferenceRequest::resource_path): multipart
// uploads that carry a model ("model" form field; "stream" field "true" for the stream type),
// and files and batches, which carry none and go to the provider the request names.
struct ResourceRoute {
  std::string_view method;
  std::string_view collection;  // the path's first segment under /v1
  int depth;                    // 0: the collection, 1: /{id}, 2: /{id}/{action}
  std::string_view action;
  std::string_view request_type;
  std::string_view stream_request_type;  // multipart uploads with "stream": "true"
  bool multipart_model;                  // the model is the upload's "model" field
};
namespace {

namespace asio = boost::asio;
using common::StrCat;

struct Route {
  std::string_view method;
  std::string_view path;  // under /v1 (and /openai/v1)
  ApiSurface surface;
  std::string_view request_type;         // plain
  std::string_view stream_request_type;  // "stream": true; "" when the route has none
};

constexpr Route kRoutes[] = {
    {"POST", "/chat/completions", ApiSurface::kOpenAi, "chat_completion", "chat_completion_stream"},
    {"POST", "/completions", ApiSurface::kOpenAi, "text_completion", "text_completion_stream"},
    {"POST", "/embeddings", ApiSurface::kOpenAi, "embedding", ""},
    {"POST", "/responses", ApiSurface::kOpenAi, "responses", "responses_stream"},
    {"GET", "/models", ApiSurface::kOpenAi, "list_models", ""},
    // (speech streams with "stream_format": "sse" rather than "stream": true)
    {"POST", "/audio/speech", ApiSurface::kOpenAi, "speech", "speech_stream"},
    {"POST", "/images/generations", ApiSurface::kOpenAi, "image_generation",
     "image_generation_stream"},
};

constexpr ResourceRoute kResourceRoutes[] = {
    {"POST", "audio", 1, "", "transcription", "transcription_stream", true},  // /audio/{kind}
    {"POST", "images", 1, "", "image_generation", "", true},                  // /images/edits
    {"POST", "files", 0, "", "file_upload", "", false},
    {"GET", "files", 0, "", "file_list", "", false},
    {"GET", "files", 1, "", "file_retrieve", "", false},
    {"DELETE", "files", 1, "", "file_delete", "", false},
    {"GET", "files", 2, "content", "file_content", "", false},
    {"POST", "batches", 0, "", "batch_create", "", false},
    {"GET", "batches", 0, "", "batch_list", "", false},
    {"GET", "batches", 1, "", "batch_retrieve", "", false},
    {"POST", "batches", 2, "cancel", "batch_cancel", "", false},
    // The gateway's (Bifrost's batch_results): a completed batch's output file, fetched from
    // its provider in two calls (the batch, then its output file's content).
    {"GET", "batches", 2, "results", "batch_results", "", false},
};

// The resource route of `path` (under /v1 or /openai/v1), its path under /v1 in `rest`;
// null when it names none. `path_known`: some route has this path (with another method).
const ResourceRoute* FindResourceRoute(std::string_view method, std::string_view path,
                                       std::string_view* rest, bool* path_known) {
  if (path.starts_with("/openai/v1/")) path.remove_prefix(7);
  if (!path.starts_with("/v1/")) return nullptr;
  path.remove_prefix(3);
  // (Most requests are none of these: no further work for them.)
  if (!path.starts_with("/files") && !path.starts_with("/batches") &&
      !path.starts_with("/audio/") && !path.starts_with("/images/edits")) {
    return nullptr;
  }
  *rest = path;
  absl::InlinedVector<std::string_view, 3> segments;
  for (std::string_view left = path.substr(1); !left.empty();) {
    const size_t slash = left.find('/');
    segments.push_back(left.substr(0, slash));
    if (slash == std::string_view::npos) break;
    left.remove_prefix(slash + 1);
  }
  if (segments.empty() || segments.size() > 3) return nullptr;
  const bool audio = segments[0] == "audio" && segments.size() == 2 &&
                     (segments[1] == "transcriptions" || segments[1] == "translations");
  const bool edits = segments[0] == "images" && segments.size() == 2 && segments[1] == "edits";
  for (const ResourceRoute& route : kResourceRoutes) {
    if (route.collection != segments[0]) continue;
    if (route.multipart_model ? !(audio || edits)
                              : static_cast<int>(segments.size()) != route.depth + 1 ||
                                    (route.depth == 2 && segments[2] != route.action) ||
                                    (route.depth >= 1 && segments[1].empty())) {
      continue;
    }
    *path_known = true;
    if (route.method == method) return &route;
  }
  return nullptr;
}

// The query without its `provider` parameter (the gateway's, not the provider's), and that
// parameter's value.
std::string WithoutProvider(std::string_view query, std::string* provider) {
  std::string out;
  for (std::string_view left = query; !left.empty();) {
    const size_t amp = left.find('&');
    const std::string_view pair = left.substr(0, amp);
    if (pair.starts_with("provider=")) {
      *provider = std::string(pair.substr(9));
    } else if (!pair.empty()) {
      out += StrCat(out.empty() ? "" : "&", pair);
    }
    if (amp == std::string_view::npos) break;
    left.remove_prefix(amp + 1);
  }
  return out;
}

// Anthropic's Messages API for unchanged Anthropic clients (base URL http://<data plane>/anthropic).
constexpr Route kAnthropicMessages = {"POST", "/messages", ApiSurface::kAnthropic,
                                      "chat_completion", "chat_completion_stream"};
constexpr Route kAnthropicModels = {"GET", "/models", ApiSurface::kAnthropic, "list_models", ""};
constexpr Route kAnthropicCountTokens = {"POST", "/messages/count_tokens", ApiSurface::kAnthropic,
                                         "count_tokens", ""};

// Cohere's v2 API for unchanged Cohere clients (environment http://<data plane>/cohere).
constexpr Route kCohereChat = {"POST", "/chat", ApiSurface::kCohere, "chat_completion",
                               "chat_completion_stream"};
constexpr Route kCohereEmbed = {"POST", "/embed", ApiSurface::kCohere, "embedding", ""};

constexpr std::string_view kAzureDeployments = "/openai/deployments/";

const Route* FindRoute(std::string_view path) {
  if (path == "/anthropic/v1/messages") return &kAnthropicMessages;
  if (path == "/anthropic/v1/models") return &kAnthropicModels;
  if (path == "/anthropic/v1/messages/count_tokens") return &kAnthropicCountTokens;
  if (path == "/cohere/v2/chat") return &kCohereChat;
  if (path == "/cohere/v2/embed") return &kCohereEmbed;
  if (path.starts_with("/openai/v1/")) path.remove_prefix(7);
  if (!path.starts_with("/v1/")) return nullptr;
  path.remove_prefix(3);
  for (const Route& route : kRoutes) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

// Google's GenAI API for unchanged GenAI clients (base URL http://<data plane>/genai):
// POST /genai/v1beta/models/{model}:{method} and GET /genai/v1beta/models. Clients that
// take a model id with a slash as a resource name (the Vercel AI SDK's @ai-sdk/google) write
// POST /genai/v1beta/{provider}/{model}:{method}, without "models/": accepted as the same call.
constexpr std::string_view kGenAi = "/genai/v1beta/";
constexpr std::string_view kGenAiModels = "/genai/v1beta/models";
constexpr std::string_view kBedrockModels = "/bedrock/model/";
struct GenAiMethod {
  std::string_view method;
  std::string_view request_type;
  bool stream;
};
constexpr GenAiMethod kGenAiMethods[] = {
    {"generateContent", "chat_completion", false},
    {"streamGenerateContent", "chat_completion_stream", true},
    {"embedContent", "embedding", false},
    {"batchEmbedContents", "embedding", false},
    {"countTokens", "count_tokens", false},
};

// The surface a path belongs to, for errors written before (or without) a route.
ApiSurface SurfaceOf(std::string_view path) {
  if (path.starts_with("/anthropic/")) return ApiSurface::kAnthropic;
  if (path.starts_with("/genai/")) return ApiSurface::kGenAi;
  if (path.starts_with("/cohere/")) return ApiSurface::kCohere;
  if (path.starts_with("/bedrock/")) return ApiSurface::kBedrock;
  return ApiSurface::kOpenAi;
}

asio::awaitable<void> SendApiError(ResponseWriter& writer, ApiSurface surface,
                                   const common::ApiError& error) {
  // (Arguments built first: GCC 12 mishandles braced lists inside co_await.)
  HeaderList headers = ErrorHeaders(error);
  co_await writer.Send(error.http_status, std::move(headers), EncodeError(surface, error));
}

asio::awaitable<void> SendError(ResponseWriter& writer, ApiSurface surface, int status,
                                std::string type,
                                std::string code, std::string message) {
  co_await SendApiError(
      writer, surface,
      common::MakeApiError(status, std::move(type), std::move(code), std::move(message)));
}

// What a request refused before the router is known by, for its log record.
void NoteCaller(RequestContext& context, std::string_view request_type, const CompiledKey* key) {
  LogRecord* record = context.record();
  if (record == nullptr) return;
  record->Text(LogRecord::kRequestType, request_type);
  if (key != nullptr) {
    record->Text(LogRecord::kVirtualKeyId, key->id);
    record->Text(LogRecord::kVirtualKeyName, key->name);
  }
}

asio::awaitable<void> SendNotReady(ResponseWriter& writer, ApiSurface surface) {
  co_await SendError(writer, surface, 503, "service_unavailable_error", "not_ready",
                     "no routing table yet: the data plane has not received its configuration");
}

// A streamed multipart upload whose framing is checked as it passes (MultipartChecker). Each
// piece is held back until the next one was read, so that the last one leaves only once the
// closing boundary was seen: a malformed upload never reaches the provider complete.
class CheckedUpload : public BodySource {
 public:
  // Fields read ahead of the file part: at most this much.
  static constexpr size_t kMaxLookahead = 1024 * 1024;

  CheckedUpload(BodySource& inner, std::string_view boundary)
      : inner_(inner), checker_(boundary, /*index=*/true) {}

  // Reads ahead until the file part begins (or the body ends), so that the fields sent before
  // it are known before anything is sent (FieldBeforeFile); what was read is sent first.
  asio::awaitable<absl::Status> ReadFieldsBeforeFile() {
    while (!FilePartStarted() && ahead_.size() <= kMaxLookahead) {
      absl::StatusOr<std::string_view> piece = co_await inner_.Next();
      if (!piece.ok()) co_return piece.status();
      if (piece->empty()) {
        ended_ = true;
        break;
      }
      if (absl::Status framed = checker_.Feed(*piece); !framed.ok()) co_return framed;
      ahead_.append(*piece);
    }
    if (!FilePartStarted() && !ended_) {
      co_return absl::InvalidArgumentError(
          StrCat("the upload's fields before its file are longer than ", kMaxLookahead, " bytes"));
    }
    co_return absl::OkStatus();
  }
  std::string_view FieldBeforeFile(std::string_view name) {
    for (const FormPart& part : checker_.parts()) {
      if (!part.filename.empty()) break;
      if (part.name == name) return part.value;
    }
    return "";
  }
  // The provider the upload goes to: a "provider" field after the file naming another one
  // fails the upload before its last piece leaves.
  void set_provider(std::string provider) { provider_ = std::move(provider); }

  asio::awaitable<absl::StatusOr<std::string_view>> Next() override {
    for (;;) {
      std::string_view piece;
      if (!ahead_.empty()) {
        read_.swap(ahead_);  // (already checked)
        ahead_.clear();
        piece = read_;
      } else if (!ended_) {
        absl::StatusOr<std::string_view> next = co_await inner_.Next();
        if (!next.ok()) co_return next.status();
        piece = *next;
        ended_ = piece.empty();
        if (!ended_) {
          if (absl::Status framed = checker_.Feed(piece); !framed.ok()) co_return framed;
        }
      }
      if (piece.empty()) {
        if (absl::Status framed = checker_.Finish(); !framed.ok()) co_return framed;
        if (absl::Status named = ProviderAfterFile(); !named.ok()) co_return named;
        out_.swap(held_);
        held_.clear();
        co_return std::string_view(out_);
      }
      if (held_.empty()) {
        held_.assign(piece.data(), piece.size());
        continue;
      }
      out_.swap(held_);
      held_.assign(piece.data(), piece.size());
      co_return std::string_view(out_);
    }
  }
  std::optional<uint64_t> length() const override { return inner_.length(); }
  bool started() const override { return inner_.started(); }

 private:
  bool FilePartStarted() {
    return checker_.parts().size() > 0 && !checker_.parts().back().filename.empty();
  }
  absl::Status ProviderAfterFile() {
    const std::string_view named = FormValue(checker_.parts(), "provider");
    if (named.empty() || named == provider_) return absl::OkStatus();
    return absl::InvalidArgumentError(StrCat(
        "the upload's \"provider\" field (", named, ") comes after its file, which was being "
        "sent to provider \"", provider_, "\"; name the provider before the file, in the "
        "?provider= query or in the x-bf-provider header"));
  }

  BodySource& inner_;
  MultipartChecker checker_;
  std::string ahead_;  // read ahead by ReadFieldsBeforeFile, not yet sent
  std::string read_;
  bool ended_ = false;
  std::string provider_;
  std::string held_;
  std::string out_;
};

// Reads a multipart upload whole into a new spool in `directory`, its framing checked and its
// parts indexed as it arrives (MultipartChecker): InvalidArgument for bad framing,
// ResourceExhausted past the size limit, Unavailable when the client's body broke off,
// Internal when the spool cannot be written.
asio::awaitable<absl::Status> SpoolUpload(BodySource& body, const std::string& directory,
                                          UploadForm* form, std::unique_ptr<UploadSpool>* spool) {
  if (form->boundary.empty() || form->boundary.size() > 70) {
    co_return absl::InvalidArgumentError("the multipart Content-Type has no valid boundary");
  }
  absl::StatusOr<std::unique_ptr<UploadSpool>> created = UploadSpool::Create(directory);
  if (!created.ok()) co_return created.status();
  *spool = *std::move(created);
  MultipartChecker checker(form->boundary, /*index=*/true);
  for (;;) {
    absl::StatusOr<std::string_view> piece = co_await body.Next();
    if (!piece.ok()) co_return piece.status();
    if (piece->empty()) break;
    if (absl::Status framed = checker.Feed(*piece); !framed.ok()) co_return framed;
    if (absl::Status written = (*spool)->Append(*piece); !written.ok()) co_return written;
  }
  if (absl::Status framed = checker.Finish(); !framed.ok()) co_return framed;
  form->parts = std::move(checker.parts());
  form->size = (*spool)->size();
  form->spool = spool->get();
  co_return absl::OkStatus();
}

// Why an upload could not be read, in OpenAI's envelope.
asio::awaitable<void> SendUploadError(ResponseWriter& writer, const absl::Status& status) {
  const std::string message(status.message());
  if (absl::IsResourceExhausted(status)) {
    co_await SendError(writer, ApiSurface::kOpenAi, 413, "invalid_request_error",
                       "request_too_large", message);
  } else if (absl::IsInternal(status)) {
    // (The spool's error names its directory, never anything the client sent.)
    co_await SendError(writer, ApiSurface::kOpenAi, 503, "service_unavailable_error",
                       "upload_spool_failed", message);
  } else {
    co_await SendError(writer, ApiSurface::kOpenAi, 400, "invalid_request_error",
                       "invalid_request", message);
  }
}

// OpenAI's speech streams with "stream_format": "sse".
bool SpeechStreams(std::string_view body) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  return json.is_object() && json.value("stream_format", "") == "sse";
}

// A native client's bare model means its own provider, unless it is a model route's alias
// (or that provider is not configured: the router then answers that no route has the name).
std::string Qualified(const RoutingTable& table, std::string model, std::string_view provider) {
  if (model.find('/') != std::string::npos) return model;
  const GovernanceTable* governance = table.governance();
  if (governance != nullptr && governance->FindRoute(model) != nullptr) return model;
  if (table.Find(provider) == nullptr) return model;
  return StrCat(provider, "/", model);
}

}  // namespace

std::string_view InferenceRequest::ControlHeader(std::string_view lower_case_name) const {
  for (const auto& [name, value] : control_headers) {
    if (absl::EqualsIgnoreCase(common::ToAbsl(name), common::ToAbsl(lower_case_name))) {
      return value;
    }
  }
  return {};
}

asio::awaitable<void> InferenceHandler::Handle(common::HttpRequest& http, ResponseWriter& writer,
                                               BodySource* body) {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  struct Done {
    std::atomic<int>& count;
    ~Done() { count.fetch_sub(1, std::memory_order_relaxed); }
  } done{in_flight_};
  const RequestOrigin origin{http.path, SurfaceOf(http.path), http.peer,
                             http.Header("x-request-id"), http.Header("traceparent"),
                             http.Header("tracestate")};
  RequestContext context(writer, origin, node_id_, logs_);
  // No exception may escape into the event loop (it would end the worker).
  bool failed = false;
  try {
    co_await Dispatch(http, context, body);
  } catch (const std::exception& e) {
    common::LogError("inference request failed", {{"path", http.path},
                                                  {"what", e.what()},
                                                  {"request_id", context.id()},
                                                  {"trace_id", std::string(context.trace().trace_id())}});
    failed = true;
  }
  if (failed) {
    co_await SendError(context, SurfaceOf(http.path), 500, "internal_error", "internal",
                       "internal error while serving the request");
  }
  context.Finish();
}

asio::awaitable<void> InferenceHandler::Dispatch(common::HttpRequest& http,
                                                 RequestContext& writer, BodySource* upload) {
  std::string_view rest;
  bool path_known = false;
  if (const ResourceRoute* resource = FindResourceRoute(http.method, http.path, &rest, &path_known)) {
    co_await DispatchResource(http, *resource, std::string(rest), writer, upload);
    co_return;
  }
  if (path_known) {
    co_await SendError(writer, ApiSurface::kOpenAi, 405, "invalid_request_error",
                       "method_not_allowed", StrCat(http.method, " is not allowed on ", http.path));
    co_return;
  }
  if (http.path.starts_with(kGenAi)) {
    co_await DispatchGenAi(http, writer);
    co_return;
  }
  if (http.path.starts_with(kBedrockModels)) {
    co_await DispatchBedrock(http, writer);
    co_return;
  }
  // Azure OpenAI's form for unchanged AzureOpenAI clients (endpoint http://<data plane>):
  // /openai/deployments/{deployment}/{chat/completions|completions|embeddings}?api-version=…,
  // the deployment naming the model: "provider/model" (as the SDK writes it, or
  // percent-encoded) or a bare name meaning the provider "azure". The path's model wins over
  // the body's.
  std::optional<std::string> deployment;
  const Route* route = nullptr;
  if (http.path.starts_with(kAzureDeployments)) {
    const std::string_view rest = std::string_view(http.path).substr(kAzureDeployments.size());
    for (const Route& candidate : kRoutes) {
      if (candidate.method == "POST" && rest.size() > candidate.path.size() &&
          rest.ends_with(candidate.path)) {
        absl::StatusOr<std::string> name =
            common::PercentDecode(rest.substr(0, rest.size() - candidate.path.size()));
        if (name.ok() && !name->empty()) {
          route = &candidate;
          deployment = *std::move(name);  // a bare one is qualified with "azure" below
        }
        break;
      }
    }
  } else {
    route = FindRoute(http.path);
  }
  if (route == nullptr) {
    co_await SendError(writer, SurfaceOf(http.path), 404, "not_found_error", "not_found",
                       StrCat("no route for ", http.method, " ", http.path));
    co_return;
  }
  if (http.method != route->method) {
    co_await SendError(writer, SurfaceOf(http.path), 405, "invalid_request_error", "method_not_allowed",
                       StrCat(http.path, " takes ", route->method));
    co_return;
  }
  WorkerTable::Lease table = tables_->Acquire();  // kept for the whole request
  if (!table) {
    co_await SendNotReady(writer, SurfaceOf(http.path));
    co_return;
  }
  const CompiledKey* key = nullptr;
  const bool count = route->method != "GET";
  std::optional<Refusal> refused = Govern(http, *table.get(), count, &key);
  NoteCaller(writer, route->request_type, key);
  // (Only a refusal or the redis policy needs the coroutine.)
  if ((refused || CountsRemotely(key, count)) &&
      !co_await Admitted(std::move(refused), key, count, route->surface, writer)) {
    co_return;
  }
  if (route->method == "GET") {
    co_await router_->ServeModels(*table.get(), route->surface, http.query, writer, key);
    co_return;
  }
  if (deployment && http.body.find("\"model\"") == std::string::npos) {
    // Azure's API takes bodies without a model: give it one for the in-place rewrite.
    if (const size_t brace = http.body.find('{'); brace != std::string::npos) {
      const bool empty = http.body.find_first_not_of(" \t\r\n", brace + 1) == http.body.find('}', brace);
      // (A placeholder: the path's model replaces it.)
      http.body.insert(brace + 1, empty ? "\"model\":\"-\"" : "\"model\":\"-\",");
    }
  }
  absl::StatusOr<RequestBody> body = ParseRequestBody(std::move(http.body), kMaxFallbacks);
  if (!body.ok()) {
    co_await SendError(writer, SurfaceOf(http.path), 400, "invalid_request_error", "invalid_request",
                       std::string(body.status().message()));
    co_return;
  }
  InferenceRequest request;
  request.surface = route->surface;
  request.body = *std::move(body);
  // Native clients name bare models: they mean their own provider (or a route's alias).
  if (request.surface == ApiSurface::kAnthropic) {
    request.body.model = Qualified(*table.get(), std::move(request.body.model), "anthropic");
  }
  if (request.surface == ApiSurface::kCohere) {
    request.body.model = Qualified(*table.get(), std::move(request.body.model), "cohere");
  }
  if (deployment) request.body.model = Qualified(*table.get(), *std::move(deployment), "azure");
  request.stream = request.body.stream && !route->stream_request_type.empty();
  if (route->request_type == "speech") {
    request.stream = SpeechStreams(request.body.text);
    request.relay = !request.stream;  // audio bytes, passed on as they come
  }
  request.request_type = request.stream ? route->stream_request_type : route->request_type;
  request.control_headers = std::move(http.headers);
  request.virtual_key = key;
  writer.Annotate(&request);
  co_await router_->Serve(*table.get(), request, writer);
}

asio::awaitable<void> InferenceHandler::DispatchResource(common::HttpRequest& http,
                                                         const ResourceRoute& route,
                                                         std::string path,
                                                         RequestContext& writer,
                                                         BodySource* body) {
  WorkerTable::Lease table = tables_->Acquire();
  if (!table) {
    co_await SendNotReady(writer, ApiSurface::kOpenAi);
    co_return;
  }
  const CompiledKey* key = nullptr;
  std::optional<Refusal> refused = Govern(http, *table.get(), /*count=*/true, &key);
  NoteCaller(writer, route.request_type, key);
  if ((refused || CountsRemotely(key, true)) &&
      !co_await Admitted(std::move(refused), key, true, ApiSurface::kOpenAi, writer)) {
    co_return;
  }
  InferenceRequest request;
  request.surface = ApiSurface::kOpenAi;
  request.request_type = route.request_type;
  request.method = route.method;
  request.content_type = std::string(http.Header("content-type"));
  if (!route.multipart_model && !request.multipart()) request.content_type.clear();
  std::string provider;
  const std::string query = WithoutProvider(http.query, &provider);
  request.resource_path = query.empty() ? path : StrCat(path, "?", query);
  request.body.text = std::move(http.body);
  std::optional<CheckedUpload> upload;  // a file upload, streamed through
  std::unique_ptr<UploadSpool> spool;   // an audio upload or image edit, read whole
  UploadForm form;
  if (body != nullptr && !route.multipart_model) {
    // Streamed: its framing is checked as it passes, and its last piece is only sent once
    // the closing boundary came (a malformed upload never reaches the provider whole).
    const std::string_view boundary = MultipartBoundary(request.content_type);
    if (!request.multipart() || boundary.empty()) {
      co_await SendError(writer, ApiSurface::kOpenAi, 400, "invalid_request_error",
                         "invalid_request", StrCat(http.path, " takes multipart/form-data"));
      co_return;
    }
    upload.emplace(*body, boundary);
    if (absl::Status ahead = co_await upload->ReadFieldsBeforeFile(); !ahead.ok()) {
      co_await SendUploadError(writer, ahead);
      co_return;
    }
    if (provider.empty()) provider = std::string(upload->FieldBeforeFile("provider"));
    request.body_source = &*upload;
  } else if (route.multipart_model || request.multipart()) {
    // Framing first: a malformed upload is refused before anything is forwarded.
    form.boundary = std::string(MultipartBoundary(request.content_type));
    absl::Status read =
        request.multipart()
            ? absl::OkStatus()
            : absl::InvalidArgumentError(StrCat(http.path, " takes multipart/form-data"));
    if (read.ok() && body != nullptr) {
      read = co_await SpoolUpload(*body, spool_dir_, &form, &spool);
    } else if (read.ok()) {
      absl::StatusOr<std::vector<FormPart>> parts =
          ParseMultipart(request.body.text, form.boundary);
      if (parts.ok()) {
        form.parts = *std::move(parts);
        form.memory = request.body.text;
        form.size = request.body.text.size();
      }
      read = parts.status();
    }
    if (!read.ok()) {
      co_await SendUploadError(writer, read);
      co_return;
    }
    if (route.multipart_model) {
      request.body.model = std::string(FormValue(form.parts, "model"));
      if (request.body.model.empty()) {
        co_await SendError(writer, ApiSurface::kOpenAi, 400, "invalid_request_error",
                           "invalid_request", "the upload has no \"model\" field");
        co_return;
      }
      request.stream = !route.stream_request_type.empty() &&
                       FormValue(form.parts, "stream") == "true";
      if (request.stream) request.request_type = route.stream_request_type;
      request.form = &form;
    } else if (provider.empty()) {
      provider = std::string(FormValue(form.parts, "provider"));
    }
  }
  if (!route.multipart_model) {
    // Files and batches are the provider's: the one the request names, default openai.
    if (provider.empty()) provider = std::string(http.Header("x-bf-provider"));
    if (provider.empty()) provider = "openai";
    if (upload) upload->set_provider(provider);
    request.body.model = StrCat(provider, "/");
  }
  // Passed on as it comes (batch results: once their batch was read, NextPoll).
  request.relay = route.request_type == "file_content";
  request.control_headers = std::move(http.headers);
  request.virtual_key = key;
  writer.Annotate(&request);
  co_await router_->Serve(*table.get(), request, writer);
}

std::optional<Refusal> InferenceHandler::Govern(common::HttpRequest& http, const RoutingTable& table,
                                                bool count, const CompiledKey** key) {
  Authentication found = Authenticate(table.governance(), FindPresentedKey(http.headers, http.query),
                                      require_virtual_key_);
  // The client's credential goes no further than this.
  std::erase_if(http.headers, [](const auto& header) {
    return IsCredentialHeader(header.first) ||
           absl::EqualsIgnoreCase(common::ToAbsl(header.first), "x-bf-vk");
  });
  if (found.refusal) return found.refusal;
  *key = found.key;
  // The local policy counts here; the redis policy in AdmitRemotely().
  if (found.key != nullptr && count && (counting_ == nullptr || counting_->local())) {
    return AdmitRequest(*found.key, NowSeconds());
  }
  return std::nullopt;
}

asio::awaitable<bool> InferenceHandler::Admitted(std::optional<Refusal> refused,
                                                 const CompiledKey* key, bool count,
                                                 ApiSurface surface, ResponseWriter& writer) {
  if (!refused && CountsRemotely(key, count)) {
    refused = co_await counting_->AdmitRequest(*key, NowSeconds());
  }
  if (!refused) co_return true;
  co_await SendApiError(writer, surface, refused->error);
  co_return false;
}

// The model travels in the path: models/{model}:{method} or {provider}/{model}:{method}, the
// model "provider/model" (also percent-encoded) or a bare name meaning the provider "gemini".
asio::awaitable<void> InferenceHandler::DispatchGenAi(common::HttpRequest& http,
                                                      RequestContext& writer) {
  const std::string_view path = http.path;
  const bool list = path == kGenAiModels || path == StrCat(kGenAiModels, "/");
  const size_t colon = path.rfind(':');
  // Where the model starts: after "models/", or right after the prefix when the path names
  // "{provider}/{model}" (a provider called "models" is reached through "models/models/…").
  const size_t model_at = path.starts_with(StrCat(kGenAiModels, "/")) ? kGenAiModels.size() + 1
                                                                       : kGenAi.size();
  const GenAiMethod* method = nullptr;
  if (!list && colon != std::string_view::npos && colon > model_at &&
      (model_at != kGenAi.size() ||
       path.substr(model_at, colon - model_at).find('/') != std::string_view::npos)) {
    for (const GenAiMethod& candidate : kGenAiMethods) {
      if (path.substr(colon + 1) == candidate.method) method = &candidate;
    }
  }
  if (!list && method == nullptr) {
    co_await SendError(writer, ApiSurface::kGenAi, 404, "not_found_error", "not_found",
                       StrCat("no route for ", http.method, " ", http.path));
    co_return;
  }
  if (http.method != (list ? "GET" : "POST")) {
    co_await SendError(writer, ApiSurface::kGenAi, 405, "invalid_request_error",
                       "method_not_allowed", StrCat(http.path, " takes ", list ? "GET" : "POST"));
    co_return;
  }
  if (list) {
    WorkerTable::Lease table = tables_->Acquire();
    if (!table) {
      co_await SendNotReady(writer, ApiSurface::kGenAi);
      co_return;
    }
    const CompiledKey* key = nullptr;
    std::optional<Refusal> refused = Govern(http, *table.get(), /*count=*/false, &key);
    NoteCaller(writer, "list_models", key);
    if (refused && !co_await Admitted(std::move(refused), key, false, ApiSurface::kGenAi, writer)) {
      co_return;
    }
    co_await router_->ServeModels(*table.get(), ApiSurface::kGenAi, http.query, writer, key);
    co_return;
  }
  NativeCall call{ApiSurface::kGenAi, "gemini", path.substr(model_at, colon - model_at),
                  method->method, method->request_type, method->stream};
  call.sse = http.query.find("alt=sse") != std::string::npos;
  co_await ServeNative(http, call, writer);
}

// AWS's Bedrock runtime for unchanged AWS SDK clients (endpoint http://<data plane>/bedrock):
// POST /bedrock/model/{modelId}/converse | converse-stream | invoke, the model id
// "provider/model" (percent-encoded, as the SDK sends it) or a bare id meaning the provider
// "bedrock". The client's SigV4 signature is neither checked nor forwarded.
asio::awaitable<void> InferenceHandler::DispatchBedrock(common::HttpRequest& http,
                                                        RequestContext& writer) {
  const std::string_view path = std::string_view(http.path).substr(kBedrockModels.size());
  const size_t slash = path.rfind('/');
  const std::string_view method = slash == std::string_view::npos ? "" : path.substr(slash + 1);
  const bool stream = method == "converse-stream";
  if (slash == 0 || slash == std::string_view::npos ||
      (method != "converse" && method != "converse-stream" && method != "invoke")) {
    co_await SendError(writer, ApiSurface::kBedrock, 404, "not_found_error", "not_found",
                       StrCat("no route for ", http.method, " ", http.path));
    co_return;
  }
  if (http.method != "POST") {
    co_await SendError(writer, ApiSurface::kBedrock, 405, "invalid_request_error",
                       "method_not_allowed", StrCat(http.path, " takes POST"));
    co_return;
  }
  co_await ServeNative(http,
                       NativeCall{ApiSurface::kBedrock, "bedrock", path.substr(0, slash), method,
                                  stream ? "chat_completion_stream" : "chat_completion", stream},
                       writer);
}

asio::awaitable<void> InferenceHandler::ServeNative(common::HttpRequest& http,
                                                    const NativeCall& call,
                                                    RequestContext& writer) {
  WorkerTable::Lease table = tables_->Acquire();
  if (!table) {
    co_await SendNotReady(writer, call.surface);
    co_return;
  }
  const CompiledKey* key = nullptr;
  std::optional<Refusal> refused = Govern(http, *table.get(), /*count=*/true, &key);
  NoteCaller(writer, call.request_type, key);
  if ((refused || CountsRemotely(key, true)) &&
      !co_await Admitted(std::move(refused), key, true, call.surface, writer)) {
    co_return;
  }
  absl::StatusOr<std::string> model = common::PercentDecode(call.encoded_model);
  absl::StatusOr<RequestBody> body =
      model.ok() ? ParseRequestBody(std::move(http.body), kMaxFallbacks, /*model_in_body=*/false)
                 : absl::StatusOr<RequestBody>(model.status());
  if (!body.ok()) {
    co_await SendError(writer, call.surface, 400, "invalid_request_error", "invalid_request",
                       std::string(body.status().message()));
    co_return;
  }
  InferenceRequest request;
  request.surface = call.surface;
  request.body = *std::move(body);
  request.body.model = Qualified(*table.get(), *model, call.default_provider);
  request.body.model_offset = request.body.model_length = 0;  // not in the body
  request.stream = call.stream;
  request.request_type = call.request_type;
  request.native_method = std::string(call.method);
  request.native_sse = call.sse;
  request.control_headers = std::move(http.headers);
  request.virtual_key = key;
  writer.Annotate(&request);
  co_await router_->Serve(*table.get(), request, writer);
}

}  // namespace switchyard::dp
