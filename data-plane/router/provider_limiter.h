// ProviderLimiter: at most `concurrency` upstream calls in flight for a provider on this data
// plane, at most `buffer_size` more waiting for a slot; past that a request is dropped at
// once (ResourceExhausted -> 503 request_dropped). Waiters get slots in arrival order.
//
// One per provider per routing table (a new table gets fresh limits while in-flight
// requests drain on the old ones). Shared by every worker. Below the limit a slot is one
// atomic compare-and-swap; only waiting (and handing a slot to a waiter) takes the mutex. A
// waiter is woken on its own worker's executor.
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_PROVIDER_LIMITER_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_PROVIDER_LIMITER_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <atomic>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"

namespace switchyard::dp {

class ProviderLimiter {
 public:
  ProviderLimiter(int64_t concurrency, int64_t buffer_size)
      : concurrency_(concurrency), buffer_size_(buffer_size) {}

  // Takes a free slot without waiting; false when there is none (then Acquire()).
  bool TryAcquire() { return TakeFreeSlot(); }

  // OK once the caller holds a slot (it must Release() it), ResourceExhausted when the
  // buffer is full, DeadlineExceeded when no slot came within `wait`.
  boost::asio::awaitable<absl::Status> Acquire(std::chrono::milliseconds wait);
  void Release();

  int64_t in_flight() const;

  struct Waiter;

 private:
  bool TakeFreeSlot();
  void GrantLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int64_t concurrency_;
  const int64_t buffer_size_;
  std::atomic<int64_t> in_flight_{0};
  // Waiters registered or registering; raised before a waiter looks at in_flight_, so that a
  // releaser that lowers in_flight_ then reads this cannot miss it (both seq_cst).
  std::atomic<int64_t> waiting_{0};
  std::mutex mu_;
  std::deque<std::shared_ptr<Waiter>> waiters_ ABSL_GUARDED_BY(mu_);
};

// Holds a slot for the scope of one upstream call.
class LimiterSlot {
 public:
  LimiterSlot() = default;
  explicit LimiterSlot(std::shared_ptr<ProviderLimiter> limiter) : limiter_(std::move(limiter)) {}
  LimiterSlot(LimiterSlot&& other) noexcept = default;
  LimiterSlot& operator=(LimiterSlot&& other) noexcept {
    if (this != &other) {
      if (limiter_) limiter_->Release();
      limiter_ = std::move(other.limiter_);
    }
    return *this;
  }
  ~LimiterSlot() {
    if (limiter_) limiter_->Release();
  }

 private:
  std::shared_ptr<ProviderLimiter> limiter_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_PROVIDER_LIMITER_H_
