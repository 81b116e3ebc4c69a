// The provider families this data plane serves: base provider type -> its adapter.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_REGISTRY_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_REGISTRY_H_

#include <string_view>

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// The adapter of a base provider type (seed 000's names); null when this data plane has none
// (the provider is then answered with 501).
const ProviderAdapter* AdapterFor(std::string_view base_type);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_REGISTRY_H_
