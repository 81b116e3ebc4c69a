#include "control-plane/feed/fleet_registry.h"

#include <ctime>

#include "common/log.h"
#include "common/strings.h"

namespace switchyard::cp {
namespace {

using common::Rfc3339;

}  // namespace

FleetRegistry::FleetRegistry(FleetStore* store, const ChangeFeed* feed, std::string replica,
                             std::chrono::milliseconds heartbeat)
    : store_(store), feed_(feed), replica_(std::move(replica)), heartbeat_(heartbeat) {}

FleetRegistry::~FleetRegistry() { Stop(); }

void FleetRegistry::Start() { thread_ = std::thread([this] { Run(); }); }

void FleetRegistry::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FleetRegistry::Queue(const DataPlaneRow& row) {
  pending_[row.node_id] = row;
  wake_.notify_all();
}

void FleetRegistry::Connected(const std::string& node, uint64_t stream, int64_t revision,
                              const std::string& table_hash) {
  std::lock_guard lock(mu_);
  streams_[node] = stream;
  DataPlaneRow& row = known_[node];
  row = DataPlaneRow{node, replica_, revision, table_hash, {}, true, ""};
  Queue(row);
}

void FleetRegistry::Acked(const std::string& node, int64_t revision, const std::string& table_hash,
                          std::vector<std::string> isolated_providers) {
  std::lock_guard lock(mu_);
  DataPlaneRow& row = known_[node];
  row.node_id = node;
  row.replica = replica_;
  row.revision = revision;
  row.table_hash = table_hash;
  row.connected = true;
  row.last_error.clear();
  for (std::string& isolated : isolated_providers)
    isolated.resize(std::min<size_t>(isolated.size(), 1024));
  row.isolated_providers = std::move(isolated_providers);
  Queue(row);
}

void FleetRegistry::Nacked(const std::string& node, int64_t /*revision*/,
                           const std::string& error) {
  std::lock_guard lock(mu_);
  DataPlaneRow& row = known_[node];
  row.node_id = node;
  row.replica = replica_;
  row.connected = true;
  row.last_error = error.substr(0, 1024);
  Queue(row);
}

void FleetRegistry::Disconnected(const std::string& node, uint64_t stream) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(node);
  if (it == streams_.end() || it->second != stream) return;  // a newer stream took over
  streams_.erase(it);
  DataPlaneRow row = known_[node];
  known_.erase(node);
  row.connected = false;
  Queue(row);
}

void FleetRegistry::Run() {
  auto next_heartbeat = std::chrono::steady_clock::now() + heartbeat_;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_until(lock, next_heartbeat,
                     [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                       return stopping_ || !pending_.empty();
                     });
    std::map<std::string, DataPlaneRow> batch;
    batch.swap(pending_);
    const bool stopping = stopping_;
    lock.unlock();
    for (const auto& [node, row] : batch) {
      if (absl::Status status = store_->RecordDataPlane(row); !status.ok()) {
        common::LogWarning("cannot record data-plane status",
                           {{"node", node}, {"error", common::ToStd(status.message())}});
      }
    }
    if (std::chrono::steady_clock::now() >= next_heartbeat) {
      next_heartbeat = std::chrono::steady_clock::now() + heartbeat_;
      if (absl::Status status = store_->TouchConnected(replica_); !status.ok()) {
        common::LogWarning("cannot record data-plane heartbeat",
                           {{"error", common::ToStd(status.message())}});
      }
    }
    lock.lock();
    if (stopping && pending_.empty()) return;
  }
}

absl::StatusOr<v1::ListDataPlanesResponse> FleetRegistry::List() {
  absl::StatusOr<std::vector<DataPlaneRow>> rows = store_->ListDataPlanes();
  if (!rows.ok()) return rows.status();
  const std::shared_ptr<const FeedState> state = feed_->state();
  v1::ListDataPlanesResponse response;
  if (state != nullptr) {
    response.set_revision(state->revision);
    response.set_table_hash(state->table_hash);
  }
  const auto now = std::chrono::system_clock::now();
  for (const DataPlaneRow& row : *rows) {
    v1::DataPlaneStatus* status = response.add_data_planes();
    status->set_node_id(row.node_id);
    status->set_replica(row.replica);
    status->set_revision(row.revision);
    status->set_table_hash(row.table_hash);
    status->set_last_seen(Rfc3339(row.last_seen));
    status->set_last_error(row.last_error);
    for (const std::string& isolated : row.isolated_providers) {
      status->add_isolated_providers(isolated);
    }
    if (!row.connected || now - row.last_seen > 3 * heartbeat_) {
      status->set_state("disconnected");
    } else if (state != nullptr && row.revision == state->revision &&
               row.table_hash == state->table_hash) {
      status->set_state("in_sync");
    } else {
      status->set_state("stale");
    }
  }
  return response;
}

}  // namespace switchyard::cp
