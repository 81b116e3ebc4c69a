#include "data-plane/providers/surface.h"

#include <nlohmann/json.hpp>

namespace switchyard::dp {
namespace {

using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Anthropic's error types by status, for errors the gateway raises itself.
std::string AnthropicErrorType(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: return "api_error";
  }
}

}  // namespace

std::string EncodeError(ApiSurface surface, const common::ApiError& error) {
  if (surface == ApiSurface::kOpenAi) return common::ErrorEnvelopeJson(error);
  // An anthropic provider's own error type is kept; the gateway's map from the status.
  const std::string type =
      !error.is_bifrost_error && error.type.ends_with("_error") && error.type != "upstream_error"
          ? error.type
          : AnthropicErrorType(error.http_status);
  return Dump({{"type", "error"}, {"error", {{"type", type}, {"message", error.message}}}});
}

std::string EncodeModelList(ApiSurface surface,
                            const std::vector<std::pair<std::string, std::string>>& models) {
  json data = json::array();
  if (surface == ApiSurface::kOpenAi) {
    for (const auto& [id, owner] : models) {
      data.push_back({{"id", id}, {"object", "model"}, {"owned_by", owner}});
    }
    return Dump({{"object", "list"}, {"data", data}});
  }
  for (const auto& [id, owner] : models) {
    data.push_back({{"type", "model"}, {"id", id}, {"display_name", id},
                    {"created_at", "1970-01-01T00:00:00Z"}});
  }
  return Dump({{"data", data},
               {"has_more", false},
               {"first_id", models.empty() ? json(nullptr) : json(models.front().first)},
               {"last_id", models.empty() ? json(nullptr) : json(models.back().first)}});
}

}  // namespace switchyard::dp
