// FleetRegistry: what every data plane last reported, kept in PostgreSQL (data_planes) so
// that any control-plane replica answers the same fleet status.
//
// Watch streams report connects, ACKs, NACKs and disconnects; those calls only queue the
// change (they run on gRPC reactor threads and must not block). A writer thread stores them
// and, every heartbeat, marks this replica's connected data planes as seen, so the rows of a
// replica that died stop looking fresh and read as disconnected.
//
// State of a data plane, as List() reports it:
//   disconnected  not connected, or not seen for three heartbeats
//   in_sync       applied the feed's current revision with the expected table hash
//   stale         connected but behind, or its table hash differs
#ifndef SWITCHYARD_CONTROL_PLANE_FEED_FLEET_REGISTRY_H_
#define SWITCHYARD_CONTROL_PLANE_FEED_FLEET_REGISTRY_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "control-plane/feed/change_feed.h"
#include "control-plane/store/distribution_store.h"
#include "switchyard/v1/distribution.pb.h"

namespace switchyard::cp {

class FleetRegistry {
 public:
  FleetRegistry(FleetStore* store, const ChangeFeed* feed, std::string replica,
                std::chrono::milliseconds heartbeat = std::chrono::seconds(5));
  ~FleetRegistry();  // flushes what is queued, then stops

  void Start();
  void Stop();

  // Reports from watch streams; non-blocking. `stream` tells a node's successive streams
  // apart, so a late disconnect of an old stream does not hide a newer one.
  void Connected(const std::string& node, uint64_t stream, int64_t revision,
                 const std::string& table_hash);
  void Acked(const std::string& node, int64_t revision, const std::string& table_hash,
             std::vector<std::string> isolated_providers = {});
  void Nacked(const std::string& node, int64_t revision, const std::string& error);
  void Disconnected(const std::string& node, uint64_t stream);

  // Blocking read for the admin APIs; Unavailable when the database is.
  absl::StatusOr<switchyard::v1::ListDataPlanesResponse> List();

  const std::string& replica() const { return replica_; }

 private:
  void Run();
  void Queue(const DataPlaneRow& row) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FleetStore* const store_;
  const ChangeFeed* const feed_;
  const std::string replica_;
  const std::chrono::milliseconds heartbeat_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, DataPlaneRow> known_ ABSL_GUARDED_BY(mu_);  // this replica's nodes
  std::map<std::string, uint64_t> streams_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, DataPlaneRow> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_FEED_FLEET_REGISTRY_H_
