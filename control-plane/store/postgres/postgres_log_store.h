// LogStore on PostgreSQL (libpqxx): one connection for appends and retention, one for reads,
// each reopened after it breaks. The table and its indexes come from migration 6
// (migrations.cc); partitions are named request_logs_pYYYYMMDD (UTC days).
#ifndef SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_POSTGRES_LOG_STORE_H_
#define SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_POSTGRES_LOG_STORE_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "control-plane/store/log_store.h"

namespace switchyard::cp {

class PostgresLogStore : public LogStore {
 public:
  // Connects lazily; the schema must exist (PostgresStore::Create runs the migrations).
  // `statement_timeout` bounds each read and write on the server.
  explicit PostgresLogStore(std::string dsn,
                            std::chrono::milliseconds statement_timeout = std::chrono::seconds(30));
  ~PostgresLogStore() override;

  absl::Status AppendLogs(const std::vector<const v1::RequestLog*>& records) override;
  absl::StatusOr<v1::SearchLogsResponse> SearchLogs(const LogQuery& query) override;
  absl::StatusOr<std::optional<v1::RequestLog>> GetLog(std::string_view id,
                                                       bool with_raw) override;
  absl::StatusOr<v1::LogStatsResponse> LogStats(const LogQuery& query) override;
  absl::StatusOr<int> DropLogsBefore(std::chrono::system_clock::time_point before) override;

 private:
  struct Connection;  // a libpqxx connection, reopened when it breaks

  const std::string dsn_;
  const std::chrono::milliseconds statement_timeout_;
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_ ABSL_GUARDED_BY(write_mu_);
  std::set<int64_t> partitions_ ABSL_GUARDED_BY(write_mu_);  // days known to exist
  std::mutex read_mu_;
  std::unique_ptr<Connection> reader_ ABSL_GUARDED_BY(read_mu_);
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_POSTGRES_LOG_STORE_H_
