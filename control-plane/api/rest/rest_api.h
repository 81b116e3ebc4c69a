// The REST admin API (Bifrost-compatible JSON) over ProviderService.
//
//   GET    /health                   liveness, with the database's state
//   GET    /api/providers            {"providers":[...],"total":N}
//   POST   /api/providers            create (201; 409 when the name exists)
//   GET    /api/providers/{name}     one provider (ETag = config hash)
//   PUT    /api/providers/{name}     full replacement; creates a missing name (201)
//   DELETE /api/providers/{name}     delete; returns the deleted provider
//   GET    /api/fleet                every data plane and its sync state
//   /api/governance/{virtual-keys|teams|customers|pricing}[/{id}]: the same verbs over
//   governance objects (GovernanceService); a created key's value is in the 201 body only;
//   GET of one object adds "usage" (spend in the budget's current period).
//   GET    /api/logs                 request logs, filtered and paged (logs_api.cc)
//   GET    /api/logs/stats           counts, error rate, latency percentiles, tokens, cost
//   GET    /api/logs/{id}            one record; raw bodies for the admin role only
//
// PUT and DELETE honour If-Match (412 on mismatch). Every /api call needs
// `Authorization: Bearer <admin token>` unless auth is off (--dev). Errors use Bifrost's
// envelope (common/errors.h). Thread-safe; called on the HTTP server's threads.
#ifndef SWITCHYARD_CONTROL_PLANE_API_REST_REST_API_H_
#define SWITCHYARD_CONTROL_PLANE_API_REST_REST_API_H_

#include <memory>

#include "common/admin_auth.h"
#include "common/http/http_server.h"
#include "control-plane/feed/fleet_registry.h"
#include "control-plane/service/governance_service.h"
#include "control-plane/service/log_service.h"
#include "control-plane/service/provider_service.h"

namespace switchyard::cp {

class RestApi {
 public:
  // `secrets_sealed`: stored secrets are encrypted at rest (/health says which).
  RestApi(ProviderService* service, FleetRegistry* fleet,
          std::shared_ptr<const common::AdminAuth> auth, bool secrets_sealed = false,
          GovernanceService* governance = nullptr, LogService* logs = nullptr)
      : service_(service),
        fleet_(fleet),
        auth_(std::move(auth)),
        secrets_sealed_(secrets_sealed),
        governance_(governance),
        logs_(logs) {}

  common::HttpResponse Handle(const common::HttpRequest& request);

 private:
  common::HttpResponse HandleCollection(const common::HttpRequest& request,
                                        const common::AdminCaller& caller);
  common::HttpResponse HandleProvider(const common::HttpRequest& request, std::string_view name,
                                      const common::AdminCaller& caller);
  common::HttpResponse Governance(const common::HttpRequest& request, std::string_view kind,
                                  std::string_view id, const common::AdminCaller& caller);
  common::HttpResponse Logs(const common::HttpRequest& request, const common::AdminCaller& caller);
  common::HttpResponse Health();
  // The web console's files: GET / and /console/* (console_assets.h), without credentials
  // (they hold none; every call they make is an authenticated /api call).
  common::HttpResponse Console(const common::HttpRequest& request);
  common::HttpResponse Fleet(const common::HttpRequest& request);

  ProviderService* service_;
  FleetRegistry* fleet_;
  const std::shared_ptr<const common::AdminAuth> auth_;
  const bool secrets_sealed_ = false;
  GovernanceService* const governance_;
  LogService* const logs_;
};

// The REST API's error answers (Bifrost's envelope), for its handler files.
namespace rest {
common::HttpResponse Error(const absl::Status& status);
common::HttpResponse MethodNotAllowed(std::string_view method, std::string_view allow);
}  // namespace rest

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_API_REST_REST_API_H_
