#include "data-plane/config/config_applier.h"

#include <chrono>

#include "common/governance.h"
#include "common/log.h"
#include "common/strings.h"

namespace switchyard::dp {

using common::StrCat;

absl::StatusOr<std::shared_ptr<const RoutingTable>> ConfigApplier::Apply(
    const v1::ConfigUpdate& update) {
  const std::shared_ptr<const RoutingTable> live = slot_->Current();
  const std::vector<v1::ProviderConfig> upserts(update.upserts().begin(), update.upserts().end());
  const bool from_scratch = update.snapshot() || live == nullptr;
  // Governance: rebuilt when an object changed, else shared with the live table.
  std::shared_ptr<const GovernanceTable> governance =
      from_scratch ? nullptr : live->shared_governance();
  if (from_scratch || update.governance_upserts_size() > 0 ||
      update.governance_deletes_size() > 0) {
    GovernanceTable::Objects objects;
    if (!from_scratch && governance != nullptr) objects = governance->objects();
    for (const v1::GovernanceRef& ref : update.governance_deletes()) {
      objects.erase({ref.kind(), ref.id()});
    }
    for (const v1::GovernanceObject& object : update.governance_upserts()) {
      objects[{std::string(common::KindOf(object)), common::IdOf(object)}] = object;
    }
    governance = objects.empty() ? nullptr : GovernanceTable::Build(std::move(objects), counters_);
    counters_->Prune();  // counters of objects no table names any more (nothing unreported)
  }
  std::shared_ptr<const RoutingTable> table;
  if (from_scratch) {
    table = RoutingTable::Build(update.revision(), upserts, env_, std::move(governance));
  } else {
    const std::vector<std::string> deletes(update.deletes().begin(), update.deletes().end());
    table = RoutingTable::Apply(*live, update.revision(), upserts, deletes, env_,
                                std::move(governance));
  }
  if (!update.table_hash().empty() && table->table_hash() != update.table_hash()) {
    ++metrics_->updates_rejected;
    return absl::FailedPreconditionError(
        StrCat("table hash ", table->table_hash(), " after applying revision ", update.revision(),
               " differs from the control plane's ", update.table_hash()));
  }
  const bool changed = live == nullptr || live->table_hash() != table->table_hash() ||
                       live->revision() != table->revision();
  if (update.snapshot()) ++metrics_->snapshots_applied;
  ++metrics_->updates_applied;
  if (changed) {
    // On disk before it is live and before the ACK (which follows our return).
    if (cache_ != nullptr) {
      if (absl::Status saved = cache_->Save(*table); !saved.ok()) {
        common::LogWarning("cannot write the last-good cache",
                           {{"error", common::ToStd(saved.message())}});
      }
    }
    Publish(table, /*from_cache=*/false);
  }
  return table;
}

absl::Status ConfigApplier::LoadCache() {
  if (cache_ == nullptr) return absl::NotFoundError("no cache directory");
  absl::StatusOr<std::shared_ptr<const RoutingTable>> table = cache_->Load(env_, counters_);
  if (!table.ok()) return table.status();
  Publish(*table, /*from_cache=*/true);
  return absl::OkStatus();
}

void ConfigApplier::Publish(std::shared_ptr<const RoutingTable> table, bool from_cache) {
  metrics_->applied_revision = table->revision();
  metrics_->providers = static_cast<int64_t>(table->providers().size());
  metrics_->keys_missing_env = table->missing_env_keys();
  metrics_->providers_isolated = table->broken_providers();
  metrics_->loaded_from_cache = from_cache ? 1 : 0;
  metrics_->last_update_unix_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  common::LogInfo(from_cache ? "routing table loaded from the disk cache"
                             : "routing table applied",
                  {{"revision", std::to_string(table->revision())},
                   {"table_hash", table->table_hash()},
                   {"providers", std::to_string(table->providers().size())}});
  // Warn about a missing variable or an isolated provider once, when it starts, not on every
  // update (an unchanged entry is the same object as before).
  const std::shared_ptr<const RoutingTable> previous = slot_->Current();
  // Both maps are sorted by name: walk them together (O(n) pointer compares, no lookups).
  auto before = previous != nullptr ? previous->providers().begin() : table->providers().end();
  const auto before_end =
      previous != nullptr ? previous->providers().end() : table->providers().end();
  for (const auto& [name, entry] : table->providers()) {
    while (before != before_end && before->first < name) ++before;
    if (before != before_end && before->first == name && before->second == entry) continue;
    if (entry->state == ProviderEntry::State::kBroken) {
      common::LogWarning("provider isolated: it does not compile on this data plane",
                         {{"provider", name}, {"reason", entry->unserved_reason}});
    }
    for (const ResolvedKey& key : entry->keys) {
      if (key.env_missing) {
        common::LogWarning(key.env_refused
                               ? "key disabled: this data plane may not read that variable"
                               : "key disabled: environment variable not set",
                           {{"provider", name}, {"key", key.name}, {"env_var", key.env_var}});
      }
    }
  }
  slot_->Publish(std::move(table));
}

}  // namespace switchyard::dp
