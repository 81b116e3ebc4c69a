// ProviderService: every rule of provider management, with no transport types.
//
// The REST and gRPC admin APIs are thin adapters over this class; neither holds a rule the
// other lacks. Inputs are ProviderConfig messages as parsed from the wire; outputs are
// canonical configs with secrets redacted, ready to print.
//
// Rules (seeds 000-003): Create refuses an existing name (AlreadyExists). Update is a full
// replacement (omitted fields return to their defaults) and creates a missing name
// (created = true). An expected hash, when given, must equal the stored config_hash
// (FailedPrecondition otherwise; "*" means "must exist"). A redacted secret sent back keeps
// the stored one. An update that changes nothing writes nothing and uses no revision.
// A provider with a Barndoor profile keeps it when a Bifrost body omits it; one whose
// connection_id names a credential gets its keys from it (config_links.h).
//
// Thread-safe: all state is in the store.
#ifndef SWITCHYARD_CONTROL_PLANE_SERVICE_PROVIDER_SERVICE_H_
#define SWITCHYARD_CONTROL_PLANE_SERVICE_PROVIDER_SERVICE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/barndoor.h"
#include "control-plane/store/governance_store.h"
#include "control-plane/store/provider_store.h"
#include "switchyard/v1/provider.pb.h"

namespace switchyard::cp {

struct ProviderResult {
  switchyard::v1::ProviderConfig provider;  // canonical, secrets redacted
  int64_t revision = 0;
  bool created = false;
  // The upstream models the routes to this provider reach (Barndoor's answer shows them).
  std::vector<std::string> models;
};

// What config.json bootstrap did to one provider.
enum class BootstrapAction { kCreated, kReplaced, kUnchanged };

class ProviderService {
 public:
  // `config` (the same database) reads and writes the other kinds a provider links to:
  // credentials (connection_id) and model routes.
  ProviderService(ProviderStore* store, GovernanceStore* config) : store_(store), config_(config) {}

  // `actor` (who asks) is stored with the change.
  absl::StatusOr<ProviderResult> Create(switchyard::v1::ProviderConfig incoming,
                                        std::string_view actor = "");
  // `name` may also be a Barndoor id ("prv-…").
  absl::StatusOr<ProviderResult> Get(std::string_view name);
  // Every provider (secrets redacted) with the revision that last wrote it.
  absl::StatusOr<std::vector<ProviderResult>> List();

  // `incoming.name()` may be empty (it takes `name`) or must equal `name`.
  absl::StatusOr<ProviderResult> Update(std::string_view name,
                                        switchyard::v1::ProviderConfig incoming,
                                        std::string_view expected_hash,
                                        std::string_view actor = "");

  // Seed 004: creates (`name` empty) or fully replaces the provider a Barndoor body describes,
  // with one route per entry of `models` (those missing), in one revision.
  absl::StatusOr<ProviderResult> WriteBarndoor(const common::BarndoorProviderRequest& request,
                                               std::string_view name,
                                               std::string_view expected_hash,
                                               std::string_view actor = "");

  // Returns the deleted provider (redacted) and the revision of the delete; the routes that
  // reach it are deleted with it (Aborted while another route fails over to one of them).
  absl::StatusOr<ProviderResult> Delete(std::string_view name, std::string_view expected_hash,
                                        std::string_view actor = "");

  // Applies one config.json entry: created when missing, replaced when the entry differs
  // from the one the file last applied (source hash), otherwise left as the API left it.
  absl::StatusOr<BootstrapAction> ApplyBootstrapEntry(switchyard::v1::ProviderConfig entry);

  // Brings stored configs to this version's canonical form (e.g. a default added to the
  // schema changes the hash): each provider whose stored hash differs from its re-derived
  // one is rewritten as a new revision, so data planes of this version can verify it.
  // Returns how many were rewritten. Safe with several replicas starting at once.
  absl::StatusOr<int> UpgradeStoredConfigs();

  absl::Status CheckDatabase() { return store_->Ping(); }

 private:
  // The provider's name for a name or a Barndoor id.
  absl::StatusOr<std::string> NameOf(std::string_view name_or_id);
  absl::StatusOr<std::vector<std::string>> ModelsOf(std::string_view name);

  ProviderStore* store_;
  GovernanceStore* config_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_SERVICE_PROVIDER_SERVICE_H_
