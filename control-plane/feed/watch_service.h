// The ConfigDistribution.Watch stream (gRPC callback API): one reactor per data plane.
//
// A reactor never blocks: the hello, ACKs and NACKs are handed to the FleetRegistry's queue,
// and updates are computed from the ChangeFeed's immutable in-memory state. One write is in
// flight at a time; when the feed advances during a write, the next write sends everything
// since the last one, coalesced, so a slow data plane costs one message, not a backlog.
//
// Streams need `authorization: Bearer <data-plane token>`; without it (or with an admin
// token) they end UNAUTHENTICATED. Only development mode with no token configured opens
// streams without one.
#ifndef SWITCHYARD_CONTROL_PLANE_FEED_WATCH_SERVICE_H_
#define SWITCHYARD_CONTROL_PLANE_FEED_WATCH_SERVICE_H_

#include <atomic>
#include <string_view>

#include "common/bearer_tokens.h"
#include "control-plane/feed/change_feed.h"
#include "control-plane/feed/fleet_registry.h"
#include "control-plane/feed/log_ingest.h"
#include "control-plane/feed/spend_ledger.h"
#include "switchyard/v1/distribution.grpc.pb.h"

namespace switchyard::cp {

class WatchService final : public switchyard::v1::ConfigDistribution::CallbackService {
 public:
  // `ledger` takes the data planes' usage reports (null: they are ignored); `logs` their
  // request logs (null: ShipLogs answers UNIMPLEMENTED).
  WatchService(ChangeFeed* feed, FleetRegistry* fleet, common::BearerTokens data_plane_tokens,
               bool open_without_token, SpendLedger* ledger = nullptr, LogIngest* logs = nullptr)
      : feed_(feed),
        fleet_(fleet),
        tokens_(std::move(data_plane_tokens)),
        open_without_token_(open_without_token),
        ledger_(ledger),
        logs_(logs) {}

  grpc::ServerBidiReactor<switchyard::v1::WatchRequest, switchyard::v1::ConfigUpdate>* Watch(
      grpc::CallbackServerContext* context) override;
  grpc::ServerReadReactor<switchyard::v1::LogBatch>* ShipLogs(
      grpc::CallbackServerContext* context, switchyard::v1::ShipLogsSummary* summary) override;

 private:
  bool Authorized(grpc::CallbackServerContext* context) const;

  ChangeFeed* const feed_;
  FleetRegistry* const fleet_;
  const common::BearerTokens tokens_;
  const bool open_without_token_;
  SpendLedger* const ledger_;
  LogIngest* const logs_;
  std::atomic<uint64_t> next_stream_{1};
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_FEED_WATCH_SERVICE_H_
