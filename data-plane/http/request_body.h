// The inference request body as the router needs it: read once with simdjson on-demand
// (model, stream, fallbacks, extra_params), and rewritten for the upstream.
//
// The hot path rewrites the model in place ("openai/gpt-4o" -> "gpt-4o") and leaves every
// other byte as the client sent it. Only when the body carries Bifrost's own fields
// (fallbacks, or extra_params to merge) is it re-serialized, with those fields removed.
#ifndef SWITCHYARD_DATA_PLANE_HTTP_REQUEST_BODY_H_
#define SWITCHYARD_DATA_PLANE_HTTP_REQUEST_BODY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::dp {

struct RequestBody {
  std::string text;             // as received
  std::string model;            // "provider/model", unescaped
  size_t model_offset = 0;      // the model's JSON string token (quotes included) in text
  size_t model_length = 0;
  bool stream = false;
  bool has_fallbacks = false;
  std::vector<std::string> fallbacks;
  bool has_extra_params = false;
};

// InvalidArgument naming the problem: not JSON, not an object, model missing or not a
// string, stream not a boolean, fallbacks not an array of strings.
absl::StatusOr<RequestBody> ParseRequestBody(std::string text);

// The body to send upstream with `bare_model` as its model. With `merge_extra_params`,
// extra_params' members are merged (recursively) into the body and extra_params removed.
std::string UpstreamBody(const RequestBody& body, std::string_view bare_model,
                         bool merge_extra_params);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_REQUEST_BODY_H_
