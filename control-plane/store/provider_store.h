// ProviderStore: where provider configs live, and the one way they change.
//
// Every change goes through Write(), which runs the caller's decision inside the write
// transaction, after the store has allocated the next config revision (so writers are
// serialized and commit order equals revision order, DESIGN.md "Storage"). The decision sees
// the current row and returns the change to make, nothing (no-op, the transaction is rolled
// back and no revision is used), or an error (rolled back; nothing changes).
//
// Implementations are thread-safe. Errors: Unavailable when the database cannot be reached,
// Internal for anything unexpected, or whatever the decision returned.
#ifndef SWITCHYARD_CONTROL_PLANE_STORE_PROVIDER_STORE_H_
#define SWITCHYARD_CONTROL_PLANE_STORE_PROVIDER_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "switchyard/v1/provider.pb.h"

namespace switchyard::cp {

struct StoredProvider {
  switchyard::v1::ProviderConfig config;  // canonical, secrets in clear, config_hash set
  std::string source_hash;  // hash of the config.json entry that last wrote it, or ""
  int64_t revision = 0;     // revision of the provider's last change
};

struct ProviderChange {
  enum class Op { kUpsert, kDelete };
  Op op = Op::kUpsert;
  switchyard::v1::ProviderConfig config;  // kUpsert: canonical, config_hash set
  std::string source_hash;                // kUpsert: stored as given
  std::string actor;                      // who asked: "token-1", "jwt:<sub>", "config-file", ...
};

using WriteDecision = std::function<absl::StatusOr<std::optional<ProviderChange>>(
    const std::optional<StoredProvider>& current)>;

struct WriteResult {
  bool written = false;   // false: the decision chose no change
  int64_t revision = 0;   // the new revision, or the current row's when nothing was written
};

class ProviderStore {
 public:
  virtual ~ProviderStore() = default;

  virtual absl::StatusOr<std::optional<StoredProvider>> Get(std::string_view name) = 0;

  // Every provider, ordered by name.
  virtual absl::StatusOr<std::vector<StoredProvider>> List() = 0;

  virtual absl::StatusOr<WriteResult> Write(std::string_view name,
                                            const WriteDecision& decide) = 0;

  // Cheap round trip to the database, for health reporting.
  virtual absl::Status Ping() = 0;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_STORE_PROVIDER_STORE_H_
