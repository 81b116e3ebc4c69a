#include "control-plane/api/grpc/logs_service.h"

#include "control-plane/api/grpc/auth.h"

namespace switchyard::cp {
namespace {

// The answer, or the call's status.
template <typename T>
grpc::Status Answer(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return common::ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status LogsAdminService::SearchLogs(grpc::ServerContext* context,
                                          const v1::SearchLogsRequest* request,
                                          v1::SearchLogsResponse* response) {
  common::AdminCaller caller;
  if (grpc::Status auth = CheckAdmin(*context, *auth_, false, &caller); !auth.ok()) return auth;
  return Answer(logs_->Search(*request, caller.can_write), response);
}

grpc::Status LogsAdminService::GetLog(grpc::ServerContext* context,
                                      const v1::GetLogRequest* request, v1::RequestLog* response) {
  common::AdminCaller caller;
  if (grpc::Status auth = CheckAdmin(*context, *auth_, false, &caller); !auth.ok()) return auth;
  return Answer(logs_->Get(request->id(), caller.can_write), response);
}

grpc::Status LogsAdminService::GetLogStats(grpc::ServerContext* context,
                                           const v1::LogStatsRequest* request,
                                           v1::LogStatsResponse* response) {
  if (grpc::Status auth = CheckAdmin(*context, *auth_, false); !auth.ok()) return auth;
  return Answer(logs_->Stats(*request), response);
}

}  // namespace switchyard::cp
