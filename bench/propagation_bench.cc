// Propagation benchmark: time from an admin write to each data plane's ACK.
//
// Starts a throwaway PostgreSQL and a real control-plane process, then N watchers in this
// process. Each watcher is what a data plane runs on its config thread: a Watch stream of its
// own (its own gRPC channel and TCP connection) feeding the data plane's ConfigApplier, which
// builds and publishes the routing table, then an ACK. For each of W sequential admin PUTs
// (the next one once every watcher has acknowledged the last), latency = time the watcher
// sends its ACK - time the PUT was sent; that includes the PUT itself, so it is an upper
// bound on commit -> ACK.
//
// Reference, measured in the same run: a bare LISTEN connection's wake-up after the same
// writes (the PostgreSQL NOTIFY floor every design on this database pays).
//
//   propagation_bench <control-plane binary> <results.md> [writes]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>
#include <vector>

#include "bench/bench_report.h"
#include "data-plane/config/config_applier.h"
#include "data-plane/config/metrics.h"
#include "data-plane/table/table_slot.h"
#include "switchyard/v1/distribution.grpc.pb.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"

namespace {

using Clock = std::chrono::steady_clock;
using switchyard::testing::HttpCall;
constexpr char kAdminToken[] = "bench-admin";
constexpr char kDataPlaneToken[] = "bench-data-plane";

// revision -> when each watcher acknowledged it
struct AckLog {
  std::mutex mu;
  std::condition_variable changed;
  std::map<int64_t, std::vector<Clock::time_point>> acks;

  void Record(int64_t revision, Clock::time_point at) {
    {
      std::lock_guard lock(mu);
      acks[revision].push_back(at);
    }
    changed.notify_all();
  }
  bool WaitFor(int64_t revision, size_t count, std::chrono::seconds timeout) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, timeout, [&] { return acks[revision].size() >= count; });
  }
};

class Watcher {
 public:
  Watcher(const std::string& address, int index, AckLog* log)
      : applier_(&slot_, nullptr, &metrics_, switchyard::dp::KeyEnvironment::Process()), log_(log) {
    grpc::ChannelArguments args;
    // A connection per watcher, as separate data planes would have.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("switchyard.bench.watcher", index);
    channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    node_ = "bench-" + std::to_string(index);
    thread_ = std::thread([this] { Run(); });
  }
  ~Watcher() {
    context_.TryCancel();
    thread_.join();
  }

 private:
  void Run() {
    auto stub = switchyard::v1::ConfigDistribution::NewStub(channel_);
    context_.AddMetadata("authorization", std::string("Bearer ") + kDataPlaneToken);
    auto stream = stub->Watch(&context_);
    switchyard::v1::WatchRequest hello;
    hello.mutable_hello()->set_node_id(node_);
    if (!stream->Write(hello)) return;
    switchyard::v1::ConfigUpdate update;
    while (stream->Read(&update)) {
      auto table = applier_.Apply(update);
      switchyard::v1::WatchRequest ack;
      if (!table.ok()) {
        std::cerr << "watcher " << node_ << ": " << table.status() << "\n";
        continue;
      }
      ack.mutable_ack()->set_revision((*table)->revision());
      ack.mutable_ack()->set_table_hash((*table)->table_hash());
      log_->Record((*table)->revision(), Clock::now());
      if (!stream->Write(ack)) break;
    }
    stream->Finish();
  }

  switchyard::dp::TableSlot slot_;
  switchyard::dp::ConfigMetrics metrics_;
  switchyard::dp::ConfigApplier applier_;
  AckLog* log_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string node_;
  grpc::ClientContext context_;
  std::thread thread_;
};

// A bare LISTEN connection: the reference floor.
class Listener {
 public:
  explicit Listener(const std::string& dsn) : connection_(dsn) {
    receiver_ = std::make_unique<Receiver>(connection_, this);
    thread_ = std::thread([this] {
      while (!stop_) connection_.await_notification(0, 100000);
    });
  }
  ~Listener() {
    stop_ = true;
    thread_.join();
  }
  bool WaitFor(int64_t revision, std::chrono::seconds timeout, Clock::time_point* at) {
    std::unique_lock lock(mu_);
    if (!changed_.wait_for(lock, timeout, [&] { return seen_.count(revision) > 0; })) return false;
    *at = seen_[revision];
    return true;
  }

 private:
  class Receiver : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection& c, Listener* owner)
        : pqxx::notification_receiver(c, "switchyard_changes"), owner_(owner) {}
    void operator()(const std::string& payload, int) override {
      const auto now = Clock::now();
      {
        std::lock_guard lock(owner_->mu_);
        owner_->seen_[std::stoll(payload)] = now;
      }
      owner_->changed_.notify_all();
    }

   private:
    Listener* owner_;
  };

  pqxx::connection connection_;
  std::unique_ptr<Receiver> receiver_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<int64_t, Clock::time_point> seen_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Row {
  int watchers;
  int writes;
  double p50, p99, max, ref_p50, ref_p99;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: propagation_bench <control-plane binary> <results.md> [writes]\n";
    return 2;
  }
  const std::string binary = argv[1];
  const std::string results = argv[2];
  const int writes = argc > 3 ? std::stoi(argv[3]) : 200;
  setenv("OPENAI_API_KEY", "sk-bench", 1);  // the watchers resolve the key, as data planes would

  auto postgres = switchyard::testing::PostgresServer::Start();
  auto cp = switchyard::testing::Process::Start(
      binary,
      {"--postgres-dsn=" + postgres->dsn(), "--grpc-listen=127.0.0.1:0",
       "--http-listen=127.0.0.1:0"},
      {{"SWITCHYARD_ADMIN_TOKEN", kAdminToken}, {"SWITCHYARD_DATA_PLANE_TOKEN", kDataPlaneToken}});
  auto address_of = [&](const std::string& api) {
    const std::string line = cp.WaitForLine("msg=listening api=" + api);
    return line.substr(line.find("addr=") + 5);
  };
  const std::string grpc = address_of("grpc");
  const std::string rest = address_of("rest");
  if (grpc.empty() || rest.empty()) {
    std::cerr << "control plane did not start:\n" << cp.Log();
    return 1;
  }
  Listener listener(postgres->dsn());

  std::vector<Row> rows;
  int64_t revision = 0;
  auto put = [&](int i) {
    const std::string body = R"({"keys": [{"name": "k", "value": "env.OPENAI_API_KEY"}],)"
                             R"( "description": "write )" + std::to_string(i) + R"("})";
    auto result = HttpCall("PUT", rest, "/api/providers/openai", body,
                           {{"Authorization", std::string("Bearer ") + kAdminToken}});
    if (result.status != 200 && result.status != 201) {
      std::cerr << "PUT failed: " << result.status << " " << result.body << "\n";
      std::exit(1);
    }
    return std::stoll(result.Header("x-switchyard-revision"));
  };

  int sequence = 0;
  for (int n : {1, 10, 100}) {
    AckLog log;
    std::vector<std::unique_ptr<Watcher>> watchers;
    for (int i = 0; i < n; ++i) watchers.push_back(std::make_unique<Watcher>(grpc, i, &log));
    // Warm up: every watcher connected and holding the current table.
    revision = put(sequence++);
    if (!log.WaitFor(revision, n, std::chrono::seconds(30))) {
      std::cerr << "watchers did not converge\n";
      return 1;
    }
    std::vector<double> latencies, reference;
    for (int w = 0; w < writes; ++w) {
      const auto sent = Clock::now();
      revision = put(sequence++);
      if (!log.WaitFor(revision, n, std::chrono::seconds(30))) {
        std::cerr << "revision " << revision << " did not reach every watcher\n";
        return 1;
      }
      Clock::time_point notified;
      if (listener.WaitFor(revision, std::chrono::seconds(5), &notified)) {
        reference.push_back(std::chrono::duration<double, std::milli>(notified - sent).count());
      }
      std::lock_guard lock(log.mu);
      for (const auto at : log.acks[revision]) {
        latencies.push_back(std::chrono::duration<double, std::milli>(at - sent).count());
      }
    }
    rows.push_back({n, writes, switchyard::bench::Percentile(latencies, 0.50),
                    switchyard::bench::Percentile(latencies, 0.99),
                    *std::max_element(latencies.begin(), latencies.end()),
                    switchyard::bench::Percentile(reference, 0.50),
                    switchyard::bench::Percentile(reference, 0.99)});
    std::cerr << "N=" << n << " p50=" << rows.back().p50 << "ms p99=" << rows.back().p99
              << "ms max=" << rows.back().max << "ms\n";
  }

  std::ostringstream section;
  section << "<!-- propagation:begin -->\n"
          << "## Config propagation (`make bench-propagation`)\n\n"
          << "Date " << switchyard::bench::Today() << "; machine: " << switchyard::bench::Machine()
          << ".\n"
          << "Latency = watcher's ACK - admin PUT sent (an upper bound on commit -> ACK), over "
          << writes
          << " sequential writes per row; each watcher is a data plane's config path "
             "(own gRPC stream, ConfigApplier building the routing table, ACK). Reference: a "
             "bare PostgreSQL LISTEN connection's wake-up after the same PUT, same run.\n\n"
          << "| watchers N | p50 ms | p99 ms | max ms | reference p50 ms | reference p99 ms | "
             "p99 / reference p99 |\n|---|---|---|---|---|---|---|\n";
  section.setf(std::ios::fixed);
  section.precision(2);
  for (const Row& row : rows) {
    section << "| " << row.watchers << " | " << row.p50 << " | " << row.p99 << " | " << row.max
            << " | " << row.ref_p50 << " | " << row.ref_p99 << " | "
            << (row.ref_p99 > 0 ? row.p99 / row.ref_p99 : 0) << " |\n";
  }
  section << "\nTarget: p99 under 50 ms at N = 100 on loopback: "
          << (rows.back().p99 < 50 ? "met" : "NOT met") << ".\n<!-- propagation:end -->\n";

  switchyard::bench::WriteSection(results, "propagation", section.str());
  std::cout << section.str();
  return rows.back().p99 < 50 ? 0 : 3;
}
