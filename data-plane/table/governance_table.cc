#include "data-plane/table/governance_table.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "absl/time/time.h"
#include "common/governance.h"
#include "common/strings.h"

namespace switchyard::dp {
namespace {

using common::StrCat;

std::optional<WindowLimit> Window(bool has, int64_t max, const std::string& reset) {
  if (!has) return std::nullopt;
  absl::StatusOr<std::chrono::seconds> length = common::ParseResetDuration(reset);
  if (!length.ok()) return std::nullopt;  // validated by the control plane
  return WindowLimit{max, length->count()};
}

// A level for `kind/id` with the object's limits; null when it has neither limit nor budget.
std::shared_ptr<const GovernanceLevel> MakeLevel(std::string kind, std::string id,
                                                 std::string name, const v1::RateLimit* limit,
                                                 const v1::Budget* budget,
                                                 UsageCounters* counters) {
  auto level = std::make_shared<GovernanceLevel>();
  if (limit != nullptr) {
    level->requests = Window(limit->has_request_max_limit(), limit->request_max_limit(),
                             limit->request_reset_duration());
    level->tokens = Window(limit->has_token_max_limit(), limit->token_max_limit(),
                           limit->token_reset_duration());
  }
  if (budget != nullptr) {
    level->has_budget = true;
    level->budget_max = budget->max_limit();
    level->budget_reset = budget->reset_duration();
    level->exhausted_until = budget->exhausted_until();
    absl::Time until;
    std::string error;
    if (!level->exhausted_until.empty() &&
        absl::ParseTime(absl::RFC3339_full, level->exhausted_until, &until, &error)) {
      level->exhausted_until_s = absl::ToUnixSeconds(until);
    }
  }
  if (!level->requests && !level->tokens && !level->has_budget) return nullptr;
  level->kind = std::move(kind);
  level->id = std::move(id);
  level->name = std::move(name);
  level->counters = counters->For(StrCat(level->kind, "/", level->id));
  return level;
}

bool Digest(const std::string& hex, common::Sha256Digest* out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    (*out)[i] = static_cast<uint8_t>(high * 16 + low);
  }
  return true;
}

}  // namespace

std::shared_ptr<LevelCounters> UsageCounters::For(const std::string& key) {
  std::lock_guard lock(mu_);
  std::shared_ptr<LevelCounters>& counters = levels_[key];
  if (counters == nullptr) counters = std::make_shared<LevelCounters>();
  return counters;
}

std::vector<std::pair<std::string, std::shared_ptr<LevelCounters>>> UsageCounters::All() const {
  std::lock_guard lock(mu_);
  return {levels_.begin(), levels_.end()};
}

void UsageCounters::Prune() {
  std::lock_guard lock(mu_);
  for (auto it = levels_.begin(); it != levels_.end();) {
    // Only the registry holds it, and it has nothing left to report.
    if (it->second.use_count() == 1 && it->second->unreported_spend_nanodollars.load() == 0 &&
        it->second->unreported_requests.load() == 0) {
      it = levels_.erase(it);
    } else {
      ++it;
    }
  }
}

bool ProviderGrant::Allows(std::string_view model) const {
  return models.empty() || std::binary_search(models.begin(), models.end(), model);
}

const ProviderGrant* CompiledKey::Grant(std::string_view provider) const {
  auto it = std::lower_bound(providers.begin(), providers.end(), provider,
                             [](const ProviderGrant& grant, std::string_view name) {
                               return grant.provider < name;
                             });
  return it != providers.end() && it->provider == provider ? &*it : nullptr;
}

size_t GovernanceTable::DigestHash::operator()(const common::Sha256Digest& digest) const {
  size_t value;
  std::memcpy(&value, digest.data(), sizeof(value));  // already uniformly distributed
  return value;
}

std::shared_ptr<const GovernanceTable> GovernanceTable::Build(Objects objects,
                                                              UsageCounters* counters) {
  auto table = std::shared_ptr<GovernanceTable>(new GovernanceTable());
  std::vector<std::pair<std::string, std::string>> lines;
  std::map<std::string, std::shared_ptr<const GovernanceLevel>> teams, customers;
  std::map<std::string, std::string> team_customer;
  for (const auto& [key, object] : objects) {
    lines.emplace_back(StrCat(key.first, "/", key.second), common::HashOf(object));
    if (object.has_customer()) {
      const v1::Customer& c = object.customer();
      customers[c.id()] = MakeLevel("customer", c.id(), c.name(),
                                    c.has_rate_limit() ? &c.rate_limit() : nullptr,
                                    c.has_budget() ? &c.budget() : nullptr, counters);
    }
    if (object.has_model_route()) {
      const v1::ModelRoute& r = object.model_route();
      CompiledRoute& route = table->routes_[r.alias()];
      route.alias = r.alias();
      route.target = StrCat(r.provider(), "/", r.model());
      if (r.has_request_timeout_seconds()) {
        route.request_timeout = std::chrono::seconds(r.request_timeout_seconds());
      }
      if (r.has_stream_idle_timeout_seconds()) {
        route.stream_idle_timeout = std::chrono::seconds(r.stream_idle_timeout_seconds());
      }
    }
    if (object.has_price()) {
      const v1::ModelPrice& p = object.price();
      table->prices_[p.id()] = {p.input_per_million(), p.output_per_million(),
                                p.has_cached_input_per_million() ? p.cached_input_per_million()
                                                                 : p.input_per_million()};
    }
  }
  // Failovers point at the compiled routes (the control plane keeps them existing).
  for (const auto& [key, object] : objects) {
    if (!object.has_model_route()) continue;
    CompiledRoute& route = table->routes_[object.model_route().alias()];
    for (const std::string& alias : object.model_route().failover_aliases()) {
      auto it = table->routes_.find(alias);
      if (it != table->routes_.end()) route.failovers.push_back(&it->second);
    }
  }
  for (const auto& [key, object] : objects) {
    if (!object.has_team()) continue;
    const v1::Team& t = object.team();
    teams[t.id()] = MakeLevel("team", t.id(), t.name(), t.has_rate_limit() ? &t.rate_limit() : nullptr,
                              t.has_budget() ? &t.budget() : nullptr, counters);
    team_customer[t.id()] = t.customer_id();
  }
  for (const auto& [key, object] : objects) {
    if (!object.has_virtual_key()) continue;
    const v1::VirtualKey& k = object.virtual_key();
    auto compiled = std::make_shared<CompiledKey>();
    if (!Digest(k.value_sha256(), &compiled->digest)) continue;
    compiled->id = k.id();
    compiled->name = k.name();
    compiled->active = !k.has_is_active() || k.is_active();
    compiled->counters = counters->For(StrCat("virtual_key/", k.id()));
    auto add_level = [&](std::shared_ptr<const GovernanceLevel> level) {
      if (level == nullptr) return;
      compiled->levels.push_back(std::move(level));
    };
    add_level(MakeLevel("virtual_key", k.id(), k.name(),
                        k.has_rate_limit() ? &k.rate_limit() : nullptr,
                        k.has_budget() ? &k.budget() : nullptr, counters));
    std::string customer = k.customer_id();
    if (!k.team_id().empty()) {
      if (auto team = teams.find(k.team_id()); team != teams.end()) add_level(team->second);
      customer = team_customer[k.team_id()];
    }
    if (!customer.empty()) {
      if (auto found = customers.find(customer); found != customers.end()) add_level(found->second);
    }
    for (const v1::VirtualKeyProviderConfig& config : k.provider_configs()) {
      ProviderGrant grant;
      grant.provider = config.provider();
      grant.models.assign(config.allowed_models().begin(), config.allowed_models().end());
      std::sort(grant.models.begin(), grant.models.end());
      grant.level = MakeLevel("virtual_key_provider", StrCat(k.id(), "/", config.provider()),
                              StrCat(k.name(), "/", config.provider()),
                              config.has_rate_limit() ? &config.rate_limit() : nullptr,
                              config.has_budget() ? &config.budget() : nullptr, counters);
      compiled->providers.push_back(std::move(grant));
    }
    std::sort(compiled->providers.begin(), compiled->providers.end(),
              [](const ProviderGrant& a, const ProviderGrant& b) { return a.provider < b.provider; });
    table->keys_[compiled->digest] = std::move(compiled);
  }
  table->hash_ = common::GovernanceTableHash(std::move(lines));
  table->objects_ = std::move(objects);
  return table;
}

const CompiledKey* GovernanceTable::FindKey(const common::Sha256Digest& digest) const {
  auto it = keys_.find(digest);
  if (it == keys_.end()) return nullptr;
  // The map compared the digests already; compare once more in constant time so that no
  // timing depends on where two digests differ.
  if (CRYPTO_memcmp(it->first.data(), digest.data(), digest.size()) != 0) return nullptr;
  return it->second.get();
}

const CompiledRoute* GovernanceTable::FindRoute(std::string_view alias) const {
  auto it = routes_.find(alias);
  return it == routes_.end() ? nullptr : &it->second;
}

const ModelPrice* GovernanceTable::FindPrice(std::string_view provider,
                                             std::string_view model) const {
  auto it = prices_.find(StrCat(provider, "/", model));
  return it == prices_.end() ? nullptr : &it->second;
}

}  // namespace switchyard::dp

