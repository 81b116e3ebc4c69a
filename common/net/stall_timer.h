// StallTimer: notices an I/O that made no progress for `limit` without re-arming a timer per
// operation (Envoy's lazy idle timers). Operations only record timestamps; the one timer
// fires at most once per `limit` and, when the watched operation has been silent or pending
// for the whole limit, calls `on_stall` (which typically cancels the socket's operations).
//
//   StallTimer idle(executor, std::chrono::seconds(60), [&] { socket.cancel(); });
//   idle.Start();
//   for (;;) { co_await socket.async_read_some(...); idle.Touch(); }
//   if (idle.stalled()) ...  // the read ended because of the limit
//
// Two ways to use it: continuously watched (Start(), then Touch() on progress: a stream's
// idle gap), or per operation (Begin() before a write, End() after: only a pending write can
// stall). One executor; not thread-safe. Destroying it disarms it.
#ifndef SWITCHYARD_COMMON_NET_STALL_TIMER_H_
#define SWITCHYARD_COMMON_NET_STALL_TIMER_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace switchyard::common {

class StallTimer {
 public:
  using Clock = std::chrono::steady_clock;

  StallTimer(boost::asio::any_io_executor executor, std::chrono::milliseconds limit,
             std::function<void()> on_stall)
      : state_(std::make_shared<State>(std::move(executor), limit, std::move(on_stall))) {}
  ~StallTimer() {
    state_->done = true;
    state_->timer.cancel();
  }
  StallTimer(const StallTimer&) = delete;
  StallTimer& operator=(const StallTimer&) = delete;

  // Watches continuously from now on: silence longer than the limit stalls.
  void Start() {
    state_->busy = true;
    Touch();
  }
  // Progress: the silence restarts.
  void Touch() {
    state_->last = Clock::now();
    Arm();
  }
  // Per operation: only the span between Begin() and End() can stall.
  void Begin() {
    state_->busy = true;
    Touch();
  }
  void End() { state_->busy = false; }

  bool stalled() const { return state_->stalled; }

 private:
  struct State {
    State(boost::asio::any_io_executor executor, std::chrono::milliseconds limit,
          std::function<void()> on_stall)
        : timer(std::move(executor)), limit(limit), on_stall(std::move(on_stall)) {}
    boost::asio::steady_timer timer;
    const std::chrono::milliseconds limit;
    const std::function<void()> on_stall;
    Clock::time_point last{};
    bool busy = false;
    bool armed = false;
    bool stalled = false;
    bool done = false;
  };

  void Arm() {
    if (state_->armed) return;  // the pending wait will look at `last` when it fires
    state_->armed = true;
    Wait(state_, state_->last + state_->limit);
  }

  static void Wait(const std::shared_ptr<State>& state, Clock::time_point at) {
    state->timer.expires_at(at);
    state->timer.async_wait(
        [weak = std::weak_ptr<State>(state)](const boost::system::error_code& ec) {
          auto live = weak.lock();
          if (!live || live->done || ec) {
            if (live) live->armed = false;
            return;
          }
          if (!live->busy) {
            live->armed = false;  // nothing in progress: the next Begin()/Touch() re-arms
            return;
          }
          const Clock::time_point due = live->last + live->limit;
          if (Clock::now() >= due) {
            live->armed = false;
            live->stalled = true;
            live->on_stall();
            return;
          }
          Wait(live, due);  // progress since: wait for the rest of the limit
        });
  }

  std::shared_ptr<State> state_;
};

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_NET_STALL_TIMER_H_
