// The gRPC Fleet service (ListDataPlanes) over FleetRegistry; admin token required.
#ifndef SWITCHYARD_CONTROL_PLANE_API_GRPC_FLEET_SERVICE_H_
#define SWITCHYARD_CONTROL_PLANE_API_GRPC_FLEET_SERVICE_H_

#include "common/bearer_tokens.h"
#include "control-plane/feed/fleet_registry.h"
#include "switchyard/v1/distribution.grpc.pb.h"

namespace switchyard::cp {

class FleetService final : public switchyard::v1::Fleet::Service {
 public:
  FleetService(FleetRegistry* fleet, common::BearerTokens admin_tokens)
      : fleet_(fleet), tokens_(std::move(admin_tokens)) {}

  grpc::Status ListDataPlanes(grpc::ServerContext* context,
                              const switchyard::v1::ListDataPlanesRequest* request,
                              switchyard::v1::ListDataPlanesResponse* response) override;

 private:
  FleetRegistry* const fleet_;
  const common::BearerTokens tokens_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_API_GRPC_FLEET_SERVICE_H_
