// apply_bench: how long a data plane takes to apply one config change with 10,000 providers
// loaded (issue 8 h: a delta rebuilds only the changed providers). Measures the config
// thread's whole apply (ConfigApplier::Apply: delta table, hash check, publish) of a
// one-provider delta, against a full rebuild of the same table in the same run.
//
//   apply_bench RESULTS.md
#include <chrono>
#include <iostream>
#include <sstream>

#include "bench/bench_report.h"
#include "common/provider_config.h"
#include "data-plane/config/config_applier.h"
#include "data-plane/config/metrics.h"
#include "data-plane/table/table_slot.h"

namespace {

namespace dp = switchyard::dp;
namespace v1 = switchyard::v1;
using Clock = std::chrono::steady_clock;

constexpr int kProviders = 10000;
constexpr int kChanges = 200;

v1::ProviderConfig Provider(int i, int version) {
  v1::ProviderConfig config;
  config.set_name("p" + std::to_string(i));
  config.mutable_custom_provider_config()->set_base_provider_type("openai");
  config.set_description("v" + std::to_string(version));
  auto* key = config.add_keys();
  key->set_name("k");
  key->mutable_value()->set_value("sk-bench-" + std::to_string(i));
  return *switchyard::common::Canonicalize(config);
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: apply_bench RESULTS.md\n";
    return 2;
  }
  dp::TableSlot slot;
  dp::ConfigMetrics metrics;
  dp::ConfigApplier applier(&slot, nullptr, &metrics, dp::KeyEnvironment::Process());

  v1::ConfigUpdate snapshot;
  snapshot.set_snapshot(true);
  snapshot.set_revision(1);
  std::vector<std::pair<std::string, std::string>> lines;
  for (int i = 0; i < kProviders; ++i) {
    *snapshot.add_upserts() = Provider(i, 0);
    lines.emplace_back(snapshot.upserts(i).name(), snapshot.upserts(i).config_hash());
  }
  std::vector<double> full;
  for (int round = 0; round < 5; ++round) {
    const auto start = Clock::now();
    if (!applier.Apply(snapshot).ok()) return 1;
    full.push_back(Ms(Clock::now() - start));
  }

  std::vector<double> delta;
  for (int change = 0; change < kChanges; ++change) {
    const int i = (change * 37) % kProviders;
    v1::ConfigUpdate update;
    update.set_revision(2 + change);
    *update.add_upserts() = Provider(i, change + 1);
    lines[i].second = update.upserts(0).config_hash();
    update.set_table_hash(switchyard::common::TableHash(lines));  // as the control plane sends it
    const auto start = Clock::now();
    if (!applier.Apply(update).ok()) {
      std::cerr << "delta refused\n";
      return 1;
    }
    delta.push_back(Ms(Clock::now() - start));
  }
  const double p50 = switchyard::bench::Percentile(delta, 0.5);
  const double p99 = switchyard::bench::Percentile(delta, 0.99);
  const double full_p50 = switchyard::bench::Percentile(full, 0.5);

  std::ostringstream section;
  section.setf(std::ios::fixed);
  section.precision(3);
  section << "<!-- apply:begin -->\n"
          << "## Applying one change with 10,000 providers loaded (`make bench-apply`)\n\n"
          << "Date " << switchyard::bench::Today() << "; machine: " << switchyard::bench::Machine()
          << ".\nConfigApplier::Apply of a one-provider delta (compile the changed provider, "
             "share the other 9,999 entries, table hash, publish), "
          << kChanges
          << " changes; reference: the full rebuild of the same 10,000-provider "
             "table (a snapshot), same run.\n\n"
          << "| case | p50 ms | p99 ms |\n|---|---|---|\n"
          << "| one-provider delta | " << p50 << " | " << p99 << " |\n"
          << "| full rebuild (reference) | " << full_p50 << " | "
          << switchyard::bench::Percentile(full, 0.99) << " |\n\n"
          << "- delta / full rebuild: " << p50 / full_p50 << " x\n"
          << "- target: one change applied in <= 1 ms: " << (p50 <= 1.0 ? "met" : "NOT met")
          << " (p50)\n<!-- apply:end -->\n";
  switchyard::bench::WriteSection(argv[1], "apply", section.str());
  std::cout << section.str();
  return p50 <= 1.0 ? 0 : 3;
}
