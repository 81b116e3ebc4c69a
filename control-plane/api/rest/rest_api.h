// The REST admin API (Bifrost-compatible JSON) over ProviderService.
//
//   GET    /health                   liveness, with the database's state
//   GET    /api/providers            {"providers":[...],"total":N}
//   POST   /api/providers            create (201; 409 when the name exists)
//   GET    /api/providers/{name}     one provider (ETag = config hash)
//   PUT    /api/providers/{name}     full replacement; creates a missing name (201)
//   DELETE /api/providers/{name}     delete; returns the deleted provider
//   GET    /api/fleet                every data plane and its sync state
//
// PUT and DELETE honour If-Match (412 on mismatch). Every /api call needs
// `Authorization: Bearer <admin token>` unless auth is off (--dev). Errors use Bifrost's
// envelope (common/errors.h). Thread-safe; called on the HTTP server's threads.
#ifndef SWITCHYARD_CONTROL_PLANE_API_REST_REST_API_H_
#define SWITCHYARD_CONTROL_PLANE_API_REST_REST_API_H_

#include "common/bearer_tokens.h"
#include "common/http/http_server.h"
#include "control-plane/feed/fleet_registry.h"
#include "control-plane/service/provider_service.h"

namespace switchyard::cp {

class RestApi {
 public:
  // `tokens` empty means admin calls need no token (development mode only).
  // `secrets_sealed`: stored secrets are encrypted at rest (/health says which).
  RestApi(ProviderService* service, FleetRegistry* fleet, common::BearerTokens tokens,
          bool secrets_sealed = false)
      : service_(service),
        fleet_(fleet),
        tokens_(std::move(tokens)),
        secrets_sealed_(secrets_sealed) {}

  common::HttpResponse Handle(const common::HttpRequest& request);

 private:
  common::HttpResponse HandleCollection(const common::HttpRequest& request);
  common::HttpResponse HandleProvider(const common::HttpRequest& request, std::string_view name);
  common::HttpResponse Health();
  common::HttpResponse Fleet(const common::HttpRequest& request);

  ProviderService* service_;
  FleetRegistry* fleet_;
  const common::BearerTokens tokens_;
  const bool secrets_sealed_ = false;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_API_REST_REST_API_H_
