// LogStore: where request logs rest (DESIGN.md "Governance, routes and request logs").
//
// Records arrive in batches from the data planes (feed/log_ingest.h) and are appended in one
// COPY per batch into a table partitioned by day; a day's partition is created when its
// first record arrives and dropped whole by retention. Reads are newest first: ties on the
// timestamp are ordered by id, and a page's cursor is its last (timestamp, id).
//
// Thread-safe. Errors: Unavailable when the database cannot be reached, Internal otherwise.
#ifndef SWITCHYARD_CONTROL_PLANE_STORE_LOG_STORE_H_
#define SWITCHYARD_CONTROL_PLANE_STORE_LOG_STORE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "switchyard/v1/logs.pb.h"

namespace switchyard::cp {

// A validated search (service/log_service.h checks what the API received).
struct LogQuery {
  v1::LogFilter filter;              // start_time/end_time are read from the fields below
  std::optional<int64_t> start_us;   // inclusive, microseconds since the epoch
  std::optional<int64_t> end_us;     // exclusive
  int limit = 50;
  // Records strictly older than this (timestamp, id) in the newest-first order.
  std::optional<std::pair<int64_t, std::string>> after;
  int offset = 0;
  bool with_raw = false;  // raw bodies in the answer
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  // Appends `records` (timestamp_unix_us set); creates the partitions their days need.
  virtual absl::Status AppendLogs(const std::vector<const v1::RequestLog*>& records) = 0;
  // A page of matching records, newest first, with next_cursor, total_count and stats.
  virtual absl::StatusOr<v1::SearchLogsResponse> SearchLogs(const LogQuery& query) = 0;
  virtual absl::StatusOr<std::optional<v1::RequestLog>> GetLog(std::string_view id,
                                                               bool with_raw) = 0;
  virtual absl::StatusOr<v1::LogStatsResponse> LogStats(const LogQuery& query) = 0;
  // Drops every day partition that ends at or before `before`; returns how many.
  virtual absl::StatusOr<int> DropLogsBefore(std::chrono::system_clock::time_point before) = 0;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_STORE_LOG_STORE_H_
