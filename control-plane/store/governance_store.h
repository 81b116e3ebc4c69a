// GovernanceStore: where governance objects (virtual keys, teams, customers, prices) live,
// the one way they change, and the spend data planes report against budgets.
//
// Objects share the providers' revision counter and change log (DESIGN.md "Governance"):
// Write() allocates the next revision first, so writers of either kind are serialized and
// commit order is revision order. The decision sees the current row and a reader of the other
// objects inside the same transaction (to check references), and returns the change to make,
// nothing, or an error (rolled back; nothing changes).
//
// Thread-safe. Errors: Unavailable when the database cannot be reached, Internal for
// anything unexpected, AlreadyExists when a name is taken, or whatever the decision returned.
#ifndef SWITCHYARD_CONTROL_PLANE_STORE_GOVERNANCE_STORE_H_
#define SWITCHYARD_CONTROL_PLANE_STORE_GOVERNANCE_STORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "control-plane/store/provider_store.h"
#include "switchyard/v1/governance.pb.h"

namespace switchyard::cp {

struct StoredObject {
  switchyard::v1::GovernanceObject object;  // canonical, config_hash and times set
  int64_t revision = 0;
};

struct GovernanceChange {
  enum class Op { kUpsert, kDelete };
  Op op = Op::kUpsert;
  switchyard::v1::GovernanceObject object;  // kUpsert: canonical, config_hash set
  std::string actor;
};

// Reads the configuration (objects of every kind, providers) inside a write's transaction.
class GovernanceReader {
 public:
  virtual ~GovernanceReader() = default;
  virtual absl::StatusOr<std::vector<StoredObject>> List(std::string_view kind) = 0;
  virtual absl::StatusOr<std::optional<StoredObject>> Get(std::string_view kind,
                                                          std::string_view id) = 0;
  virtual absl::StatusOr<std::vector<StoredProvider>> ListProviders() = 0;
  virtual absl::StatusOr<std::optional<StoredProvider>> GetProvider(std::string_view name) = 0;
};

using GovernanceDecision = std::function<absl::StatusOr<std::optional<GovernanceChange>>(
    const std::optional<StoredObject>& current, GovernanceReader& reader)>;

// Several changes of any kinds made as one revision: a credential and the providers that use
// it, a provider and the routes its `models` make, a provider and the routes that reach it.
struct ConfigChanges {
  struct Provider {
    std::string name;
    ProviderChange change;
  };
  struct Object {
    std::string kind;
    std::string id;
    GovernanceChange change;
  };
  std::vector<Provider> providers;
  std::vector<Object> objects;
  bool empty() const { return providers.empty() && objects.empty(); }
};

// Returns the changes to make (none: nothing is written and no revision is used) or an error.
using ConfigDecision = std::function<absl::StatusOr<ConfigChanges>(GovernanceReader& reader)>;

// Spend of one budget in its current period, as summed from the data planes' reports.
struct BudgetSpend {
  std::string kind;  // "virtual_key", "team", "customer", "virtual_key_provider"
  std::string id;
  std::chrono::system_clock::time_point period_start;
  double spend = 0;
};

class GovernanceStore {
 public:
  virtual ~GovernanceStore() = default;

  virtual absl::StatusOr<std::optional<StoredObject>> GetObject(std::string_view kind,
                                                                std::string_view id) = 0;
  // Every object of a kind, by name.
  virtual absl::StatusOr<std::vector<StoredObject>> ListObjects(std::string_view kind) = 0;
  // Every change the decision returns, at one new revision (revision 0 when none).
  virtual absl::StatusOr<WriteResult> WriteConfig(const ConfigDecision& decide) = 0;

  // Adds `spend` to the budget's period that starts at `period_start` (a newer period starts
  // from zero; reports of an older one are dropped) and returns the period's total.
  virtual absl::StatusOr<double> AddSpend(const BudgetSpend& spend) = 0;
  // The budget's spend in the period starting at `period_start` (0 when none reported).
  virtual absl::StatusOr<double> GetSpend(std::string_view kind, std::string_view id,
                                          std::chrono::system_clock::time_point period_start) = 0;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_STORE_GOVERNANCE_STORE_H_
