// What the client's own wire format says for answers the gateway writes itself: error bodies
// and model lists. OpenAI-shaped routes get Bifrost's error envelope and OpenAI's model list;
// the native /anthropic route gets Anthropic's error shape ({"type":"error","error":{type,
// message}}) and model list, the native /genai route Google's ({"error":{code, message,
// status}}, {"models":[...]}), the native /cohere route Cohere's ({"message"}), so unchanged
// clients read them as they would their provider's.
// Pure functions; any thread.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_SURFACE_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_SURFACE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/errors.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

std::string EncodeError(ApiSurface surface, const common::ApiError& error);

// An error that ends a stream already under way: Bifrost's envelope as a `data:` event, or
// Anthropic's `event: error`.
std::string EncodeStreamError(ApiSurface surface, const common::ApiError& error);

// The bridge for a native route's request whose provider's adapter does not speak the route's
// surface (ProviderAdapter::Speaks): the request in the internal (OpenAI) form, then the
// internal form's answers back in the surface's. Unimplemented for request types the bridge
// cannot carry (e.g. Anthropic's count_tokens), InvalidArgument for what the internal form
// cannot express.
absl::StatusOr<InferenceRequest> ToInternalRequest(const InferenceRequest& native,
                                                   std::string_view bare_model);
absl::StatusOr<std::string> FromInternalResponse(const InferenceRequest& native,
                                                 std::string internal_body);
// Events of the surface's stream from the internal form's, behind the adapter's own translator
// (`inner`, null when the provider already streams the internal form).
std::unique_ptr<StreamTranslator> NewFromInternalStream(const InferenceRequest& native,
                                                        std::unique_ptr<StreamTranslator> inner);

// A model list in `surface`'s format. `models` are (id, owner) pairs sorted by id; `query` is
// the request's query string: Anthropic's list pages with limit (default 20, at most 1000),
// after_id and before_id; GenAI's with pageSize (default 50, at most 1000) and pageToken;
// OpenAI's is one page.
std::string EncodeModelList(ApiSurface surface,
                            const std::vector<std::pair<std::string, std::string>>& models,
                            std::string_view query = {});

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_SURFACE_H_
