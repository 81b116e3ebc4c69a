// The LogsAdmin gRPC service (logs.proto): the same searches as REST /api/logs, over
// LogService. Viewer credentials may call it; raw bodies only reach the admin role.
#ifndef SWITCHYARD_CONTROL_PLANE_API_GRPC_LOGS_SERVICE_H_
#define SWITCHYARD_CONTROL_PLANE_API_GRPC_LOGS_SERVICE_H_

#include <memory>

#include "common/admin_auth.h"
#include "control-plane/service/log_service.h"
#include "switchyard/v1/logs.grpc.pb.h"

namespace switchyard::cp {

class LogsAdminService final : public switchyard::v1::LogsAdmin::Service {
 public:
  LogsAdminService(LogService* logs, std::shared_ptr<const common::AdminAuth> auth)
      : logs_(logs), auth_(std::move(auth)) {}

  grpc::Status SearchLogs(grpc::ServerContext* context, const v1::SearchLogsRequest* request,
                          v1::SearchLogsResponse* response) override;
  grpc::Status GetLog(grpc::ServerContext* context, const v1::GetLogRequest* request,
                      v1::RequestLog* response) override;
  grpc::Status GetLogStats(grpc::ServerContext* context, const v1::LogStatsRequest* request,
                           v1::LogStatsResponse* response) override;

 private:
  LogService* const logs_;
  const std::shared_ptr<const common::AdminAuth> auth_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_API_GRPC_LOGS_SERVICE_H_
