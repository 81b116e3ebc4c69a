// The gRPC admin API (switchyard.v1.ProviderAdmin) over ProviderService.
//
// A synchronous service: each call runs on a gRPC thread and may block on the database.
// Every call needs `authorization: Bearer <admin token>` metadata unless auth is off (--dev).
// Statuses map one to one from the service's absl::Status (common/grpc_status.h).
#ifndef SWITCHYARD_CONTROL_PLANE_API_GRPC_ADMIN_SERVICE_H_
#define SWITCHYARD_CONTROL_PLANE_API_GRPC_ADMIN_SERVICE_H_

#include "common/admin_auth.h"
#include "control-plane/service/governance_service.h"
#include "control-plane/service/provider_service.h"
#include "switchyard/v1/admin.grpc.pb.h"

namespace switchyard::cp {

class AdminService final : public switchyard::v1::ProviderAdmin::Service {
 public:
  AdminService(ProviderService* service, std::shared_ptr<const common::AdminAuth> auth)
      : service_(service), auth_(std::move(auth)) {}

  grpc::Status CreateProvider(grpc::ServerContext* context,
                              const switchyard::v1::CreateProviderRequest* request,
                              switchyard::v1::ProviderResponse* response) override;
  grpc::Status GetProvider(grpc::ServerContext* context,
                           const switchyard::v1::GetProviderRequest* request,
                           switchyard::v1::ProviderResponse* response) override;
  grpc::Status ListProviders(grpc::ServerContext* context,
                             const switchyard::v1::ListProvidersRequest* request,
                             switchyard::v1::ListProvidersResponse* response) override;
  grpc::Status UpdateProvider(grpc::ServerContext* context,
                              const switchyard::v1::UpdateProviderRequest* request,
                              switchyard::v1::ProviderResponse* response) override;
  grpc::Status DeleteProvider(grpc::ServerContext* context,
                              const switchyard::v1::DeleteProviderRequest* request,
                              switchyard::v1::DeleteProviderResponse* response) override;

 private:
  ProviderService* service_;
  const std::shared_ptr<const common::AdminAuth> auth_;
};

// switchyard.v1.GovernanceAdmin over GovernanceService: the same rules as REST's
// /api/governance/*.
class GovernanceAdminService final : public switchyard::v1::GovernanceAdmin::Service {
 public:
  GovernanceAdminService(GovernanceService* service, std::shared_ptr<const common::AdminAuth> auth)
      : service_(service), auth_(std::move(auth)) {}

  grpc::Status CreateObject(grpc::ServerContext* context,
                            const switchyard::v1::CreateObjectRequest* request,
                            switchyard::v1::ObjectResponse* response) override;
  grpc::Status GetObject(grpc::ServerContext* context, const switchyard::v1::ObjectRef* request,
                         switchyard::v1::ObjectResponse* response) override;
  grpc::Status ListObjects(grpc::ServerContext* context,
                           const switchyard::v1::ListObjectsRequest* request,
                           switchyard::v1::ListObjectsResponse* response) override;
  grpc::Status UpdateObject(grpc::ServerContext* context,
                            const switchyard::v1::UpdateObjectRequest* request,
                            switchyard::v1::ObjectResponse* response) override;
  grpc::Status DeleteObject(grpc::ServerContext* context,
                            const switchyard::v1::DeleteObjectRequest* request,
                            switchyard::v1::ObjectResponse* response) override;

 private:
  GovernanceService* service_;
  const std::shared_ptr<const common::AdminAuth> auth_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_API_GRPC_ADMIN_SERVICE_H_
