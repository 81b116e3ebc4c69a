// TableSlot: where the config thread publishes the live RoutingTable and readers take it.
//
// Publish() swaps in a new table; Current() returns the table a reader should use for a
// whole request. A reader holding a table keeps it alive while newer ones are published.
// Until the first Publish() there is no table (the data plane is not ready).
//
// Thread-safety: any thread. (The inference workers will take the table through per-worker
// thread-local slots fed from here, so their request path touches no shared atomic.)
#ifndef SWITCHYARD_DATA_PLANE_TABLE_TABLE_SLOT_H_
#define SWITCHYARD_DATA_PLANE_TABLE_TABLE_SLOT_H_

#include <atomic>
#include <memory>

#include "data-plane/table/routing_table.h"

namespace switchyard::dp {

class TableSlot {
 public:
  void Publish(std::shared_ptr<const RoutingTable> table) {
    current_.store(std::move(table), std::memory_order_release);
  }
  std::shared_ptr<const RoutingTable> Current() const {
    return current_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<std::shared_ptr<const RoutingTable>> current_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_TABLE_TABLE_SLOT_H_
