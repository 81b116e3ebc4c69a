// WatchClient: the data plane's end of ConfigDistribution.Watch, on its own thread (the
// config thread).
//
// It opens the stream with the data-plane token, says hello with the live table's revision
// and hash, applies each update through the ConfigApplier and answers ACK or NACK. When the
// stream ends it reconnects with jittered exponential backoff, serving the last good table
// meanwhile. A table-hash mismatch (this data plane's base diverged) makes it NACK, drop the
// stream and ask for a full snapshot on the next connect.
#ifndef SWITCHYARD_DATA_PLANE_CONFIG_WATCH_CLIENT_H_
#define SWITCHYARD_DATA_PLANE_CONFIG_WATCH_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "data-plane/config/config_applier.h"
#include "data-plane/config/metrics.h"
#include "data-plane/table/table_slot.h"

namespace switchyard::dp {

struct WatchClientOptions {
  std::string control_plane;  // host:port
  std::string node_id;
  std::string token;  // SWITCHYARD_DATA_PLANE_TOKEN; empty sends none
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{30000};
  // TLS to the control plane when `ca_file` is set (the CA that signed its certificate);
  // `cert_file` + `key_file`: this data plane's client certificate (mutual TLS). The files
  // are re-read every `tls_reload_interval` (rotation without restarts).
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::chrono::seconds tls_reload_interval{60};
};

class WatchClient {
 public:
  // `usage` (may be null): the governance counters whose unreported spend and counts go to
  // the control plane as UsageReports on the stream, every 250 ms while there are any.
  WatchClient(WatchClientOptions options, ConfigApplier* applier, const TableSlot* slot,
              ConfigMetrics* metrics, UsageCounters* usage = nullptr);
  ~WatchClient();  // stops

  void Start();
  // The channel to the control plane (TLS, reconnects): request logs travel on it too.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // Sends the last usage report (waiting up to a second for it), cancels the stream and joins.
  void Stop();

 private:
  void Run();
  // One stream, until it ends. Returns true when it received at least one update.
  bool WatchOnce();
  // Blocks until the channel is connected (false when stopping).
  bool WaitUntilConnected();
  void Sleep(std::chrono::milliseconds duration);

  const WatchClientOptions options_;
  ConfigApplier* const applier_;
  const TableSlot* const slot_;
  ConfigMetrics* const metrics_;
  UsageCounters* const usage_;
  std::shared_ptr<grpc::Channel> channel_;
  std::mt19937_64 random_;
  bool want_snapshot_ = false;

  // The usage reporter of the live stream (WatchOnce): Stop() asks it for a last report.
  std::mutex report_mu_;
  std::condition_variable report_wake_;
  bool reporter_running_ ABSL_GUARDED_BY(report_mu_) = false;
  bool report_now_ ABSL_GUARDED_BY(report_mu_) = false;
  bool report_done_ ABSL_GUARDED_BY(report_mu_) = false;
  uint64_t final_reports_ ABSL_GUARDED_BY(report_mu_) = 0;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_CONFIG_WATCH_CLIENT_H_
