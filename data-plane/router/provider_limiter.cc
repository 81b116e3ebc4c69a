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

asio::awaitable<absl::Status> ProviderLimiter::Acquire(std::chrono::milliseconds wait) {
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mu_);
    if (in_flight_ < concurrency_) {
      ++in_flight_;
      co_return absl::OkStatus();
    }
    if (static_cast<int64_t>(waiters_.size()) >= buffer_size_) {
      co_return absl::ResourceExhaustedError("provider queue is full");
    }
    waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
    waiter->timer.expires_after(wait);
    waiters_.push_back(waiter);
  }
  co_await waiter->timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  std::lock_guard lock(mu_);
  if (waiter->granted) co_return absl::OkStatus();  // Release() handed us its slot
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), waiter));
  co_return absl::DeadlineExceededError("timed out waiting for a provider slot");
}

void ProviderLimiter::Release() {
  std::lock_guard lock(mu_);
  if (waiters_.empty()) {
    --in_flight_;
    return;
  }
  std::shared_ptr<Waiter> next = waiters_.front();
  waiters_.pop_front();
  next->granted = true;
  asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
}

int64_t ProviderLimiter::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

}  // namespace switchyard::dp
