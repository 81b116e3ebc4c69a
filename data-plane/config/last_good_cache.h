// LastGoodCache: the last table that applied, on disk, so a data plane can start serving
// while the control plane is unreachable (--cache-dir).
//
// Save() writes <dir>/last-good.json atomically (temporary file, fsync, rename) with mode
// 0600, sealed with AES-256-GCM (common/secret_box.h, --cache-key-file): the configs hold
// literal secrets, which never rest on disk in clear. Load() opens and rebuilds the table
// through RoutingTable::Build, so a damaged, tampered or unsealed file is refused like any
// bad update. Without a key the data plane writes no cache (data-plane/main.cc).
//
// Used by the config thread only.
#ifndef SWITCHYARD_DATA_PLANE_CONFIG_LAST_GOOD_CACHE_H_
#define SWITCHYARD_DATA_PLANE_CONFIG_LAST_GOOD_CACHE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/secret_box.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {

class LastGoodCache {
 public:
  LastGoodCache(std::string dir, common::SecretBox box) : dir_(std::move(dir)), box_(std::move(box)) {}

  absl::Status Save(const RoutingTable& table);
  // NotFound when there is no cache yet.
  absl::StatusOr<std::shared_ptr<const RoutingTable>> Load(const KeyEnvironment& env,
                                                           UsageCounters* counters);

  std::string path() const { return dir_ + "/last-good.json"; }

 private:
  std::string dir_;
  common::SecretBox box_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_CONFIG_LAST_GOOD_CACHE_H_
