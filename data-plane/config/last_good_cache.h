// LastGoodCache: the last table that applied, on disk, so a data plane can start serving
// while the control plane is unreachable (--cache-dir).
//
// Save() writes <dir>/last-good.json atomically (temporary file, fsync, rename) with mode
// 0600: the file holds the configs as distributed, literal secrets included, so no other
// user may read it. Load() rebuilds the table through RoutingTable::Build, so a damaged or
// tampered file is refused like any bad update.
//
// Used by the config thread only.
#ifndef SWITCHYARD_DATA_PLANE_CONFIG_LAST_GOOD_CACHE_H_
#define SWITCHYARD_DATA_PLANE_CONFIG_LAST_GOOD_CACHE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {

class LastGoodCache {
 public:
  explicit LastGoodCache(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Save(const RoutingTable& table);
  // NotFound when there is no cache yet.
  absl::StatusOr<std::shared_ptr<const RoutingTable>> Load(const KeyEnvironment& env);

  std::string path() const { return dir_ + "/last-good.json"; }

 private:
  std::string dir_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_CONFIG_LAST_GOOD_CACHE_H_
