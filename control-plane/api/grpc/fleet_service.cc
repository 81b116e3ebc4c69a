#include "control-plane/api/grpc/fleet_service.h"

#include "common/grpc_status.h"
#include "control-plane/api/grpc/auth.h"

namespace switchyard::cp {

grpc::Status FleetService::ListDataPlanes(grpc::ServerContext* context,
                                          const v1::ListDataPlanesRequest* /*request*/,
                                          v1::ListDataPlanesResponse* response) {
  if (grpc::Status auth = CheckAdmin(*context, *auth_, false); !auth.ok()) return auth;
  auto fleet = fleet_->List();
  if (!fleet.ok()) return common::ToGrpcStatus(fleet.status());
  *response = *std::move(fleet);
  return grpc::Status::OK;
}

}  // namespace switchyard::cp
