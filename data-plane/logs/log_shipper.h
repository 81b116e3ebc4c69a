// LogShipper: request logs leave the data plane here (DESIGN.md "Governance, routes and
// request logs").
//
// Workers Push() a finished record into a bounded in-memory queue and go on: a push takes a
// mutex for a few instructions and never waits on the network. One shipper thread takes
// records in arrival order, fills in what is cheaper to do off the request path (the error
// type and message, read from the error answer the client got), and writes them in batches
// on a ConfigDistribution.ShipLogs client stream over the data plane's channel to the
// control plane (the Watch channel: same TLS, same data-plane token).
//
// When the control plane (or its database, which slows its reads) cannot keep up, the queue
// fills to its bound (records and bytes) and further records are dropped and counted
// (switchyard_log_records_dropped_total): memory never grows past the bound and no request
// waits. A batch whose write failed is kept and sent first on the next stream, so the
// backlog drains in order once the control plane is back. Stop() flushes what is queued
// within its deadline.
#ifndef SWITCHYARD_DATA_PLANE_LOGS_LOG_SHIPPER_H_
#define SWITCHYARD_DATA_PLANE_LOGS_LOG_SHIPPER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "data-plane/logs/log_record.h"
#include "switchyard/v1/logs.pb.h"

namespace grpc {
class Channel;
}

namespace switchyard::dp {

// A finished record and, for an error answer, the body the client got (the shipper thread
// reads the error's type and message from it and adds them to the record).
struct LogEntry {
  LogRecord record;
  std::string error_body;
  int64_t bytes() { return 64 + static_cast<int64_t>(record.wire().size() + error_body.size()); }
  void Reset() {
    record.Reset();
    error_body.clear();
  }
};

struct LogShipperOptions {
  int64_t max_records = 10000;             // queue bound, records
  int64_t max_bytes = 64 * 1024 * 1024;    // queue bound, approximate bytes
  int max_batch = 500;                     // records per stream message
  std::chrono::milliseconds flush_interval{200};  // a partial batch waits at most this
  std::string token;                       // the data-plane token (metadata)
};

class LogShipper {
 public:
  // `channel`: to the control plane; null ships nothing (records are counted as dropped).
  LogShipper(std::shared_ptr<grpc::Channel> channel, LogShipperOptions options);
  ~LogShipper();  // Stop(0)

  void Start();
  // Any thread; never blocks on the network. Returns an emptied entry for the caller's next
  // record when there is one to spare (null otherwise): entries go round between the workers
  // and the shipper instead of being allocated on one thread and freed on another.
  std::unique_ptr<LogEntry> Push(std::unique_ptr<LogEntry> entry);
  // Sends what is queued (waiting up to `deadline` for the control plane), then ends the
  // stream and joins the thread. Records still queued at the deadline are dropped and counted.
  void Stop(std::chrono::milliseconds deadline);

  // Prometheus text: queued, shipped, dropped.
  std::string RenderMetrics() const;
  int64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  int64_t shipped() const { return shipped_.load(std::memory_order_relaxed); }

 private:
  class Stream;
  // A batch on its way: the message (its records' buffers swapped in from the entries).
  struct Batch {
    v1::LogBatch message;
    std::vector<std::unique_ptr<LogEntry>> entries;
  };
  void Run();
  // Takes up to max_batch records (waiting up to the flush interval for a full batch); false
  // when stopping and nothing is left.
  bool TakeBatch(Batch* batch);
  // After a write: the buffers back into their entries, the entries into the spare pool.
  void Recycle(Batch* batch);

  const std::shared_ptr<grpc::Channel> channel_;
  const LogShipperOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<LogEntry>> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<LogEntry>> spare_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point stop_deadline_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Stream> stream_;  // the shipper thread's

  std::atomic<int64_t> dropped_{0};
  std::atomic<int64_t> shipped_{0};
  std::atomic<int64_t> queued_{0};
  std::atomic<int64_t> stream_failures_{0};
  std::thread thread_;
};

// The error's type and message in an error answer of any surface (Bifrost's envelope,
// Anthropic's, Google's, Cohere's, Bedrock's). Empty fields when the body is not one.
void ReadErrorBody(std::string_view body, v1::LogError* error);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_LOGS_LOG_SHIPPER_H_
