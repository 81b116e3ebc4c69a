#include "data-plane/router/provider_limiter.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>

namespace switchyard::dp {

namespace asio = boost::asio;

struct ProviderLimiter::Waiter {
  explicit Waiter(asio::any_io_executor executor) : timer(executor) {}
  asio::steady_timer timer;
  bool granted = false;  // guarded by the limiter's mutex
};

bool ProviderLimiter::TakeFreeSlot() {
  int64_t current = in_flight_.load();
  while (current < concurrency_) {
    if (in_flight_.compare_exchange_weak(current, current + 1)) return true;
  }
  return false;
}

asio::awaitable<absl::Status> ProviderLimiter::Acquire(std::chrono::milliseconds wait) {
  if (TakeFreeSlot()) co_return absl::OkStatus();
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mu_);
    ++waiting_;
    if (TakeFreeSlot()) {
      --waiting_;
      co_return absl::OkStatus();
    }
    if (static_cast<int64_t>(waiters_.size()) >= buffer_size_) {
      --waiting_;
      co_return absl::ResourceExhaustedError("provider queue is full");
    }
    waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
    waiter->timer.expires_after(wait);
    waiters_.push_back(waiter);
  }
  co_await waiter->timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  std::lock_guard lock(mu_);
  if (waiter->granted) co_return absl::OkStatus();  // a releaser handed us its slot
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), waiter));
  --waiting_;
  co_return absl::DeadlineExceededError("timed out waiting for a provider slot");
}

// Hands the first waiter a slot: the releaser's own (in_flight_ unchanged).
void ProviderLimiter::GrantLocked() {
  std::shared_ptr<Waiter> next = waiters_.front();
  waiters_.pop_front();
  next->granted = true;
  --waiting_;
  asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
}

void ProviderLimiter::Release() {
  if (waiting_.load() == 0) {
    --in_flight_;
    if (waiting_.load() == 0) return;
    // A waiter registered meanwhile: if our slot is still free, it is theirs.
    std::lock_guard lock(mu_);
    if (!waiters_.empty() && TakeFreeSlot()) GrantLocked();
    return;
  }
  std::lock_guard lock(mu_);
  if (!waiters_.empty()) {
    GrantLocked();
    return;
  }
  --in_flight_;
}

int64_t ProviderLimiter::in_flight() const { return in_flight_.load(); }

}  // namespace switchyard::dp
