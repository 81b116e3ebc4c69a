#include "data-plane/config/watch_client.h"

#include <cmath>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "common/log.h"
#include "common/strings.h"
#include "switchyard/v1/distribution.grpc.pb.h"

namespace switchyard::dp {

namespace {

// What a usage report took from the counters, to give back when it could not be sent.
using TakenUsage = std::vector<std::pair<std::shared_ptr<LevelCounters>, v1::UsageReport::Entry>>;

// Every level's unreported spend and counts, taken (zeroed) into one report.
v1::WatchRequest TakeUsage(UsageCounters& usage, TakenUsage* taken) {
  v1::WatchRequest report;
  for (auto& [name, counters] : usage.All()) {
    v1::UsageReport::Entry entry;
    const int64_t nanodollars = counters->unreported_spend_nanodollars.exchange(0);
    entry.set_requests(counters->unreported_requests.exchange(0));
    entry.set_tokens(counters->unreported_tokens.exchange(0));
    entry.set_spend(static_cast<double>(nanodollars) / 1e9);
    if (nanodollars == 0 && entry.requests() == 0 && entry.tokens() == 0) continue;
    const size_t slash = name.find('/');  // "kind/id"
    entry.set_kind(name.substr(0, slash));
    entry.set_id(name.substr(slash + 1));
    *report.mutable_usage()->add_entries() = entry;
    taken->emplace_back(counters, std::move(entry));
  }
  return report;
}

void GiveBack(const TakenUsage& taken) {
  for (const auto& [counters, entry] : taken) {
    counters->unreported_spend_nanodollars.fetch_add(
        static_cast<int64_t>(std::llround(entry.spend() * 1e9)));
    counters->unreported_requests.fetch_add(entry.requests());
    counters->unreported_tokens.fetch_add(entry.tokens());
  }
}

}  // namespace


WatchClient::WatchClient(WatchClientOptions options, ConfigApplier* applier,
                         const TableSlot* slot, ConfigMetrics* metrics, UsageCounters* usage)
    : options_(std::move(options)),
      applier_(applier),
      slot_(slot),
      metrics_(metrics),
      usage_(usage),
      random_(std::random_device{}()) {
  grpc::ChannelArguments args;
  // Notice a control plane that vanished without closing the connection.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 256 * 1024 * 1024);
  // While the control plane is unreachable, only gRPC's reconnect backoff runs (it jitters
  // each attempt by +-20 %, so a restarted control plane is not hit by the fleet at once):
  // capped at 800 ms, a data plane is watching again within 1 s of it becoming reachable.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 800);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options_.ca_file.empty()) {
    const auto interval = static_cast<unsigned>(options_.tls_reload_interval.count());
    auto provider =
        options_.cert_file.empty()
            ? std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                  options_.ca_file, interval)
            : std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                  options_.key_file, options_.cert_file, options_.ca_file, interval);
    grpc::experimental::TlsChannelCredentialsOptions tls;
    tls.set_certificate_provider(provider);
    tls.watch_root_certs();
    if (!options_.cert_file.empty()) tls.watch_identity_key_cert_pairs();
    tls.set_verify_server_certs(true);
    credentials = grpc::experimental::TlsCredentials(tls);
  }
  channel_ = grpc::CreateCustomChannel(options_.control_plane, credentials, args);
}

WatchClient::~WatchClient() { Stop(); }

void WatchClient::Start() { thread_ = std::thread([this] { Run(); }); }

void WatchClient::Stop() {
  {
    // Spend and counts since the last report leave before the stream does.
    std::unique_lock lock(report_mu_);
    if (reporter_running_) {
      const uint64_t before = final_reports_;
      report_now_ = true;
      report_wake_.notify_all();
      report_wake_.wait_for(lock, std::chrono::seconds(1), [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(report_mu_) {
        return final_reports_ != before || !reporter_running_;
      });
    }
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool WatchClient::WaitUntilConnected() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
    }
    const grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return true;
    // Wakes on any state change; the short deadline keeps Stop() responsive.
    channel_->WaitForStateChange(state,
                                 std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  }
}

void WatchClient::Sleep(std::chrono::milliseconds duration) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, duration, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_;
  });
}

void WatchClient::Run() {
  auto backoff = options_.initial_backoff;
  bool first = true;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    // Not our backoff on top of gRPC's: wait for the channel itself to connect.
    if (!WaitUntilConnected()) return;
    if (!first) ++metrics_->reconnects;
    first = false;
    if (WatchOnce()) {
      backoff = options_.initial_backoff;
      continue;  // the stream ended after working: reconnect as soon as the channel can
    }
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    // The control plane answered but the stream failed (refused token, NACK resync, ...).
    // Jitter in [50 %, 100 %] of the backoff keeps a restarted control plane from being
    // hit by the whole fleet at once.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    Sleep(std::chrono::milliseconds(
        static_cast<int64_t>(static_cast<double>(backoff.count()) * jitter(random_))));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

bool WatchClient::WatchOnce() {
  auto stub = v1::ConfigDistribution::NewStub(channel_);
  grpc::ClientContext context;
  if (!options_.token.empty()) context.AddMetadata("authorization", "Bearer " + options_.token);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    context_ = &context;
  }
  auto stream = stub->Watch(&context);

  v1::WatchRequest hello;
  hello.mutable_hello()->set_node_id(options_.node_id);
  const std::shared_ptr<const RoutingTable> live = slot_->Current();
  if (live != nullptr && !want_snapshot_) {
    hello.mutable_hello()->set_last_revision(live->revision());
    hello.mutable_hello()->set_table_hash(live->table_hash());
  }
  want_snapshot_ = false;

  bool received = false;
  // Usage reports share the stream with ACKs: one write at a time.
  std::mutex write_mu;
  std::thread reporter;
  auto write = [&](const v1::WatchRequest& message) {
    std::lock_guard lock(write_mu);
    return stream->Write(message);
  };
  const bool hello_sent = stream->Write(hello);
  if (hello_sent && usage_ != nullptr) {
    {
      std::lock_guard lock(report_mu_);
      reporter_running_ = true;
      report_done_ = false;
    }
    reporter = std::thread([&] {
      std::unique_lock lock(report_mu_);
      while (!report_wake_.wait_for(lock, std::chrono::milliseconds(250),
                                    [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(report_mu_) {
                                      return report_done_ || report_now_;
                                    }) ||
             report_now_) {
        const bool final_report = report_now_;
        report_now_ = false;
        TakenUsage taken;
        const v1::WatchRequest report = TakeUsage(*usage_, &taken);
        if (taken.empty() || write(report)) {
          if (final_report) {
            ++final_reports_;
            report_wake_.notify_all();
          }
          continue;
        }
        GiveBack(taken);  // not sent: it goes with the next stream's first report
        break;
      }
      reporter_running_ = false;
      report_wake_.notify_all();
    });
  }
  struct StopReporter {
    WatchClient* client;
    std::thread& thread;
    ~StopReporter() {
      {
        std::lock_guard lock(client->report_mu_);
        client->report_done_ = true;
      }
      client->report_wake_.notify_all();
      if (thread.joinable()) thread.join();
    }
  };
  if (hello_sent) {
    v1::ConfigUpdate update;
    while (stream->Read(&update)) {
      if (!received) {
        metrics_->connected = 1;
        common::LogInfo("watching the control plane",
                        {{"control_plane", options_.control_plane}});
      }
      received = true;
      absl::StatusOr<std::shared_ptr<const RoutingTable>> applied = applier_->Apply(update);
      v1::WatchRequest answer;
      if (applied.ok()) {
        answer.mutable_ack()->set_revision((*applied)->revision());
        answer.mutable_ack()->set_table_hash((*applied)->table_hash());
        for (const auto& [name, entry] : (*applied)->providers()) {
          if (entry->state == ProviderEntry::State::kBroken) {
            answer.mutable_ack()->add_isolated_providers(entry->unserved_reason);
          }
        }
      } else {
        common::LogWarning("config update rejected; keeping the last good table",
                           {{"revision", std::to_string(update.revision())},
                            {"error", common::ToStd(applied.status().message())}});
        answer.mutable_nack()->set_revision(update.revision());
        answer.mutable_nack()->set_error(std::string(applied.status().message()));
      }
      if (!write(answer)) break;
      if (absl::IsFailedPrecondition(applied.status())) {
        want_snapshot_ = true;  // our base diverged: start over from a snapshot
        context.TryCancel();
        break;
      }
    }
  }
  {
    // The reporter stops before the stream finishes (Finish() then reports the real status).
    StopReporter stop{this, reporter};
  }
  const grpc::Status status = stream->Finish();
  {
    std::lock_guard lock(mu_);
    context_ = nullptr;
  }
  metrics_->connected = 0;
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    common::LogError("the control plane refused the data-plane token",
                     {{"error", status.error_message()}});
  } else if (received) {
    common::LogWarning("watch stream ended; serving the last good table",
                       {{"code", std::to_string(status.error_code())},
                        {"error", status.error_message()}});
  }
  return received;
}

}  // namespace switchyard::dp
