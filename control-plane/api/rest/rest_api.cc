#include "control-plane/api/rest/rest_api.h"

#include <nlohmann/json.hpp>

#include "common/barndoor.h"
#include "common/errors.h"
#include "common/governance.h"
#include "common/log.h"
#include "common/provider_json.h"
#include "common/strings.h"
#include "control-plane/api/console/console_assets.h"

namespace switchyard::cp {

using rest::Error;
using rest::MethodNotAllowed;

namespace {

using common::HttpRequest;
using common::HttpResponse;
using common::StrCat;

constexpr std::string_view kCollection = "/api/providers";
constexpr std::string_view kFleet = "/api/fleet";
constexpr std::string_view kGovernance = "/api/governance/";

// Seed 004's collections beside the governance ones: /api/credentials, /api/model-routes.
std::string_view SeedFourKind(std::string_view path) {
  for (auto [prefix, kind] : {std::pair<std::string_view, std::string_view>{
                                  "/api/credentials", common::kCredentialKind},
                              {"/api/model-routes", common::kModelRouteKind}}) {
    if (path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/')) return kind;
  }
  return "";
}

// "view=barndoor" in a query: answer in seed 004's shape.
bool BarndoorView(std::string_view query) {
  for (std::string_view rest = query; !rest.empty();) {
    const size_t amp = rest.find('&');
    if (rest.substr(0, amp) == "view=barndoor") return true;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return false;
}

// The governance kind a collection path names, or "".
std::string_view GovernanceKind(std::string_view collection) {
  if (collection == "virtual-keys") return common::kVirtualKeyKind;
  if (collection == "teams") return common::kTeamKind;
  if (collection == "customers") return common::kCustomerKind;
  if (collection == "pricing") return common::kPriceKind;
  return "";
}

HttpResponse ObjectBody(int status, const ObjectResult& result, bool with_usage) {
  std::string body = common::GovernanceToJson(result.object);
  if (with_usage) {
    nlohmann::ordered_json json = nlohmann::ordered_json::parse(body);
    json["usage"] = {{"spend", result.usage.spend()},
                     {"budget_period_start", result.usage.budget_period_start()},
                     {"requests", result.usage.requests()},
                     {"tokens", result.usage.tokens()}};
    body = json.dump();
  }
  HttpResponse response = HttpResponse::Json(status, std::move(body));
  response.headers.emplace_back("ETag", StrCat("\"", common::HashOf(result.object), "\""));
  response.headers.emplace_back("X-Switchyard-Revision", std::to_string(result.revision));
  return response;
}

HttpResponse ProviderBody(int status, const ProviderResult& result, bool barndoor = false) {
  HttpResponse response = HttpResponse::Json(
      status, barndoor ? common::BarndoorProviderToJson(result.provider, result.models)
                       : common::ProviderToJson(result.provider, common::JsonView::kResponse));
  response.headers.emplace_back("ETag", StrCat("\"", result.provider.config_hash(), "\""));
  response.headers.emplace_back("X-Switchyard-Revision", std::to_string(result.revision));
  return response;
}

// The entity tag of an If-Match header: quotes and a weak prefix removed; "*" kept.
std::string ExpectedHash(const HttpRequest& request) {
  std::string_view value = request.Header("if-match");
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.starts_with("W/")) value.remove_prefix(2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  return std::string(value);
}

void LogWrite(std::string_view what, const ProviderResult& result,
              const common::AdminCaller& caller) {
  common::LogInfo(what, {{"provider", result.provider.name()},
                         {"revision", std::to_string(result.revision)},
                         {"config_hash", result.provider.config_hash()},
                         {"actor", caller.actor}});
}

}  // namespace

namespace rest {

HttpResponse Error(const absl::Status& status) {
  const common::ApiError error = common::ApiErrorFromStatus(status);
  HttpResponse response = HttpResponse::Json(error.http_status, common::ErrorEnvelopeJson(error));
  if (error.http_status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

HttpResponse MethodNotAllowed(std::string_view method, std::string_view allow) {
  HttpResponse response = HttpResponse::Json(
      405, common::ErrorEnvelopeJson(common::MakeApiError(405, "invalid_request_error", "method_not_allowed",
                                      StrCat("method ", method, " is not allowed here"))));
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

}  // namespace rest

HttpResponse RestApi::Handle(const HttpRequest& request) {
  const std::string_view path = request.path;
  if (path == "/health") {
    if (request.method != "GET") return MethodNotAllowed(request.method, "GET");
    return Health();
  }
  if (path == "/" || path.starts_with("/console/")) return Console(request);
  const bool collection = path == kCollection || path == StrCat(kCollection, "/");
  const bool item = !collection && path.starts_with(StrCat(kCollection, "/"));
  const bool fleet = path == kFleet;
  const bool governance = path.starts_with(kGovernance) && governance_ != nullptr;
  const bool logs = (path == "/api/logs" || path.starts_with("/api/logs/")) && logs_ != nullptr;
  const std::string_view seed_four = governance_ != nullptr ? SeedFourKind(path) : "";
  const bool session = path == "/api/session";
  if (!collection && !item && !fleet && !governance && !logs && seed_four.empty() && !session) {
    return Error(absl::NotFoundError(StrCat("no route for ", request.method, " ", path)));
  }
  absl::StatusOr<common::AdminCaller> caller = auth_->Authenticate(request.Header("authorization"));
  if (!caller.ok()) return Error(caller.status());
  if (session) {
    // Who the credential is: what the console shows, and whether it offers writes.
    if (request.method != "GET") return MethodNotAllowed(request.method, "GET");
    const nlohmann::json who{{"actor", caller->actor},
                             {"role", caller->can_write ? "admin" : "viewer"},
                             {"can_write", caller->can_write},
                             {"auth", auth_->open() ? "open" : "required"}};
    return HttpResponse::Json(200, who.dump());
  }
  if (request.method != "GET" && !caller->can_write) {
    return Error(absl::PermissionDeniedError(
        "this admin credential may read, not change, providers (role viewer)"));
  }
  if (fleet) return Fleet(request);
  if (logs) return Logs(request, *caller);
  if (!seed_four.empty()) {
    std::string_view rest = path.substr(5);  // after "/api/"
    const size_t slash = rest.find('/');
    std::string_view id = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (id.find('/') != std::string_view::npos) {
      return Error(absl::NotFoundError(StrCat("no route for ", request.method, " ", path)));
    }
    return Governance(request, seed_four, id, *caller);
  }
  if (governance) {
    std::string_view rest = path.substr(kGovernance.size());
    const size_t slash = rest.find('/');
    const std::string_view kind = GovernanceKind(rest.substr(0, slash));
    std::string_view id = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (kind.empty()) {
      return Error(absl::NotFoundError(StrCat("no route for ", request.method, " ", path)));
    }
    return Governance(request, kind, id, *caller);
  }
  if (collection) return HandleCollection(request, *caller);
  std::string_view name = path.substr(kCollection.size() + 1);
  if (name.find('/') != std::string_view::npos) {
    return Error(absl::NotFoundError(StrCat("no route for ", request.method, " ", path)));
  }
  return HandleProvider(request, name, *caller);
}

HttpResponse RestApi::HandleCollection(const HttpRequest& request,
                                       const common::AdminCaller& caller) {
  if (request.method == "GET") {
    auto providers = service_->List();
    if (!providers.ok()) return Error(providers.status());
    if (BarndoorView(request.query)) {
      nlohmann::json list = nlohmann::json::array();
      for (const ProviderResult& listed : *providers) {
        auto one = service_->Get(listed.provider.name());
        if (!one.ok()) continue;  // deleted meanwhile
        list.push_back(nlohmann::json::parse(
            common::BarndoorProviderToJson(one->provider, one->models)));
      }
      return HttpResponse::Json(200, nlohmann::json{{"providers", list},
                                                    {"total", list.size()}}.dump());
    }
    // Each with the revision that last wrote it (beside Bifrost's fields).
    std::vector<v1::ProviderConfig> configs;
    std::vector<int64_t> revisions;
    for (ProviderResult& listed : *providers) {
      configs.push_back(std::move(listed.provider));
      revisions.push_back(listed.revision);
    }
    return HttpResponse::Json(200, common::ProviderListToJson(configs, revisions));
  }
  if (request.method == "POST" && common::IsBarndoorBody(request.body)) {
    auto incoming = common::BarndoorProviderFromJson(request.body);
    if (!incoming.ok()) return Error(incoming.status());
    auto result = service_->WriteBarndoor(*incoming, "", "", caller.actor);
    if (!result.ok()) return Error(result.status());
    LogWrite("provider created", *result, caller);
    HttpResponse response = ProviderBody(201, *result, /*barndoor=*/true);
    response.headers.emplace_back("Location", StrCat(kCollection, "/", result->provider.name()));
    return response;
  }
  if (request.method == "POST") {
    auto incoming = common::ProviderFromJson(request.body);
    if (!incoming.ok()) return Error(incoming.status());
    auto result = service_->Create(*std::move(incoming), caller.actor);
    if (!result.ok()) return Error(result.status());
    LogWrite("provider created", *result, caller);
    HttpResponse response = ProviderBody(201, *result);
    response.headers.emplace_back("Location", StrCat(kCollection, "/", result->provider.name()));
    return response;
  }
  return MethodNotAllowed(request.method, "GET, POST");
}

HttpResponse RestApi::HandleProvider(const HttpRequest& request, std::string_view name,
                                     const common::AdminCaller& caller) {
  if (request.method == "GET") {
    auto result = service_->Get(name);
    if (!result.ok()) return Error(result.status());
    return ProviderBody(200, *result, BarndoorView(request.query));
  }
  if (request.method == "PUT" && common::IsBarndoorBody(request.body)) {
    auto incoming = common::BarndoorProviderFromJson(request.body);
    if (!incoming.ok()) return Error(incoming.status());
    auto result = service_->WriteBarndoor(*incoming, name, ExpectedHash(request), caller.actor);
    if (!result.ok()) return Error(result.status());
    LogWrite(result->created ? "provider created" : "provider replaced", *result, caller);
    return ProviderBody(result->created ? 201 : 200, *result, /*barndoor=*/true);
  }
  if (request.method == "PUT") {
    auto incoming = common::ProviderFromJson(request.body);
    if (!incoming.ok()) return Error(incoming.status());
    auto result = service_->Update(name, *std::move(incoming), ExpectedHash(request), caller.actor);
    if (!result.ok()) return Error(result.status());
    LogWrite(result->created ? "provider created" : "provider replaced", *result, caller);
    return ProviderBody(result->created ? 201 : 200, *result);
  }
  if (request.method == "DELETE") {
    auto result = service_->Delete(name, ExpectedHash(request), caller.actor);
    if (!result.ok()) return Error(result.status());
    LogWrite("provider deleted", *result, caller);
    HttpResponse response = HttpResponse::Json(
        200, common::ProviderToJson(result->provider, common::JsonView::kResponse));
    response.headers.emplace_back("X-Switchyard-Revision", std::to_string(result->revision));
    return response;
  }
  return MethodNotAllowed(request.method, "GET, PUT, DELETE");
}

HttpResponse RestApi::Governance(const HttpRequest& request, std::string_view kind,
                                 std::string_view id, const common::AdminCaller& caller) {
  auto log = [&](std::string_view what, const ObjectResult& result) {
    common::LogInfo(what, {{"kind", std::string(kind)},
                           {"id", common::IdOf(result.object)},
                           {"name", common::NameOf(result.object)},
                           {"revision", std::to_string(result.revision)},
                           {"actor", caller.actor}});
  };
  if (id.empty()) {
    if (request.method == "GET") {
      auto objects = governance_->List(kind);
      if (!objects.ok()) return Error(objects.status());
      return HttpResponse::Json(200, common::GovernanceListToJson(kind, *objects));
    }
    if (request.method != "POST") return MethodNotAllowed(request.method, "GET, POST");
    auto incoming = common::GovernanceFromJson(kind, request.body);
    if (!incoming.ok()) return Error(incoming.status());
    auto result = governance_->Create(*std::move(incoming), caller.actor);
    if (!result.ok()) return Error(result.status());
    log("governance object created", *result);
    HttpResponse response = ObjectBody(201, *result, false);
    response.headers.emplace_back("Location", StrCat(request.path, "/", common::IdOf(result->object)));
    return response;
  }
  if (request.method == "GET") {
    auto result = governance_->Get(kind, id);
    if (!result.ok()) return Error(result.status());
    return ObjectBody(200, *result, true);
  }
  if (request.method == "PUT") {
    auto incoming = common::GovernanceFromJson(kind, request.body);
    if (!incoming.ok()) return Error(incoming.status());
    auto result = governance_->Update(kind, id, *std::move(incoming), ExpectedHash(request),
                                      caller.actor);
    if (!result.ok()) return Error(result.status());
    log("governance object replaced", *result);
    return ObjectBody(200, *result, false);
  }
  if (request.method == "DELETE") {
    auto result = governance_->Delete(kind, id, ExpectedHash(request), caller.actor);
    if (!result.ok()) return Error(result.status());
    log("governance object deleted", *result);
    return ObjectBody(200, *result, false);
  }
  return MethodNotAllowed(request.method, "GET, PUT, DELETE");
}

HttpResponse RestApi::Fleet(const HttpRequest& request) {
  if (request.method != "GET") return MethodNotAllowed(request.method, "GET");
  auto fleet = fleet_->List();
  if (!fleet.ok()) return Error(fleet.status());
  nlohmann::json planes = nlohmann::json::array();
  for (const v1::DataPlaneStatus& plane : fleet->data_planes()) {
    planes.push_back({{"node_id", plane.node_id()},
                      {"replica", plane.replica()},
                      {"revision", plane.revision()},
                      {"table_hash", plane.table_hash()},
                      {"last_seen", plane.last_seen()},
                      {"state", plane.state()},
                      {"last_error", plane.last_error()},
                      {"isolated_providers", nlohmann::json(std::vector<std::string>(
                                                 plane.isolated_providers().begin(),
                                                 plane.isolated_providers().end()))}});
  }
  nlohmann::json body{{"data_planes", planes},
                      {"total", fleet->data_planes_size()},
                      {"revision", fleet->revision()},
                      {"table_hash", fleet->table_hash()}};
  return HttpResponse::Json(200,
                            body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse RestApi::Console(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return MethodNotAllowed(request.method, "GET, HEAD");
  }
  const std::string_view path = request.path;
  const std::optional<std::string_view> asset =
      ConsoleAsset(path == "/" ? std::string_view("/index.html") : path.substr(8));
  if (!asset) return Error(absl::NotFoundError(StrCat("no console file ", path)));
  HttpResponse response;
  response.body = std::string(*asset);
  const std::string_view type = path.ends_with(".js")    ? "text/javascript; charset=utf-8"
                                : path.ends_with(".css") ? "text/css; charset=utf-8"
                                : path.ends_with(".png") ? "image/png"
                                                         : "text/html; charset=utf-8";
  response.headers.emplace_back("Content-Type", std::string(type));
  // Only the console's own files run; nothing is framed, sniffed or referred elsewhere.
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

HttpResponse RestApi::Health() {
  const absl::Status database = service_->CheckDatabase();
  nlohmann::json body{{"status", "ok"},
                      {"components", {{"database", database.ok() ? "ok" : "unavailable"}}},
                      {"secrets_at_rest", secrets_sealed_ ? "encrypted" : "clear"}};
  return HttpResponse::Json(200, body.dump());
}

}  // namespace switchyard::cp
