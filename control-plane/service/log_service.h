// LogService: request log search for the admin APIs (REST /api/logs and gRPC LogsAdmin are
// thin adapters over it). Validates what callers send (InvalidArgument naming the field) and
// strips raw bodies for callers who may only read (the viewer role).
#ifndef SWITCHYARD_CONTROL_PLANE_SERVICE_LOG_SERVICE_H_
#define SWITCHYARD_CONTROL_PLANE_SERVICE_LOG_SERVICE_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "control-plane/store/log_store.h"

namespace switchyard::cp {

inline constexpr int kDefaultLogPage = 50;
inline constexpr int kMaxLogPage = 1000;

class LogService {
 public:
  explicit LogService(LogStore* store) : store_(store) {}

  // `may_read_raw`: the caller has the admin role (raw bodies are in the answer).
  absl::StatusOr<v1::SearchLogsResponse> Search(const v1::SearchLogsRequest& request,
                                                bool may_read_raw);
  absl::StatusOr<v1::RequestLog> Get(std::string_view id, bool may_read_raw);
  absl::StatusOr<v1::LogStatsResponse> Stats(const v1::LogStatsRequest& request);

 private:
  LogStore* const store_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_SERVICE_LOG_SERVICE_H_
