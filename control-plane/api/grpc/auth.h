// Admin authentication on gRPC call metadata (common/admin_auth.h), shared by the admin and
// fleet services: the same rules as the REST API.
#ifndef SWITCHYARD_CONTROL_PLANE_API_GRPC_AUTH_H_
#define SWITCHYARD_CONTROL_PLANE_API_GRPC_AUTH_H_

#include <grpcpp/grpcpp.h>

#include "common/admin_auth.h"
#include "common/grpc_status.h"

namespace switchyard::cp {

// The caller of `context`: UNAUTHENTICATED without valid credentials, PERMISSION_DENIED when
// the caller may not do what it asks (`write` by a read-only caller, or a role that allows
// nothing).
inline grpc::Status CheckAdmin(const grpc::ServerContext& context, const common::AdminAuth& auth,
                               bool write, common::AdminCaller* caller = nullptr) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  const std::string_view value =
      it == metadata.end() ? std::string_view()
                           : std::string_view(it->second.data(), it->second.size());
  absl::StatusOr<common::AdminCaller> who = auth.Authenticate(value);
  if (!who.ok()) return common::ToGrpcStatus(who.status());
  if (write && !who->can_write) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "this admin credential may read, not change, providers (role viewer)");
  }
  if (caller != nullptr) *caller = *std::move(who);
  return grpc::Status::OK;
}

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_API_GRPC_AUTH_H_
