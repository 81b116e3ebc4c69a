#include "control-plane/feed/change_feed.h"

#include <algorithm>
#include <vector>

#include "common/governance.h"
#include "common/log.h"
#include "common/provider_config.h"
#include "common/strings.h"

namespace switchyard::cp {
namespace {

using common::StrCat;
using Clock = std::chrono::steady_clock;
constexpr int kBatchLimit = 1000;

void Finish(FeedState& state, int64_t depth) {
  // Forget deletes older than the depth: a data plane that far behind gets a snapshot.
  state.floor = std::max(state.floor, state.revision - depth);
  std::vector<std::pair<std::string, std::string>> lines;
  for (auto it = state.entries.begin(); it != state.entries.end();) {
    if (it->second.config == nullptr && it->second.revision <= state.floor) {
      it = state.entries.erase(it);
      continue;
    }
    if (it->second.config != nullptr) lines.emplace_back(it->first, it->second.config->config_hash());
    ++it;
  }
  std::vector<std::pair<std::string, std::string>> object_lines;
  for (auto it = state.objects.begin(); it != state.objects.end();) {
    if (it->second.object == nullptr && it->second.revision <= state.floor) {
      it = state.objects.erase(it);
      continue;
    }
    if (it->second.object != nullptr) {
      object_lines.emplace_back(StrCat(it->first.first, "/", it->first.second),
                                common::HashOf(*it->second.object));
    }
    ++it;
  }
  state.table_hash = common::CombineTableHash(common::TableHash(std::move(lines)),
                                              common::GovernanceTableHash(std::move(object_lines)));
}

// Credentials are not distributed: the providers that use one carry its key.
bool Distributed(std::string_view kind) { return kind != common::kCredentialKind; }

void Apply(FeedState& state, const ChangeRow& change) {
  if (!Distributed(change.kind)) {
    state.revision = change.revision;
    return;
  }
  if (!change.kind.empty()) {
    FeedState::ObjectEntry& entry = state.objects[{change.kind, change.provider}];
    entry.revision = change.revision;
    entry.object = change.governance
                       ? std::make_shared<const v1::GovernanceObject>(*change.governance)
                       : nullptr;
    state.revision = change.revision;
    return;
  }
  FeedState::Entry& entry = state.entries[change.provider];
  entry.revision = change.revision;
  entry.config = change.config
                     ? std::make_shared<const v1::ProviderConfig>(*change.config)
                     : nullptr;
  state.revision = change.revision;
}

}  // namespace

v1::ConfigUpdate FeedState::UpdateSince(int64_t last_revision) const {
  v1::ConfigUpdate update;
  update.set_revision(revision);
  update.set_table_hash(table_hash);
  if (last_revision == revision) return update;
  const bool snapshot = last_revision < 0 || last_revision < floor || last_revision > revision;
  update.set_snapshot(snapshot);
  for (const auto& [name, entry] : entries) {
    if (!snapshot && entry.revision <= last_revision) continue;
    if (entry.config != nullptr) {
      *update.add_upserts() = *entry.config;
    } else if (!snapshot) {
      update.add_deletes(name);
    }
  }
  for (const auto& [key, entry] : objects) {
    if (!snapshot && entry.revision <= last_revision) continue;
    if (entry.object != nullptr) {
      *update.add_governance_upserts() = *entry.object;
    } else if (!snapshot) {
      v1::GovernanceRef* ref = update.add_governance_deletes();
      ref->set_kind(key.first);
      ref->set_id(key.second);
    }
  }
  return update;
}

ChangeFeed::ChangeFeed(ChangeLogStore* store, std::unique_ptr<ChangeNotifier> notifier,
                       ChangeFeedOptions options)
    : store_(store), notifier_(std::move(notifier)), options_(options) {}

ChangeFeed::~ChangeFeed() { Stop(); }

absl::Status ChangeFeed::Start(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    absl::Status status = Reload();
    if (status.ok()) break;
    if (!absl::IsUnavailable(status) || Clock::now() >= deadline) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void ChangeFeed::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const FeedState> ChangeFeed::state() const {
  std::lock_guard lock(state_mu_);
  return state_;
}

void ChangeFeed::Subscribe(FeedSubscriber* subscriber) {
  std::lock_guard lock(subscribers_mu_);
  subscribers_.insert(subscriber);
}

void ChangeFeed::Unsubscribe(FeedSubscriber* subscriber) {
  std::lock_guard lock(subscribers_mu_);
  subscribers_.erase(subscriber);
}

void ChangeFeed::Publish(std::shared_ptr<const FeedState> state) {
  {
    std::lock_guard lock(state_mu_);
    state_ = std::move(state);
  }
  std::lock_guard lock(subscribers_mu_);
  for (FeedSubscriber* subscriber : subscribers_) subscriber->OnFeedAdvanced();
}

absl::Status ChangeFeed::Reload() {
  absl::StatusOr<ConfigSnapshot> snapshot = store_->LoadSnapshot();
  if (!snapshot.ok()) return snapshot.status();
  auto next = std::make_shared<FeedState>();
  next->revision = snapshot->revision;
  next->floor = snapshot->log_floor;
  for (const ChangeRow& deleted : snapshot->deletes) {
    if (!Distributed(deleted.kind)) continue;
    if (deleted.kind.empty()) {
      next->entries[deleted.provider] = {nullptr, deleted.revision};
    } else {
      next->objects[{deleted.kind, deleted.provider}] = {nullptr, deleted.revision};
    }
  }
  for (StoredObject& stored : snapshot->governance) {
    if (!Distributed(common::KindOf(stored.object))) continue;
    std::pair<std::string, std::string> key{std::string(common::KindOf(stored.object)),
                                            common::IdOf(stored.object)};
    // Times are the store's bookkeeping, not configuration: the stream carries none.
    common::SetTimes(stored.object, "", "");
    next->objects[std::move(key)] = {
        std::make_shared<const v1::GovernanceObject>(std::move(stored.object)), stored.revision};
  }
  for (StoredProvider& provider : snapshot->providers) {
    const std::string name = provider.config.name();
    next->entries[name] = {std::make_shared<const v1::ProviderConfig>(std::move(provider.config)),
                           provider.revision};
  }
  Finish(*next, options_.change_log_depth);
  common::LogInfo("change feed loaded a snapshot",
                  {{"revision", std::to_string(next->revision)},
                   {"table_hash", next->table_hash}});
  Publish(std::move(next));
  return absl::OkStatus();
}

absl::Status ChangeFeed::CatchUp() {
  for (;;) {
    const std::shared_ptr<const FeedState> current = state();
    absl::StatusOr<ChangeBatch> batch = store_->ChangesAfter(current->revision, kBatchLimit);
    if (!batch.ok()) return batch.status();
    if (batch->rows.empty()) {
      // Nothing new, unless the log lost rows we never saw (or the database went back).
      return batch->head == current->revision ? absl::OkStatus() : Reload();
    }
    auto next = std::make_shared<FeedState>(*current);
    for (size_t i = 0; i < batch->rows.size(); ++i) {
      const ChangeRow& change = batch->rows[i];
      // The next revision, or another row of the one just applied (never a gap: the log
      // was pruned past us).
      const bool same = i > 0 && change.revision == next->revision;
      if (!same && change.revision != next->revision + 1) return Reload();
      Apply(*next, change);
    }
    Finish(*next, options_.change_log_depth);
    Publish(std::move(next));
    if (batch->rows.size() < static_cast<size_t>(kBatchLimit)) return absl::OkStatus();
  }
}

void ChangeFeed::Run() {
  auto last_catch_up = Clock::now();
  auto last_prune = Clock::now();
  bool healthy = true;
  const auto slice = std::min(options_.catch_up_interval, std::chrono::milliseconds(250));
  while (!stopping_) {
    absl::StatusOr<bool> notified = notifier_->Wait(slice);
    if (!notified.ok()) {
      if (healthy) {
        common::LogWarning("change feed lost the database; serving the last state",
                           {{"error", common::ToStd(notified.status().message())}});
      }
      healthy = false;
      std::this_thread::sleep_for(slice);
      continue;
    }
    const auto now = Clock::now();
    if (*notified || now - last_catch_up >= options_.catch_up_interval) {
      last_catch_up = now;
      absl::Status status = CatchUp();
      if (!status.ok()) {
        if (healthy) {
          common::LogWarning("change feed cannot read the change log",
                             {{"error", common::ToStd(status.message())}});
        }
        healthy = false;
        continue;
      }
      if (!healthy) common::LogInfo("change feed reconnected to the database");
      healthy = true;
    }
    if (now - last_prune >= options_.prune_interval) {
      last_prune = now;
      if (absl::Status pruned = store_->PruneChangeLog(options_.change_log_depth); !pruned.ok()) {
        common::LogWarning("change log pruning failed",
                           {{"error", common::ToStd(pruned.message())}});
      }
    }
  }
}

}  // namespace switchyard::cp
