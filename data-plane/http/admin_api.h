// The data plane's admin listener (--admin-listen, loopback by default):
//   GET /healthz   the process is up
//   GET /readyz    200 once a routing table (from the control plane or the disk cache) is
//                  live, 503 before
//   GET /metrics   Prometheus text
//   GET /config    applied revision, table hash, each provider's name, config hash and
//                  state (served / unsupported / isolated, with the reason), and each key's
//                  state; never a secret
#ifndef SWITCHYARD_DATA_PLANE_HTTP_ADMIN_API_H_
#define SWITCHYARD_DATA_PLANE_HTTP_ADMIN_API_H_

#include <atomic>
#include <functional>

#include "common/http/http_server.h"
#include "data-plane/config/metrics.h"
#include "data-plane/router/request_metrics.h"
#include "data-plane/table/table_slot.h"

namespace switchyard::dp {

class AdminApi {
 public:
  // `requests` sums the inference workers' counters (empty until they run).
  using RequestCountersSource = std::function<RequestCounters()>;
  // `more_metrics` (may be empty): more Prometheus text for /metrics (the log shipper's).
  AdminApi(const TableSlot* slot, const ConfigMetrics* metrics, RequestCountersSource requests,
           std::function<std::string()> more_metrics = {})
      : slot_(slot),
        metrics_(metrics),
        requests_(std::move(requests)),
        more_metrics_(std::move(more_metrics)) {}

  // /readyz answers 503 from now on (a draining data plane takes no new traffic).
  void SetDraining() { draining_ = true; }

  common::HttpResponse Handle(const common::HttpRequest& request) const;

 private:
  common::HttpResponse Config() const;

  const TableSlot* const slot_;
  const ConfigMetrics* const metrics_;
  const RequestCountersSource requests_;
  const std::function<std::string()> more_metrics_;
  std::atomic<bool> draining_{false};
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_ADMIN_API_H_
