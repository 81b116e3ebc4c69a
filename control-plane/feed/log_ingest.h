// LogIngest: the control plane's end of ConfigDistribution.ShipLogs.
//
// Each data plane's stream hands its batches here; one writer thread appends them to the
// LogStore, several batches (from every stream) per COPY. A stream reads its next batch only
// after its previous one was written, so a slow or absent database slows the data planes'
// streams (their queues fill, then drop and count) instead of growing memory here. A failed
// append is retried with backoff until it succeeds or the control plane stops.
//
// Retention: every `retention_interval` (and at Start) the day partitions older than
// `retention` are dropped.
#ifndef SWITCHYARD_CONTROL_PLANE_FEED_LOG_INGEST_H_
#define SWITCHYARD_CONTROL_PLANE_FEED_LOG_INGEST_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "control-plane/store/log_store.h"

namespace switchyard::cp {

struct LogIngestOptions {
  std::chrono::hours retention{24 * 7};
  std::chrono::milliseconds retention_interval{std::chrono::hours(1)};
  size_t max_records_per_append = 5000;
};

class LogIngest {
 public:
  LogIngest(LogStore* store, LogIngestOptions options);
  ~LogIngest();  // Stop()

  void Start();
  // Writes what is pending (one attempt), then stops; batches not written, and batches
  // submitted afterwards, are dropped (their streams go on, so the gRPC server can shut down).
  // Call it before the gRPC server's Shutdown().
  void Stop();

  // The reactor of one ShipLogs call (`authorized`: its data-plane token was accepted);
  // `summary` is the call's answer (the records it received).
  grpc::ServerReadReactor<v1::LogBatch>* NewReactor(grpc::CallbackServerContext* context,
                                                    v1::ShipLogsSummary* summary,
                                                    bool authorized);

  // Hands `batch` to the writer; `written` runs on the writer thread once it is stored (or
  // dropped at Stop()).
  void Submit(v1::LogBatch* batch, std::function<void()> written);

 private:
  struct Pending {
    v1::LogBatch* batch;
    std::function<void()> written;
  };
  using Clock = std::chrono::steady_clock;
  void Run();
  // Drops the partitions past the retention; when to do it next.
  Clock::time_point ApplyRetention();
  // The records of `taken`, parsed and checked (trace ids read from traceparents); adds the
  // records the data planes said they dropped to `reported_dropped`.
  std::vector<v1::RequestLog> Parse(const std::vector<Pending>& taken,
                                    int64_t* reported_dropped) const;

  LogStore* const store_;
  const LogIngestOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;  // the writer is gone: Submit() drops
  std::atomic<int64_t> lost_{0};
  std::thread thread_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_FEED_LOG_INGEST_H_
