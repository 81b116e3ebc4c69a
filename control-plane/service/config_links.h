// The links between kinds of configuration, checked and followed inside one write
// (GovernanceReader): providers that use a shared credential (seed 004's connection_id) and
// the model routes that reach a provider or fail over to one another.
//
//   - A provider with barndoor.connection_id holds one key made from the credential's secret
//     (and its base URL); when the credential changes, every such provider is rewritten in the
//     same revision (credentials themselves are never distributed).
//   - A route reaches an existing provider and a model one of its enabled keys serves; its
//     alias is free; its failovers exist and make no cycle.
//   - Nothing still linked is deleted: a credential a provider uses, a route another fails
//     over to (Aborted, 409, naming them).
#ifndef SWITCHYARD_CONTROL_PLANE_SERVICE_CONFIG_LINKS_H_
#define SWITCHYARD_CONTROL_PLANE_SERVICE_CONFIG_LINKS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "control-plane/store/governance_store.h"

namespace switchyard::cp {

// The provider's keys (and base URL) from the credential. InvalidArgument when the two name
// different model providers.
absl::Status UseCredential(const v1::Credential& credential, v1::ProviderConfig* provider);
// UseCredential with the credential the provider's connection_id names (none: nothing to do).
absl::Status LinkCredential(v1::ProviderConfig* provider, GovernanceReader& reader);

// Upserts, at the same revision, of every provider that uses `credential` (changed ones).
absl::Status FollowCredential(const v1::Credential& credential, std::string_view actor,
                              GovernanceReader& reader, ConfigChanges* changes);

// A route's links (InvalidArgument naming the field).
absl::Status CheckRoute(const v1::ModelRoute& route, GovernanceReader& reader);

// The routes whose target is `provider`.
absl::StatusOr<std::vector<v1::ModelRoute>> RoutesTo(std::string_view provider,
                                                     GovernanceReader& reader);

// Aborted when something still links to the object (kind, id); `also_deleted` are route ids
// deleted in the same write.
absl::Status CheckUnlinked(std::string_view kind, std::string_view id, GovernanceReader& reader,
                           const std::vector<std::string>& also_deleted = {});

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_SERVICE_CONFIG_LINKS_H_
