// The data plane's config-side metrics, rendered in Prometheus text format by /metrics.
// Plain atomics: written by the config thread, read by the admin listener.
#ifndef SWITCHYARD_DATA_PLANE_CONFIG_METRICS_H_
#define SWITCHYARD_DATA_PLANE_CONFIG_METRICS_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace switchyard::dp {

// One metric in Prometheus text format (HELP, TYPE and the sample) appended to `out`.
void AppendMetric(std::string* out, const char* name, const char* type, const char* help,
                  double value);

struct ConfigMetrics {
  std::atomic<int64_t> applied_revision{0};
  std::atomic<int64_t> updates_applied{0};
  std::atomic<int64_t> snapshots_applied{0};
  std::atomic<int64_t> updates_rejected{0};
  std::atomic<int64_t> connected{0};
  std::atomic<int64_t> reconnects{0};
  std::atomic<int64_t> keys_missing_env{0};
  std::atomic<int64_t> providers_isolated{0};
  std::atomic<int64_t> providers{0};
  std::atomic<double> last_update_unix_seconds{0};  // 0: never
  std::atomic<int64_t> loaded_from_cache{0};

  std::string Render() const;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_CONFIG_METRICS_H_
