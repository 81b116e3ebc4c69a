// KeySelector: which API key a request uses. Among the provider's enabled keys whose models
// match (["*"] matches every model), one is chosen at random in proportion to its weight;
// a key of weight 0 is never chosen. Pure function of its inputs and the random source.
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_KEY_SELECTOR_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_KEY_SELECTOR_H_

#include <random>
#include <string_view>

#include "data-plane/table/routing_table.h"

namespace switchyard::dp {

// Whether `key`'s model filter lets it serve `model` (["*"] matches every model).
bool KeyServes(const ResolvedKey& key, std::string_view model);

// nullptr when no key can serve `model`.
const ResolvedKey* SelectKey(const ProviderEntry& provider, std::string_view model,
                             std::mt19937_64& random);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_KEY_SELECTOR_H_
