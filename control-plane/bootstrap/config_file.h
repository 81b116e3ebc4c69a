// Bootstrap from a Bifrost-style config.json (`--config`): applies its "providers" object at
// start-up through ProviderService::ApplyBootstrapEntry, so an entry changed in the file
// since it was last applied replaces the stored provider, while an unchanged entry keeps the
// edits made through the API since. Providers absent from the file are left alone.
#ifndef SWITCHYARD_CONTROL_PLANE_BOOTSTRAP_CONFIG_FILE_H_
#define SWITCHYARD_CONTROL_PLANE_BOOTSTRAP_CONFIG_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "control-plane/service/provider_service.h"

namespace switchyard::cp {

// An unreadable file or an invalid entry is an error naming the entry and field; entries
// before it have been applied (each is its own transaction).
absl::Status ApplyConfigFile(const std::string& path, ProviderService& service);

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_BOOTSTRAP_CONFIG_FILE_H_
