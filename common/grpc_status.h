// The one translation point between absl::Status (inside) and grpc::Status (on the wire).
// Canonical codes map one to one; the message is kept.
#ifndef SWITCHYARD_COMMON_GRPC_STATUS_H_
#define SWITCHYARD_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace switchyard::common {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_GRPC_STATUS_H_
