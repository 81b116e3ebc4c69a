// ConfigApplier: turns ConfigUpdates into live routing tables, or refuses them.
//
// Apply() builds the next table from the live one (a delta: only the changed providers are
// compiled) or from nothing (a snapshot), checks it against the table hash the control plane
// expects, writes it to the last-good cache, then publishes it to the TableSlot and updates
// the metrics, so a data plane never restarts from older state than it acknowledged.
// A provider that does not compile is isolated inside the table (see RoutingTable); only a
// revision that cannot be applied at all (the hash differs: the base diverged) is refused,
// leaving the live table as it was and returning the error to NACK with.
//
// Used by the config thread only (the watch client, and start-up's cache load).
#ifndef SWITCHYARD_DATA_PLANE_CONFIG_CONFIG_APPLIER_H_
#define SWITCHYARD_DATA_PLANE_CONFIG_CONFIG_APPLIER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "data-plane/config/last_good_cache.h"
#include "data-plane/config/metrics.h"
#include "data-plane/table/table_slot.h"
#include "switchyard/v1/distribution.pb.h"

namespace switchyard::dp {

class ConfigApplier {
 public:
  // `cache` may be null (no --cache-dir).
  // `counters` (may be null: a registry of the applier's own) holds the governance levels'
  // counters across tables.
  ConfigApplier(TableSlot* slot, LastGoodCache* cache, ConfigMetrics* metrics, KeyEnvironment env,
                UsageCounters* counters = nullptr)
      : slot_(slot),
        cache_(cache),
        metrics_(metrics),
        env_(std::move(env)),
        counters_(counters != nullptr ? counters : &own_counters_) {}

  // FailedPrecondition when the built table's hash differs from the expected one (the data
  // plane's base diverged: resynchronize with a snapshot).
  absl::StatusOr<std::shared_ptr<const RoutingTable>> Apply(
      const switchyard::v1::ConfigUpdate& update);

  // Loads the disk cache, if any, and publishes it. NotFound when there is none.
  absl::Status LoadCache();

 private:
  void Publish(std::shared_ptr<const RoutingTable> table, bool from_cache);

  TableSlot* const slot_;
  LastGoodCache* const cache_;
  ConfigMetrics* const metrics_;
  const KeyEnvironment env_;
  UsageCounters own_counters_;
  UsageCounters* const counters_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_CONFIG_CONFIG_APPLIER_H_
