// Parses an OpenAI-shaped inference body once, for the whole pipeline: the whole document is
// validated (so malformed JSON, e.g. `"temperature": tru`, is a 400 and never reaches a
// provider), the gateway's own fields are read (model, stream, fallbacks, extra_params) and
// the model's position is kept so an adapter can rewrite it in place.
#ifndef SWITCHYARD_DATA_PLANE_HTTP_REQUEST_BODY_H_
#define SWITCHYARD_DATA_PLANE_HTTP_REQUEST_BODY_H_

#include <string>

#include "absl/status/statusor.h"
#include "data-plane/providers/inference_request.h"

namespace switchyard::dp {

// InvalidArgument naming the problem (never quoting the body): not valid JSON, not an object,
// model missing or not a string, stream not a boolean, fallbacks not an array of at most
// `max_fallbacks` strings, a well-known OpenAI field of the wrong type (messages, temperature,
// top_p, max_tokens, n, ...).
// `model_in_body` false: routes that name the model in their path (GenAI's) take bodies
// without one.
absl::StatusOr<RequestBody> ParseRequestBody(std::string text, size_t max_fallbacks,
                                             bool model_in_body = true);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_REQUEST_BODY_H_
