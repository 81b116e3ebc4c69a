// ProviderAdapter: everything the data plane knows about one provider family's wire protocol,
// as pure functions (no sockets, no clocks, no globals). The router (router/) calls it once
// per attempt; the routing table (table/) points each provider at its adapter.
//
//   - Compile():          at table build, the family's parts of a provider entry (default
//                         endpoint, per-key auth header lines);
//   - BuildRequest():     the upstream request (target, headers, body) for one attempt;
//   - TranslateResponse():a whole upstream response -> the client's response body;
//   - NewStreamTranslator(): an incremental translator for a streamed response (bytes in,
//                         complete client events out), or null when the client's format is the
//                         family's own (bytes pass through, zero-copy);
//   - ClassifyError():    an upstream error -> status, retryable, message, Retry-After;
//   - ListModels():       the models a provider entry names in its configuration;
//   - BuildModelsRequest() / ParseModelPage(): the provider's own model list, page by page.
//
// Adapters are stateless singletons (one per family, see registry.h); per-request state lives
// in a StreamTranslator. Any thread.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_PROVIDER_ADAPTER_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_PROVIDER_ADAPTER_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/errors.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/upstream/upstream_client.h"
#include "switchyard/v1/provider.pb.h"

namespace switchyard::dp {

struct ProviderEntry;
struct ResolvedKey;

// The router's choices for one attempt.
struct AttemptTarget {
  const ProviderEntry* entry = nullptr;
  std::string_view provider;         // the configured name
  std::string_view model;            // without the "provider/" prefix
  const ResolvedKey* key = nullptr;  // null for key-less providers
  bool merge_extra_params = false;   // x-bf-passthrough-extra-params
  bool raw_request = false;          // send_back_raw_request (or its header override)
  bool raw_response = false;
  // The key's current access token, for keys with an OAuth credential (Vertex AI); the router
  // gets it from its token cache before building the request.
  std::string_view access_token;
  // The wall-clock time of the attempt, for families that sign requests (Bedrock's SigV4);
  // adapters read no clock of their own.
  std::chrono::system_clock::time_point now;
};

// An upstream answer that is not a success, as the router acts on it.
struct UpstreamFailure {
  common::ApiError error;  // Bifrost's envelope fields; the provider's message kept
  bool retryable = false;
  std::optional<std::chrono::milliseconds> retry_after;
};

// Incremental translation of one streamed response. Feed() gets upstream bytes as they
// arrive (any split) and appends the client events that are complete; Finish() flushes.
class StreamTranslator {
 public:
  virtual ~StreamTranslator() = default;
  virtual absl::Status Feed(std::string_view upstream, std::string* client) = 0;
  virtual absl::Status Finish(std::string* client) = 0;
  // The Content-Type of what it writes.
  virtual std::string_view content_type() const { return "text/event-stream"; }
};

// What to do with a 2xx answer of a family whose jobs finish later (replicate's predictions,
// runway's tasks): it is final, or the router asks `target` (GET, same endpoint and
// credentials) again after `wait`, within the request's deadline.
struct PollStep {
  bool done = true;
  std::string target;  // path and query
  std::chrono::milliseconds wait{0};
};

// One page of a provider's own model list.
struct ModelPage {
  std::vector<std::string> ids;  // as the client names them after "provider/"
  std::string next_page_token;   // "" on the last page
};

class ProviderAdapter {
 public:
  virtual ~ProviderAdapter() = default;

  // The family's name, e.g. "openai-compatible".
  virtual std::string_view family() const = 0;

  // Whether requests of a client surface reach this adapter as they are. Every adapter takes
  // the internal (OpenAI) form; a native route's request for an adapter that does not speak
  // its surface is bridged through the internal form first (surface.h).
  virtual bool Speaks(ApiSurface surface) const { return surface == ApiSurface::kOpenAi; }

  // Fills the family's parts of `entry` (endpoint from base_url or the family's default,
  // per-key auth header lines). An error isolates that provider (served as 503), never the
  // whole table.
  virtual absl::Status Compile(const switchyard::v1::ProviderConfig& config,
                               ProviderEntry* entry) const = 0;

  // InvalidArgument (-> 400) when this family cannot serve the request; Unimplemented
  // (-> 501) for request types it has no endpoint for.
  virtual absl::Status BuildRequest(const InferenceRequest& request, const AttemptTarget& target,
                                    UpstreamRequest* out) const = 0;

  // A 2xx upstream body: final (the default), or a job to ask about again. An error (the job
  // failed upstream) is answered 502 with its message.
  virtual absl::StatusOr<PollStep> NextPoll(const InferenceRequest& /*request*/,
                                            const AttemptTarget& /*target*/,
                                            std::string_view /*upstream_body*/) const {
    return PollStep{};
  }

  // Whether a 2xx answer to `request` is the client's bytes as they are, so that a download
  // (InferenceRequest::relay) can be sent on as it arrives; false: TranslateResponse must see
  // it whole.
  virtual bool RelaysBody(const InferenceRequest& /*request*/) const { return true; }
  // The Content-Type of TranslateResponse's answer; "" keeps the provider's.
  virtual std::string ResponseContentType(const InferenceRequest& /*request*/) const { return ""; }

  // A 2xx upstream body -> the client's body.
  virtual absl::StatusOr<std::string> TranslateResponse(const InferenceRequest& request,
                                                        const AttemptTarget& target,
                                                        std::string upstream_body) const = 0;

  // Null: the upstream stream is already in the client's format and passes through.
  virtual std::unique_ptr<StreamTranslator> NewStreamTranslator(
      const InferenceRequest& request, const AttemptTarget& target) const = 0;

  virtual UpstreamFailure ClassifyError(int status, std::string_view retry_after,
                                        std::string_view body) const = 0;

  // The models configured for the entry (key filters, deployments): listed even when the
  // provider's own list does not name them.
  virtual std::vector<std::string> ListModels(const ProviderEntry& entry) const = 0;

  // Bifrost's list_models: the upstream request for one page of the provider's own model list
  // (`page_token` "" for the first page, else what the previous page returned), with
  // `target.key`'s credentials. Unimplemented when the family has no list call here (its
  // configured models and deployments are then the whole list).
  virtual absl::Status BuildModelsRequest(const AttemptTarget& /*target*/,
                                          std::string_view /*page_token*/,
                                          UpstreamRequest* /*out*/) const {
    return absl::UnimplementedError("this family has no model list call");
  }
  // A 2xx answer to that request.
  virtual absl::StatusOr<ModelPage> ParseModelPage(std::string_view /*body*/) const {
    return absl::UnimplementedError("this family has no model list call");
  }
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_PROVIDER_ADAPTER_H_
