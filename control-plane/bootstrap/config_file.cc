#include "control-plane/bootstrap/config_file.h"

#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/provider_json.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace switchyard::cp {

absl::Status ApplyConfigFile(const std::string& path, ProviderService& service) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(common::StrCat("cannot read config file ", path));
  std::stringstream text;
  text << file.rdbuf();
  ASSIGN_OR_RETURN(std::vector<v1::ProviderConfig> entries,
                   common::ProvidersFromConfigFile(text.str()));
  for (v1::ProviderConfig& entry : entries) {
    const std::string name = entry.name();
    absl::StatusOr<BootstrapAction> action = service.ApplyBootstrapEntry(std::move(entry));
    if (!action.ok()) {
      return absl::Status(action.status().code(),
                          common::StrCat(path, ": providers.", name, ": ",
                                         action.status().message()));
    }
    const char* what = *action == BootstrapAction::kCreated    ? "created"
                       : *action == BootstrapAction::kReplaced ? "replaced"
                                                               : "unchanged";
    common::LogInfo("config file provider", {{"provider", name}, {"action", what}});
  }
  return absl::OkStatus();
}

}  // namespace switchyard::cp
