// What config distribution needs from the database: the change log (read, wait for, prune)
// and the fleet table. Implemented by store/postgres; the feed and fleet code in
// control-plane/feed/ see only these interfaces.
//
// Thread-safety: ChangeLogStore and FleetStore implementations are thread-safe. A
// ChangeNotifier is used by one thread (the feed's).
#ifndef SWITCHYARD_CONTROL_PLANE_STORE_DISTRIBUTION_STORE_H_
#define SWITCHYARD_CONTROL_PLANE_STORE_DISTRIBUTION_STORE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "control-plane/store/governance_store.h"
#include "control-plane/store/provider_store.h"
#include "switchyard/v1/provider.pb.h"

namespace switchyard::cp {

struct ChangeRow {
  int64_t revision = 0;
  // "" for a provider; a governance kind ("virtual_key", "team", ...) otherwise.
  std::string kind;
  std::string provider;  // the provider's name, or the governance object's id
  // The provider's config after the change; nullopt for a delete (and for governance).
  std::optional<switchyard::v1::ProviderConfig> config;
  // The governance object after the change; nullopt for a delete (and for providers).
  std::optional<switchyard::v1::GovernanceObject> governance;
};

// Every provider at one committed revision, and the deletes the change log still remembers.
struct ConfigSnapshot {
  int64_t revision = 0;
  std::vector<StoredProvider> providers;
  std::vector<StoredObject> governance;
  std::vector<ChangeRow> deletes;  // delete rows of the change log, by revision
  // Changes after this revision are all in the change log (its oldest row - 1).
  int64_t log_floor = 0;
};

struct ChangeBatch {
  std::vector<ChangeRow> rows;  // revisions after the asked one, ascending, at most `limit`
  int64_t head = 0;             // the latest committed revision, read with the rows
};

class ChangeLogStore {
 public:
  virtual ~ChangeLogStore() = default;
  virtual absl::StatusOr<ConfigSnapshot> LoadSnapshot() = 0;
  virtual absl::StatusOr<ChangeBatch> ChangesAfter(int64_t revision, int limit) = 0;
  // Deletes change-log rows older than the newest `keep`.
  virtual absl::Status PruneChangeLog(int64_t keep) = 0;
};

// LISTEN switchyard_changes on a connection of its own.
class ChangeNotifier {
 public:
  virtual ~ChangeNotifier() = default;
  // Waits up to `timeout` for a notification: true when one came, false on timeout;
  // Unavailable when the connection is lost (the next call reconnects).
  virtual absl::StatusOr<bool> Wait(std::chrono::milliseconds timeout) = 0;
};

struct DataPlaneRow {
  std::string node_id;
  std::string replica;
  int64_t revision = 0;
  std::string table_hash;
  std::chrono::system_clock::time_point last_seen;
  bool connected = false;
  std::string last_error;
  std::vector<std::string> isolated_providers;  // "name: reason", from the last ACK
};

class FleetStore {
 public:
  virtual ~FleetStore() = default;
  // Upserts the data plane's row. `error` empty clears last_error.
  virtual absl::Status RecordDataPlane(const DataPlaneRow& row) = 0;
  // Marks every data plane connected to `replica` as seen now.
  virtual absl::Status TouchConnected(const std::string& replica) = 0;
  virtual absl::StatusOr<std::vector<DataPlaneRow>> ListDataPlanes() = 0;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_STORE_DISTRIBUTION_STORE_H_
