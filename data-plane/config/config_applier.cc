#include "data-plane/config/config_applier.h"

#include <chrono>

#include "common/log.h"
#include "common/strings.h"

namespace switchyard::dp {

using common::StrCat;

absl::StatusOr<std::shared_ptr<const RoutingTable>> ConfigApplier::Apply(
    const v1::ConfigUpdate& update) {
  const std::shared_ptr<const RoutingTable> live = slot_->Current();
  std::map<std::string, v1::ProviderConfig> configs;
  if (!update.snapshot() && live != nullptr) configs = live->Configs();
  for (const v1::ProviderConfig& config : update.upserts()) configs[config.name()] = config;
  for (const std::string& name : update.deletes()) configs.erase(name);

  absl::StatusOr<std::shared_ptr<const RoutingTable>> table =
      RoutingTable::Build(update.revision(), std::move(configs), env_);
  if (!table.ok()) {
    ++metrics_->updates_rejected;
    return table.status();
  }
  if (!update.table_hash().empty() && (*table)->table_hash() != update.table_hash()) {
    ++metrics_->updates_rejected;
    return absl::FailedPreconditionError(
        StrCat("table hash ", (*table)->table_hash(), " after applying revision ",
               update.revision(), " differs from the control plane's ", update.table_hash()));
  }
  const bool changed = live == nullptr || live->table_hash() != (*table)->table_hash() ||
                       live->revision() != (*table)->revision();
  if (update.snapshot()) ++metrics_->snapshots_applied;
  ++metrics_->updates_applied;
  if (changed) {
    Publish(*table, /*from_cache=*/false);
    if (cache_ != nullptr) {
      if (absl::Status saved = cache_->Save(**table); !saved.ok()) {
        common::LogWarning("cannot write the last-good cache",
                           {{"error", common::ToStd(saved.message())}});
      }
    }
  }
  return table;
}

absl::Status ConfigApplier::LoadCache() {
  if (cache_ == nullptr) return absl::NotFoundError("no cache directory");
  absl::StatusOr<std::shared_ptr<const RoutingTable>> table = cache_->Load(env_);
  if (!table.ok()) return table.status();
  Publish(*table, /*from_cache=*/true);
  return absl::OkStatus();
}

void ConfigApplier::Publish(std::shared_ptr<const RoutingTable> table, bool from_cache) {
  metrics_->applied_revision = table->revision();
  metrics_->providers = static_cast<int64_t>(table->providers().size());
  metrics_->keys_missing_env = table->missing_env_keys();
  metrics_->loaded_from_cache = from_cache ? 1 : 0;
  metrics_->last_update_unix_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  common::LogInfo(from_cache ? "routing table loaded from the disk cache"
                             : "routing table applied",
                  {{"revision", std::to_string(table->revision())},
                   {"table_hash", table->table_hash()},
                   {"providers", std::to_string(table->providers().size())}});
  // Warn about a missing variable once, when a key starts missing it, not on every update.
  const std::shared_ptr<const RoutingTable> previous = slot_->Current();
  auto was_missing = [&](const std::string& provider, const ResolvedKey& key) {
    const ProviderEntry* before = previous ? previous->Find(provider) : nullptr;
    if (before == nullptr) return false;
    for (const ResolvedKey& old_key : before->keys) {
      if (old_key.name == key.name) return old_key.env_missing && old_key.env_var == key.env_var;
    }
    return false;
  };
  for (const auto& [name, entry] : table->providers()) {
    for (const ResolvedKey& key : entry.keys) {
      if (key.env_missing && !was_missing(name, key)) {
        common::LogWarning("key disabled: environment variable not set",
                           {{"provider", name}, {"key", key.name}, {"env_var", key.env_var}});
      }
    }
  }
  slot_->Publish(std::move(table));
}

}  // namespace switchyard::dp
