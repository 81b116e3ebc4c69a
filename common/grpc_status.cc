#include "common/grpc_status.h"

#include <string>

namespace switchyard::common {

// A status message travels in a trailer (grpc-message); a long one exceeds the peer's
// metadata limit and the call never completes cleanly. Messages never need more than this.
constexpr size_t kMaxStatusMessage = 1024;

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string message(status.message().substr(0, kMaxStatusMessage));
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::move(message));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace switchyard::common
