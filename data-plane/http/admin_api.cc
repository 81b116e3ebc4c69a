#include "data-plane/http/admin_api.h"

#include "data-plane/router/governance.h"

#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace switchyard::dp {

using common::HttpRequest;
using common::HttpResponse;

HttpResponse AdminApi::Handle(const HttpRequest& request) const {
  if (request.method != "GET") {
    return HttpResponse::Json(
        405, common::ErrorEnvelopeJson(common::MakeApiError(405, "invalid_request_error", "method_not_allowed",
                                        "the admin listener only answers GET")));
  }
  if (request.path == "/healthz") return HttpResponse::Json(200, R"({"status":"ok"})");
  if (request.path == "/readyz") {
    if (draining_) {
      return HttpResponse::Json(503, R"({"status":"not ready","reason":"draining"})");
    }
    if (slot_->Current() == nullptr) {
      return HttpResponse::Json(503, R"({"status":"not ready","reason":"no routing table yet"})");
    }
    return HttpResponse::Json(200, R"({"status":"ready"})");
  }
  if (request.path == "/metrics") {
    HttpResponse response;
    response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
    response.body = metrics_->Render();
    if (requests_) response.body += requests_().Render();
    const std::shared_ptr<const RoutingTable> table = slot_->Current();
    response.body += RenderGovernanceMetrics(table != nullptr ? table->governance() : nullptr);
    if (more_metrics_) response.body += more_metrics_();
    return response;
  }
  if (request.path == "/config") return Config();
  return HttpResponse::Json(
      404, common::ErrorEnvelopeJson(common::MakeApiError(404, "not_found_error", "not_found",
                                      "no such admin endpoint")));
}

HttpResponse AdminApi::Config() const {
  const std::shared_ptr<const RoutingTable> table = slot_->Current();
  nlohmann::json body{{"ready", table != nullptr},
                      {"from_cache", metrics_->loaded_from_cache.load() == 1},
                      {"connected", metrics_->connected.load() == 1}};
  nlohmann::json providers = nlohmann::json::array();
  if (table != nullptr) {
    body["revision"] = table->revision();
    body["table_hash"] = table->table_hash();
    for (const auto& [name, entry] : table->providers()) {
      nlohmann::json keys = nlohmann::json::array();
      for (const ResolvedKey& key : entry->keys) {
        keys.push_back({{"name", key.name},
                        {"enabled", key.enabled},
                        {"env_var", key.env_var},
                        {"env_missing", key.env_missing},
                        {"env_refused", key.env_refused}});
      }
      nlohmann::json provider{{"name", name},
                              {"config_hash", entry->config.config_hash()},
                              {"base_provider_type", entry->base_type},
                              {"keys", keys}};
      switch (entry->state) {
        case ProviderEntry::State::kServed:
          provider["state"] = "served";
          break;
        case ProviderEntry::State::kUnsupported:
          provider["state"] = "unsupported";
          break;
        case ProviderEntry::State::kBroken:
          provider["state"] = "isolated";
          break;
      }
      if (!entry->unserved_reason.empty()) provider["reason"] = entry->unserved_reason;
      providers.push_back(std::move(provider));
    }
    body["providers_isolated"] = table->broken_providers();
  }
  body["providers"] = providers;
  return HttpResponse::Json(200,
                            body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace switchyard::dp
