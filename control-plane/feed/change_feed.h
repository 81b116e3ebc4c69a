// ChangeFeed: the control plane's in-memory view of the committed config, kept current from
// the PostgreSQL change log, and the source of every Watch stream's updates.
//
// One feed thread: it loads a snapshot, then waits for a NOTIFY on switchyard_changes (a
// hint) or for the catch-up interval to pass (the safety net), and reads every change after
// the revision it holds, in revision order. A gap in the log (pruned rows) makes it reload a
// snapshot. So no committed change is missed, duplicated or reordered, whatever happens to
// notifications. While the database is unreachable it keeps its last state and retries.
//
// Each applied batch is published as an immutable FeedState; subscribers (watch streams) are
// told that the state advanced and read it themselves, so a slow stream never holds up the
// feed and catches up with one coalesced update.
//
// Thread-safety: state() and Subscribe()/Unsubscribe() from any thread. OnFeedAdvanced() is
// called on the feed thread with the subscriber lock held: it must not block nor call
// Subscribe()/Unsubscribe().
#ifndef SWITCHYARD_CONTROL_PLANE_FEED_CHANGE_FEED_H_
#define SWITCHYARD_CONTROL_PLANE_FEED_CHANGE_FEED_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "control-plane/store/distribution_store.h"
#include "switchyard/v1/distribution.pb.h"

namespace switchyard::cp {

// The committed config at one revision. Immutable once published.
struct FeedState {
  struct Entry {
    std::shared_ptr<const switchyard::v1::ProviderConfig> config;  // nullptr: deleted
    int64_t revision = 0;  // of the provider's last change
  };

  int64_t revision = 0;
  // Deltas can be computed for any last_revision >= floor: every change after it is known.
  int64_t floor = 0;
  std::string table_hash;
  std::map<std::string, Entry> entries;  // live providers and remembered deletes
  struct ObjectEntry {
    std::shared_ptr<const switchyard::v1::GovernanceObject> object;  // nullptr: deleted
    int64_t revision = 0;
  };
  // Governance objects by (kind, id), live and remembered deletes.
  std::map<std::pair<std::string, std::string>, ObjectEntry> objects;

  // What a data plane at `last_revision` needs: nothing new (same revision), the providers
  // changed since (coalesced, each at its latest state), or a full snapshot when
  // last_revision is below the floor, ahead of this state, or negative (asked for one).
  switchyard::v1::ConfigUpdate UpdateSince(int64_t last_revision) const;
};

class FeedSubscriber {
 public:
  virtual ~FeedSubscriber() = default;
  virtual void OnFeedAdvanced() = 0;
};

struct ChangeFeedOptions {
  std::chrono::milliseconds catch_up_interval{2000};
  int64_t change_log_depth = 10000;  // change-log rows kept; deletes remembered in memory
  std::chrono::milliseconds prune_interval{30000};
};

class ChangeFeed {
 public:
  ChangeFeed(ChangeLogStore* store, std::unique_ptr<ChangeNotifier> notifier,
             ChangeFeedOptions options);
  ~ChangeFeed();  // stops the thread

  // Loads the first snapshot (retrying while the database is unavailable, until `timeout`)
  // and starts the feed thread.
  absl::Status Start(std::chrono::milliseconds timeout);
  void Stop();

  std::shared_ptr<const FeedState> state() const;

  void Subscribe(FeedSubscriber* subscriber);
  void Unsubscribe(FeedSubscriber* subscriber);

 private:
  void Run();
  absl::Status CatchUp();
  absl::Status Reload();
  void Publish(std::shared_ptr<const FeedState> state);

  ChangeLogStore* const store_;
  const std::unique_ptr<ChangeNotifier> notifier_;
  const ChangeFeedOptions options_;

  mutable std::mutex state_mu_;
  std::shared_ptr<const FeedState> state_ ABSL_GUARDED_BY(state_mu_);

  std::mutex subscribers_mu_;
  std::set<FeedSubscriber*> subscribers_ ABSL_GUARDED_BY(subscribers_mu_);

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_FEED_CHANGE_FEED_H_
