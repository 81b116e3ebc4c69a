#include "control-plane/feed/watch_service.h"

#include <mutex>
#include <optional>

#include "common/log.h"

namespace switchyard::cp {
namespace {

using v1::ConfigUpdate;
using v1::WatchRequest;

class WatchReactor final : public grpc::ServerBidiReactor<WatchRequest, ConfigUpdate>,
                           public FeedSubscriber {
 public:
  WatchReactor(ChangeFeed* feed, FleetRegistry* fleet, SpendLedger* ledger, uint64_t stream,
               bool authorized)
      : feed_(feed), fleet_(fleet), ledger_(ledger), stream_(stream) {
    if (!authorized) {
      std::lock_guard lock(mu_);
      FinishLocked(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                "missing or invalid data-plane token: send authorization: "
                                "Bearer <SWITCHYARD_DATA_PLANE_TOKEN>"));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    std::lock_guard lock(mu_);
    if (!ok) {  // the data plane closed its side, or the call was cancelled
      FinishLocked(grpc::Status::OK);
      return;
    }
    if (finished_) return;
    switch (request_.kind_case()) {
      case WatchRequest::kHello:
        if (hello_) return FinishLocked(Invalid("a stream sends one hello"));
        if (request_.hello().node_id().empty()) return FinishLocked(Invalid("hello needs node_id"));
        node_ = request_.hello().node_id();
        hello_ = true;
        // A data plane with nothing (revision 0) starts from a snapshot, so that whatever
        // it holds is replaced, never merged.
        last_revision_ = request_.hello().last_revision() > 0
                             ? request_.hello().last_revision() : -1;
        acked_revision_ = last_revision_;
        fleet_->Connected(node_, stream_, request_.hello().last_revision(),
                          request_.hello().table_hash());
        common::LogInfo("data plane connected",
                        {{"node", node_},
                         {"last_revision", std::to_string(request_.hello().last_revision())}});
        feed_->Subscribe(this);
        subscribed_ = true;
        MaybeWriteLocked();
        break;
      case WatchRequest::kAck:
        if (!hello_) return FinishLocked(Invalid("send hello first"));
        acked_revision_ = request_.ack().revision();
        fleet_->Acked(node_, request_.ack().revision(), request_.ack().table_hash(),
                      {request_.ack().isolated_providers().begin(),
                       request_.ack().isolated_providers().end()});
        break;
      case WatchRequest::kNack:
        if (!hello_) return FinishLocked(Invalid("send hello first"));
        // The data plane kept its last good table: the next update starts from what it
        // acknowledged, once the feed has moved past the revision it refused.
        last_revision_ = acked_revision_;
        nacked_revision_ = request_.nack().revision();
        fleet_->Nacked(node_, request_.nack().revision(), request_.nack().error());
        common::LogWarning("data plane rejected an update",
                           {{"node", node_},
                            {"revision", std::to_string(request_.nack().revision())},
                            {"error", request_.nack().error()}});
        break;
      case WatchRequest::kUsage:
        if (!hello_) return FinishLocked(Invalid("send hello first"));
        if (ledger_ != nullptr) ledger_->Submit(std::move(*request_.mutable_usage()));
        break;
      default:
        return FinishLocked(Invalid("empty watch request"));
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (pending_finish_) {
      Finish(*pending_finish_);
      pending_finish_.reset();
      return;
    }
    if (ok) MaybeWriteLocked();
  }

  void OnFeedAdvanced() override {
    std::lock_guard lock(mu_);
    MaybeWriteLocked();
  }

  void OnDone() override {
    if (subscribed_) feed_->Unsubscribe(this);
    if (hello_) {
      fleet_->Disconnected(node_, stream_);
      common::LogInfo("data plane disconnected", {{"node", node_}});
    }
    delete this;
  }

 private:
  static grpc::Status Invalid(const char* message) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
  }

  void FinishLocked(grpc::Status status) {
    if (finished_) return;
    finished_ = true;
    if (writing_) {
      pending_finish_ = std::move(status);
    } else {
      Finish(std::move(status));
    }
  }

  // Sends what the data plane lacks, if anything, when no write is in flight.
  void MaybeWriteLocked() {
    if (!hello_ || writing_ || finished_) return;
    const std::shared_ptr<const FeedState> state = feed_->state();
    if (state == nullptr) return;
    if (sent_any_ && state->revision == last_revision_) return;
    if (state->revision == nacked_revision_) return;
    update_ = state->UpdateSince(last_revision_);
    last_revision_ = state->revision;
    sent_any_ = true;
    writing_ = true;
    StartWrite(&update_);
  }

  ChangeFeed* const feed_;
  FleetRegistry* const fleet_;
  SpendLedger* const ledger_;
  const uint64_t stream_;

  std::mutex mu_;
  WatchRequest request_;
  ConfigUpdate update_;
  std::string node_;
  bool hello_ = false;
  bool subscribed_ = false;
  bool sent_any_ = false;
  bool writing_ = false;
  bool finished_ = false;
  std::optional<grpc::Status> pending_finish_;
  int64_t last_revision_ = 0;   // what the data plane has (after our last write)
  int64_t acked_revision_ = 0;  // what it last acknowledged
  int64_t nacked_revision_ = -1;
};

}  // namespace

bool WatchService::Authorized(grpc::CallbackServerContext* context) const {
  if (open_without_token_) return true;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  return it != metadata.end() &&
         tokens_.Accepts(std::string_view(it->second.data(), it->second.size()));
}

grpc::ServerBidiReactor<WatchRequest, ConfigUpdate>* WatchService::Watch(
    grpc::CallbackServerContext* context) {
  return new WatchReactor(feed_, fleet_, ledger_, next_stream_++, Authorized(context));
}

grpc::ServerReadReactor<v1::LogBatch>* WatchService::ShipLogs(grpc::CallbackServerContext* context,
                                                              v1::ShipLogsSummary* summary) {
  if (logs_ == nullptr) {
    class Unimplemented final : public grpc::ServerReadReactor<v1::LogBatch> {
     public:
      Unimplemented() {
        Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                            "this control plane does not store request logs"));
      }
      void OnDone() override { delete this; }
    };
    return new Unimplemented();
  }
  return logs_->NewReactor(context, summary, Authorized(context));
}

}  // namespace switchyard::cp
