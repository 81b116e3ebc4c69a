#include "common/provider_types.h"

#include <algorithm>

namespace switchyard::common {

bool IsStandardProvider(std::string_view name) {
  return std::find(kStandardProviders.begin(), kStandardProviders.end(), name) !=
         kStandardProviders.end();
}

bool IsRequestType(std::string_view name) {
  return std::find(kRequestTypes.begin(), kRequestTypes.end(), name) != kRequestTypes.end();
}

bool IsDeniedHeader(std::string_view lower_case_name) {
  return std::find(kHeaderDenylist.begin(), kHeaderDenylist.end(), lower_case_name) !=
         kHeaderDenylist.end();
}

bool RequiresBaseUrl(std::string_view base_type) {
  return base_type == "ollama" || base_type == "sgl";
}

}  // namespace switchyard::common
