// RedisCounter: the `redis` counting policy's client, one per worker on the worker's event
// loop (DESIGN.md "Governance": counters are not configuration).
//
// One connection, pipelined: an admission is at most one EVALSHA of a Lua script that checks
// every token window of the request's levels and takes units in every request window
// (giving back what it took when one is full), atomically, so any number of data planes
// sharing the Redis stay within each limit together. Units come as leases: a window with a
// large limit hands a worker up to 100 units at once (limit / 1000, at least 1), spent
// locally without Redis; a limit is never exceeded (leased units are counted in Redis), and
// units a worker leased but did not spend are lost to its window (a fleet may admit up to
// workers x planes x lease fewer than the limit). A token window seen under its limit in the
// last 20 ms is not read again. Token charges after an answer are
// gathered for 20 ms and sent as one script, fire-and-forget (no request waits on them; a
// token window may run over by what a fleet answers in those 20 ms). Windows are Redis keys
// "sy:{r|t}:<kind/id>:<window start>" that expire with their window.
//
// Replies are parsed with hiredis's reader; bytes move on Asio. A call that gets no reply
// within the timeout (Redis slow, down, or unreachable) returns Unavailable / DeadlineExceeded
// at once, and the caller fails open or closed as configured; after a failed connect, calls
// fail fast for 500 ms before the next attempt, so an outage never holds requests.
//
// Not thread-safe: one per worker, used only on its event loop.
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_REDIS_COUNTER_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_REDIS_COUNTER_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

struct redisReader;

namespace switchyard::dp {

struct RedisOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  int database = 0;
  std::chrono::milliseconds timeout{50};
};

// "redis://host[:port][/db]". InvalidArgument otherwise.
absl::StatusOr<RedisOptions> ParseRedisUrl(std::string_view url);

class RedisCounter {
 public:
  // One window to check (tokens) or count (requests) in an admission.
  struct Window {
    std::string key;      // "sy:r:virtual_key/vk-…:1700000000"
    int64_t max = 0;
    int64_t ttl_s = 0;    // the window's length: the key expires with it
    bool tokens = false;  // true: refuse when its count is at max (not counted here)
    // Request windows: how many units to take from Redis at once (a lease the worker then
    // spends locally). 1 makes every request a Redis call; larger leases are for large limits.
    int64_t lease = 1;
  };

  RedisCounter(boost::asio::any_io_executor executor, RedisOptions options);
  ~RedisCounter();

  // Admits the request into every window, atomically: -1 when admitted, else the index of
  // the first full window. Unavailable / DeadlineExceeded when Redis did not answer in time.
  boost::asio::awaitable<absl::StatusOr<int>> Admit(const std::vector<Window>& windows);

  // Adds `amount` to each window's count (token charges); not waited for. Charges of the
  // next 20 ms are gathered and sent together as one script.
  void Add(const std::vector<Window>& windows, int64_t amount);

  // Calls that failed (no connection, timeout, error reply) since start (metrics).
  int64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  struct Waiter;
  void Send(std::vector<std::string> command, std::shared_ptr<Waiter> waiter);
  boost::asio::awaitable<void> Connect();
  boost::asio::awaitable<void> Flush();
  boost::asio::awaitable<void> ReadReplies();
  boost::asio::awaitable<void> FlushCharges();
  void Fail(const std::string& why);

  boost::asio::any_io_executor executor_;
  const RedisOptions options_;
  boost::asio::ip::tcp::socket socket_;
  enum class State { kDisconnected, kConnecting, kConnected } state_ = State::kDisconnected;
  std::chrono::steady_clock::time_point retry_at_{};
  std::string outgoing_;
  bool flushing_ = false;
  std::deque<std::shared_ptr<Waiter>> pending_;  // one per command sent, in order
  redisReader* reader_ = nullptr;
  std::map<std::string, std::pair<int64_t, int64_t>> charges_;  // key -> (amount, ttl)
  // Leased request units not yet spent, and token windows' counts as last seen, by key.
  std::unordered_map<std::string, int64_t> leases_;
  std::unordered_map<std::string, std::pair<int64_t, std::chrono::steady_clock::time_point>>
      tokens_seen_;
  bool charges_pending_ = false;
  uint64_t generation_ = 0;  // bumped by every disconnect: stale coroutines stop
  std::atomic<int64_t> failures_{0};  // read by the admin listener's thread
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_REDIS_COUNTER_H_
