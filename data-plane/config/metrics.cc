#include "data-plane/config/metrics.h"

#include <chrono>
#include <cstdio>

#include "common/strings.h"

namespace switchyard::dp {

void AppendMetric(std::string* out, const char* name, const char* type, const char* help,
                  double value) {
  char number[64];
  std::snprintf(number, sizeof(number), "%.17g", value);
  common::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name,
                    " ", number, "\n");
}

std::string ConfigMetrics::Render() const {
  std::string out;
  AppendMetric(&out, "switchyard_config_applied_revision", "gauge",
               "Config revision of the live routing table.", applied_revision.load());
  AppendMetric(&out, "switchyard_config_updates_applied_total", "counter",
               "Config updates applied (deltas and snapshots).", updates_applied.load());
  AppendMetric(&out, "switchyard_config_snapshots_applied_total", "counter",
               "Full snapshots applied.", snapshots_applied.load());
  AppendMetric(&out, "switchyard_config_updates_rejected_total", "counter",
               "Config updates rejected (NACKed); the last good table stayed live.",
               updates_rejected.load());
  AppendMetric(&out, "switchyard_config_connected", "gauge",
               "1 while the watch stream to the control plane is up.", connected.load());
  AppendMetric(&out, "switchyard_config_reconnects_total", "counter",
               "Watch streams opened after the first.", reconnects.load());
  const double last = last_update_unix_seconds.load();
  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  AppendMetric(&out, "switchyard_config_seconds_since_last_update", "gauge",
               "Seconds since the live table last changed (-1: no table yet).",
               last == 0 ? -1 : now - last);
  AppendMetric(&out, "switchyard_config_providers", "gauge", "Providers in the live table.",
               providers.load());
  AppendMetric(&out, "switchyard_config_keys_missing_env", "gauge",
               "Keys disabled because their environment variable is not set (or may not be read) "
               "here.",
               keys_missing_env.load());
  AppendMetric(&out, "switchyard_config_providers_isolated", "gauge",
               "Providers that did not compile here and are answered with 503 (see /config).",
               providers_isolated.load());
  AppendMetric(&out, "switchyard_config_loaded_from_cache", "gauge",
               "1 when the live table came from the disk cache, not the control plane.",
               loaded_from_cache.load());
  return out;
}

}  // namespace switchyard::dp
