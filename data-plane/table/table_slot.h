// TableSlot: where the config thread publishes the live RoutingTable.
//
// Publish() swaps in a new table and tells every listener (each inference worker posts it to
// its own event loop, Envoy's thread-local-slot pattern); Current() serves the admin listener
// and start-up. Until the first Publish() there is no table (the data plane is not ready).
//
// Thread-safety: any thread. Listeners run on the publishing thread and must not block.
#ifndef SWITCHYARD_DATA_PLANE_TABLE_TABLE_SLOT_H_
#define SWITCHYARD_DATA_PLANE_TABLE_TABLE_SLOT_H_

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {

class TableSlot {
 public:
  using Listener = std::function<void(const std::shared_ptr<const RoutingTable>&)>;

  void Publish(std::shared_ptr<const RoutingTable> table) {
    current_.store(table, std::memory_order_release);
    std::lock_guard lock(mu_);
    for (const auto& [id, listener] : listeners_) listener(table);
  }
  std::shared_ptr<const RoutingTable> Current() const {
    return current_.load(std::memory_order_acquire);
  }
  // Called with the current table (if any) right away, then on every Publish(), until
  // Unlisten(id).
  int Listen(Listener listener) {
    std::lock_guard lock(mu_);
    if (auto table = Current()) listener(table);
    listeners_.emplace(++last_id_, std::move(listener));
    return last_id_;
  }
  void Unlisten(int id) {
    std::lock_guard lock(mu_);
    listeners_.erase(id);
  }

 private:
  std::atomic<std::shared_ptr<const RoutingTable>> current_;
  std::mutex mu_;
  std::map<int, Listener> listeners_ ABSL_GUARDED_BY(mu_);
  int last_id_ ABSL_GUARDED_BY(mu_) = 0;
};

// One worker's view of the live table. Only the worker's own thread touches it, so taking
// the table for a request is a plain counter increment: no lock, no shared atomic. A table
// replaced while requests still use it stays alive until the last of them finishes.
class WorkerTable {
 public:
  struct Handle {
    std::shared_ptr<const RoutingTable> table;
    int in_flight = 0;
  };

  class Lease {
   public:
    Lease(WorkerTable* owner, Handle* handle) : owner_(owner), handle_(handle) {
      if (handle_ != nullptr) ++handle_->in_flight;
    }
    Lease(Lease&& other) noexcept : owner_(other.owner_), handle_(other.handle_) {
      other.handle_ = nullptr;
    }
    Lease(const Lease&) = delete;
    ~Lease() {
      if (handle_ != nullptr && --handle_->in_flight == 0) owner_->Collect();
    }
    const RoutingTable* get() const { return handle_ ? handle_->table.get() : nullptr; }
    const RoutingTable* operator->() const { return get(); }
    explicit operator bool() const { return get() != nullptr; }

   private:
    WorkerTable* owner_;
    Handle* handle_;
  };

  void Set(std::shared_ptr<const RoutingTable> table) {
    handles_.push_back(Handle{std::move(table), 0});
    Collect();
  }
  Lease Acquire() { return Lease(this, handles_.empty() ? nullptr : &handles_.back()); }

 private:
  // Drops replaced tables no request holds any more.
  void Collect() {
    while (handles_.size() > 1 && handles_.front().in_flight == 0) handles_.pop_front();
  }
  std::deque<Handle> handles_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_TABLE_TABLE_SLOT_H_
