// The data plane's admin listener (--admin-listen, loopback by default):
//   GET /healthz   the process is up
//   GET /readyz    200 once a routing table (from the control plane or the disk cache) is
//                  live, 503 before
//   GET /metrics   Prometheus text
//   GET /config    applied revision, table hash, each provider's name and config hash, and
//                  each key's state; never a secret
#ifndef SWITCHYARD_DATA_PLANE_HTTP_ADMIN_API_H_
#define SWITCHYARD_DATA_PLANE_HTTP_ADMIN_API_H_

#include "common/http/http_server.h"
#include "data-plane/config/metrics.h"
#include "data-plane/table/table_slot.h"

namespace switchyard::dp {

class AdminApi {
 public:
  AdminApi(const TableSlot* slot, const ConfigMetrics* metrics)
      : slot_(slot), metrics_(metrics) {}

  common::HttpResponse Handle(const common::HttpRequest& request) const;

 private:
  common::HttpResponse Config() const;

  const TableSlot* const slot_;
  const ConfigMetrics* const metrics_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_ADMIN_API_H_
