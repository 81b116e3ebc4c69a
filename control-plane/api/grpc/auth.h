// Bearer-token check on gRPC call metadata, shared by the admin and fleet services.
#ifndef SWITCHYARD_CONTROL_PLANE_API_GRPC_AUTH_H_
#define SWITCHYARD_CONTROL_PLANE_API_GRPC_AUTH_H_

#include <grpcpp/grpcpp.h>

#include "common/bearer_tokens.h"

namespace switchyard::cp {

// OK when `tokens` is empty (development mode) or the call carries
// `authorization: Bearer <one of tokens>`; UNAUTHENTICATED otherwise.
inline grpc::Status CheckAdminToken(const grpc::ServerContext& context,
                                    const common::BearerTokens& tokens) {
  if (tokens.empty()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  const std::string_view value =
      it == metadata.end() ? std::string_view()
                           : std::string_view(it->second.data(), it->second.size());
  if (!tokens.Accepts(value)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing or invalid admin token: send authorization: Bearer <token>");
  }
  return grpc::Status::OK;
}

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_API_GRPC_AUTH_H_
