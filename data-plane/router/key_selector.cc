#include "data-plane/router/key_selector.h"

#include <algorithm>

namespace switchyard::dp {
bool KeyServes(const ResolvedKey& key, std::string_view model) {
  if (model.empty()) return true;  // a provider-wide request (files, batches)
  return std::any_of(key.models.begin(), key.models.end(),
                     [&](const std::string& m) { return m == "*" || m == model; });
}

const ResolvedKey* SelectKey(const ProviderEntry& provider, std::string_view model,
                             std::mt19937_64& random) {
  double total = 0;
  for (const ResolvedKey& key : provider.keys) {
    if (key.enabled && key.weight > 0 && KeyServes(key, model)) total += key.weight;
  }
  if (total <= 0) return nullptr;
  double point = std::uniform_real_distribution<double>(0, total)(random);
  const ResolvedKey* last = nullptr;
  for (const ResolvedKey& key : provider.keys) {
    if (!key.enabled || key.weight <= 0 || !KeyServes(key, model)) continue;
    last = &key;
    if (point < key.weight) return &key;
    point -= key.weight;
  }
  return last;  // rounding at the very end of the range
}

}  // namespace switchyard::dp
