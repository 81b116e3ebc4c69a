// The gRPC Fleet service (ListDataPlanes) over FleetRegistry; admin token required.
#ifndef SWITCHYARD_CONTROL_PLANE_API_GRPC_FLEET_SERVICE_H_
#define SWITCHYARD_CONTROL_PLANE_API_GRPC_FLEET_SERVICE_H_

#include <memory>

#include "common/admin_auth.h"
#include "control-plane/feed/fleet_registry.h"
#include "switchyard/v1/distribution.grpc.pb.h"

namespace switchyard::cp {

class FleetService final : public switchyard::v1::Fleet::Service {
 public:
  FleetService(FleetRegistry* fleet, std::shared_ptr<const common::AdminAuth> auth)
      : fleet_(fleet), auth_(std::move(auth)) {}

  grpc::Status ListDataPlanes(grpc::ServerContext* context,
                              const switchyard::v1::ListDataPlanesRequest* request,
                              switchyard::v1::ListDataPlanesResponse* response) override;

 private:
  FleetRegistry* const fleet_;
  const std::shared_ptr<const common::AdminAuth> auth_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_API_GRPC_FLEET_SERVICE_H_
