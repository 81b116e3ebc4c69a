#include "data-plane/router/request_metrics.h"

#include "common/strings.h"

namespace switchyard::dp {
namespace {

using common::StrAppend;

std::string StatusClass(int status) {
  if (status < 100 || status > 599) return "other";
  return std::string(1, static_cast<char>('0' + status / 100)) + "xx";
}

void RenderHistogram(std::string* out, std::string_view name, std::string_view help,
                     const Histogram& histogram) {
  StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " histogram\n");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += histogram.counts[i];
    StrAppend(out, name, "_bucket{le=\"", kLatencyBuckets[i], "\"} ", cumulative, "\n");
  }
  cumulative += histogram.counts.back();
  StrAppend(out, name, "_bucket{le=\"+Inf\"} ", cumulative, "\n");
  StrAppend(out, name, "_sum ", histogram.sum, "\n", name, "_count ", histogram.count, "\n");
}

}  // namespace

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  ++counts[i];
  sum += seconds;
  ++count;
}

void Histogram::Add(const Histogram& other) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  sum += other.sum;
  count += other.count;
}

void RequestCounters::Add(const RequestCounters& other) {
  for (const auto& [labels, count] : other.requests) requests[labels] += count;
  attempts += other.attempts;
  retries += other.retries;
  fallbacks += other.fallbacks;
  limiter_drops += other.limiter_drops;
  redis_failures += other.redis_failures;
  open_streams += other.open_streams;
  time_to_first_byte.Add(other.time_to_first_byte);
  duration.Add(other.duration);
}

std::string RequestCounters::Render() const {
  std::string out;
  StrAppend(&out, "# HELP switchyard_requests_total Inference requests answered.\n",
            "# TYPE switchyard_requests_total counter\n");
  for (const auto& [labels, count] : requests) {
    const auto& [provider, type, status_class] = labels;
    StrAppend(&out, "switchyard_requests_total{provider=\"", provider, "\",request_type=\"", type,
              "\",status_class=\"", status_class, "\"} ", count, "\n");
  }
  auto counter = [&](std::string_view name, std::string_view help, auto value,
                     std::string_view type = "counter") {
    StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, " ",
              value, "\n");
  };
  counter("switchyard_upstream_attempts_total", "Upstream calls made.", attempts);
  counter("switchyard_upstream_retries_total", "Upstream calls that were retries.", retries);
  counter("switchyard_fallbacks_total", "Fallback candidates tried.", fallbacks);
  counter("switchyard_limiter_drops_total",
          "Requests dropped at a provider's concurrency and buffer limits.", limiter_drops);
  counter("switchyard_redis_failures_total",
          "Rate-limit counting calls to Redis that failed or timed out (policy redis).",
          redis_failures);
  counter("switchyard_open_streams", "Streamed responses in progress.", open_streams, "gauge");
  RenderHistogram(&out, "switchyard_time_to_first_byte_seconds",
                  "Request received to response head sent.", time_to_first_byte);
  RenderHistogram(&out, "switchyard_request_duration_seconds",
                  "Request received to response complete.", duration);
  return out;
}

void RequestMetrics::Request(std::string_view provider, std::string_view request_type, int status) {
  std::lock_guard lock(mu_);
  ++counters_.requests[{std::string(provider), std::string(request_type), StatusClass(status)}];
}

void RequestMetrics::Attempt(bool retry) {
  std::lock_guard lock(mu_);
  ++counters_.attempts;
  if (retry) ++counters_.retries;
}

void RequestMetrics::Fallback() {
  std::lock_guard lock(mu_);
  ++counters_.fallbacks;
}

void RequestMetrics::LimiterDrop() {
  std::lock_guard lock(mu_);
  ++counters_.limiter_drops;
}

void RequestMetrics::StreamOpened() {
  std::lock_guard lock(mu_);
  ++counters_.open_streams;
}

void RequestMetrics::StreamClosed() {
  std::lock_guard lock(mu_);
  --counters_.open_streams;
}

void RequestMetrics::FirstByte(double seconds) {
  std::lock_guard lock(mu_);
  counters_.time_to_first_byte.Observe(seconds);
}

void RequestMetrics::Done(double seconds) {
  std::lock_guard lock(mu_);
  counters_.duration.Observe(seconds);
}

void RequestMetrics::AddTo(RequestCounters* total) const {
  std::lock_guard lock(mu_);
  total->Add(counters_);
}

}  // namespace switchyard::dp
