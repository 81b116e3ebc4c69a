// RequestMetrics: one worker's inference counters, summed over workers by the admin listener
// and rendered as Prometheus text on /metrics.
//
// Each worker owns one; only that worker writes it. The mutex is the worker's own, taken
// uncontended on the request path and by the scraper only while it copies: no state is
// shared between workers.
//
// Labels: provider (a configured provider's name, "unknown" otherwise, so that clients
// cannot create series), request type, status class ("2xx", "4xx", ...).
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_REQUEST_METRICS_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_REQUEST_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "absl/base/thread_annotations.h"

namespace switchyard::dp {

// Upper bounds (seconds) of the latency histograms' buckets; +Inf is implied.
inline constexpr std::array<double, 12> kLatencyBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,   0.25,   0.5,   1,    5,     30};

struct Histogram {
  std::array<uint64_t, kLatencyBuckets.size() + 1> counts{};
  double sum = 0;
  uint64_t count = 0;
  void Observe(double seconds);
  void Add(const Histogram& other);
};

struct RequestCounters {
  // (provider, request type, status class) -> requests answered
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> requests;
  uint64_t attempts = 0;       // upstream calls made
  uint64_t retries = 0;        // attempts after the first, per candidate
  uint64_t fallbacks = 0;      // candidates tried after the primary
  uint64_t limiter_drops = 0;  // requests dropped by concurrency/buffer limits
  uint64_t redis_failures = 0;  // governance counting calls Redis did not answer in time
  int64_t open_streams = 0;
  Histogram time_to_first_byte;  // request start -> response head sent
  Histogram duration;            // request start -> response complete

  void Add(const RequestCounters& other);
  // Prometheus text of these counters.
  std::string Render() const;
};

class RequestMetrics {
 public:
  void Request(std::string_view provider, std::string_view request_type, int status);
  void Attempt(bool retry);
  void Fallback();
  void LimiterDrop();
  void StreamOpened();
  void StreamClosed();
  void FirstByte(double seconds);
  void Done(double seconds);

  // Adds this worker's counters to `total` (called by the admin listener's thread).
  void AddTo(RequestCounters* total) const;

 private:
  mutable std::mutex mu_;
  RequestCounters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_REQUEST_METRICS_H_
