// ProviderStore on PostgreSQL through libpqxx (the only place that includes it).
//
// Create() connects (retrying until `connect_timeout` passes, so a control plane may start
// before its database), runs the migrations (migrations.h) and returns a store backed by a
// small pool of connections. A connection that breaks is dropped and reopened on next use;
// the call that saw it break answers Unavailable.
//
// Tables (DESIGN.md "Storage"): providers, config_revision, provider_changes. A write bumps
// config_revision first (its row lock serializes writers), writes the provider row and the
// change-log row, and NOTIFYs `switchyard_changes` with the revision; PostgreSQL delivers the
// notification at commit.
#ifndef SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_POSTGRES_STORE_H_
#define SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_POSTGRES_STORE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/secret_box.h"
#include "control-plane/store/distribution_store.h"
#include "control-plane/store/governance_store.h"
#include "control-plane/store/provider_store.h"

namespace switchyard::cp {

struct PostgresStoreOptions {
  std::string dsn;
  int pool_size = 4;
  std::chrono::milliseconds connect_timeout{30000};  // start-up: how long to wait for it
  // Every call afterwards (connect, statement, waiting for a pooled connection) is bounded
  // by this: a hung or unreachable database answers Unavailable (503) within it.
  std::chrono::milliseconds operation_timeout{5000};
  // Seals every stored secret (common/redaction.h VisitStoredSecrets) with AES-256-GCM in
  // providers and provider_changes; null: secrets are stored in clear. Hashes are of the
  // plaintext, so they never change with sealing or key rotation.
  std::shared_ptr<const common::SecretBox> secrets;
};

class PostgresStore : public ProviderStore,
                      public ChangeLogStore,
                      public FleetStore,
                      public GovernanceStore {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Create(PostgresStoreOptions options);
  ~PostgresStore() override;

  // ProviderStore
  absl::StatusOr<std::optional<StoredProvider>> Get(std::string_view name) override;
  absl::StatusOr<std::vector<StoredProvider>> List() override;
  absl::StatusOr<WriteResult> Write(std::string_view name, const WriteDecision& decide) override;
  absl::Status Ping() override;

  // ChangeLogStore
  absl::StatusOr<ConfigSnapshot> LoadSnapshot() override;
  absl::StatusOr<ChangeBatch> ChangesAfter(int64_t revision, int limit) override;
  absl::Status PruneChangeLog(int64_t keep) override;

  // FleetStore
  absl::Status RecordDataPlane(const DataPlaneRow& row) override;
  absl::Status TouchConnected(const std::string& replica) override;
  absl::StatusOr<std::vector<DataPlaneRow>> ListDataPlanes() override;

  // GovernanceStore
  absl::StatusOr<std::optional<StoredObject>> GetObject(std::string_view kind,
                                                        std::string_view id) override;
  absl::StatusOr<std::vector<StoredObject>> ListObjects(std::string_view kind) override;
  absl::StatusOr<WriteResult> WriteConfig(const ConfigDecision& decide) override;
  absl::StatusOr<double> AddSpend(const BudgetSpend& spend) override;
  absl::StatusOr<double> GetSpend(std::string_view kind, std::string_view id,
                                  std::chrono::system_clock::time_point period_start) override;

  // Seals the secrets of every stored row still in clear (rows written before a key was
  // given); with `reseal`, also re-seals those sealed under another key than the first
  // (rotation). The number of rows rewritten. FailedPrecondition without a key.
  absl::StatusOr<int> SealStoredSecrets(bool reseal);

  // A LISTEN connection of its own for the change feed.
  std::unique_ptr<ChangeNotifier> NewNotifier() const;

  class Pool;

 private:
  PostgresStore(std::unique_ptr<Pool> pool, std::shared_ptr<const common::SecretBox> secrets);
  void ProbeHealth();  // the probe thread: pings every 500 ms

  std::unique_ptr<Pool> pool_;
  std::shared_ptr<const common::SecretBox> secrets_;
  std::atomic<int64_t> probe_started_ms_{0};  // steady clock; 0 when no probe runs
  std::mutex probe_mu_;
  std::condition_variable probe_wake_;
  bool probe_stopping_ ABSL_GUARDED_BY(probe_mu_) = false;
  std::thread probe_;  // last: starts once everything above exists
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_POSTGRES_STORE_H_
