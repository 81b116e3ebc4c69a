// What the client's own wire format says for answers the gateway writes itself: error bodies
// and model lists. OpenAI-shaped routes get Bifrost's error envelope and OpenAI's model list;
// the native /anthropic route gets Anthropic's error shape ({"type":"error","error":{type,
// message}}) and model list, so unchanged Anthropic clients read them as they would
// Anthropic's. Pure functions; any thread.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_SURFACE_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_SURFACE_H_

#include <string>
#include <utility>
#include <vector>

#include "common/errors.h"
#include "data-plane/providers/inference_request.h"

namespace switchyard::dp {

std::string EncodeError(ApiSurface surface, const common::ApiError& error);

// `models`: (id, owner) pairs.
std::string EncodeModelList(ApiSurface surface,
                            const std::vector<std::pair<std::string, std::string>>& models);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_SURFACE_H_
