#include "data-plane/logs/log_shipper.h"

#include <grpcpp/grpcpp.h>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "data-plane/config/metrics.h"
#include "switchyard/v1/distribution.grpc.pb.h"

namespace switchyard::dp {

using Clock = std::chrono::steady_clock;

// One ShipLogs call: opened lazily, closed after a failed write or at Stop().
class LogShipper::Stream {
 public:
  Stream(const std::shared_ptr<grpc::Channel>& channel, const std::string& token)
      : stub_(v1::ConfigDistribution::NewStub(channel)) {
    if (!token.empty()) context_.AddMetadata("authorization", "Bearer " + token);
    writer_ = stub_->ShipLogs(&context_, &summary_);
  }
  bool Write(const v1::LogBatch& batch) { return writer_->Write(batch); }
  void Cancel() { context_.TryCancel(); }
  grpc::Status Close() {
    writer_->WritesDone();
    return writer_->Finish();
  }

 private:
  std::unique_ptr<v1::ConfigDistribution::Stub> stub_;
  grpc::ClientContext context_;
  v1::ShipLogsSummary summary_;
  std::unique_ptr<grpc::ClientWriter<v1::LogBatch>> writer_;
};

LogShipper::LogShipper(std::shared_ptr<grpc::Channel> channel, LogShipperOptions options)
    : channel_(std::move(channel)), options_(std::move(options)) {}

LogShipper::~LogShipper() { Stop(std::chrono::milliseconds(0)); }

void LogShipper::Start() {
  if (channel_ != nullptr) thread_ = std::thread([this] { Run(); });
}

std::unique_ptr<LogEntry> LogShipper::Push(std::unique_ptr<LogEntry> entry) {
  const int64_t bytes = entry->bytes();
  std::unique_ptr<LogEntry> spare;
  bool wake = false;
  bool queued = false;
  {
    std::lock_guard lock(mu_);
    if (channel_ == nullptr || stopping_ ||
        static_cast<int64_t>(queue_.size()) >= options_.max_records ||
        queued_bytes_ + bytes > options_.max_bytes) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      spare = std::move(entry);  // (reset below, outside the lock)
    } else {
      queue_.push_back(std::move(entry));
      queued_bytes_ += bytes;
      queued = true;
      // The shipper sleeps until a batch is full or its flush interval passes.
      wake = static_cast<int>(queue_.size()) == options_.max_batch;
      if (!spare_.empty()) {
        spare = std::move(spare_.back());
        spare_.pop_back();
      }
    }
  }
  if (wake) wake_.notify_one();
  if (spare != nullptr) spare->Reset();
  if (queued) queued_.fetch_add(1, std::memory_order_relaxed);
  return spare;
}

bool LogShipper::TakeBatch(Batch* batch) {
  {
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, options_.flush_interval, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || static_cast<int>(queue_.size()) >= options_.max_batch;
    });
    if (queue_.empty() && stopping_) return false;
    const size_t n = std::min<size_t>(queue_.size(), static_cast<size_t>(options_.max_batch));
    for (size_t i = 0; i < n; ++i) {
      queued_bytes_ -= queue_.front()->bytes();
      batch->entries.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  queued_.fetch_sub(static_cast<int64_t>(batch->entries.size()), std::memory_order_relaxed);
  for (std::unique_ptr<LogEntry>& entry : batch->entries) {
    std::string& wire = entry->record.wire();
    if (!entry->error_body.empty()) {
      v1::LogError error;
      ReadErrorBody(entry->error_body, &error);
      if (!error.type().empty() || !error.message().empty()) {
        LogRecord::AppendError(&wire, error.type(), error.message());
      }
    }
    batch->message.add_records()->swap(wire);  // (given back by Recycle())
  }
  return true;
}

void LogShipper::Recycle(Batch* batch) {
  constexpr size_t kLargestKept = 16 * 1024;  // bigger buffers (raw bodies) are freed
  for (size_t i = 0; i < batch->entries.size(); ++i) {
    std::string& wire = batch->entries[i]->record.wire();
    wire.swap(*batch->message.mutable_records(static_cast<int>(i)));
    if (wire.capacity() > kLargestKept) wire = std::string();
  }
  batch->message.Clear();  // (keeps its strings for the next batch)
  std::lock_guard lock(mu_);
  for (std::unique_ptr<LogEntry>& entry : batch->entries) {
    if (static_cast<int>(spare_.size()) >= 2 * options_.max_batch) break;
    spare_.push_back(std::move(entry));
  }
  batch->entries.clear();  // the rest (beyond the pool's bound) are freed here
}

void LogShipper::Run() {
  Batch batch;
  bool pending = false;  // `batch` holds records not yet written
  int64_t dropped_reported = 0;
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    if (!pending) {
      if (!TakeBatch(&batch)) break;
      const int64_t dropped = dropped_.load(std::memory_order_relaxed);
      if (batch.entries.empty() && dropped == dropped_reported) continue;
      batch.message.set_dropped(dropped - dropped_reported);
      dropped_reported = dropped;
      pending = true;
    }
    if (stream_ == nullptr) {
      auto stream = std::make_unique<Stream>(channel_, options_.token);
      std::lock_guard lock(mu_);
      stream_ = std::move(stream);
    }
    if (stream_->Write(batch.message)) {
      shipped_.fetch_add(static_cast<int64_t>(batch.entries.size()), std::memory_order_relaxed);
      Recycle(&batch);
      pending = false;
      backoff = std::chrono::milliseconds(100);
      continue;
    }
    // The control plane is gone (or refused the stream): keep the batch, reconnect later.
    stream_failures_.fetch_add(1, std::memory_order_relaxed);
    const grpc::Status status = stream_->Close();
    {
      std::lock_guard lock(mu_);
      stream_.reset();
    }
    if (stream_failures_.load() == 1 || status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      common::LogWarning("request logs cannot reach the control plane; queueing",
                         {{"error", status.error_message()}});
    }
    std::unique_lock lock(mu_);
    if (stopping_ && Clock::now() >= stop_deadline_) break;
    wake_.wait_for(lock, backoff, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ && Clock::now() >= stop_deadline_;
    });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
  // Stopped: what could not be sent in time is dropped (and counted).
  int64_t lost = pending ? static_cast<int64_t>(batch.entries.size()) : 0;
  std::unique_ptr<Stream> stream;
  {
    std::lock_guard lock(mu_);
    lost += static_cast<int64_t>(queue_.size());
    queue_.clear();
    queued_bytes_ = 0;
    stream = std::move(stream_);
  }
  dropped_.fetch_add(lost, std::memory_order_relaxed);
  queued_.store(0);
  if (stream != nullptr) stream->Close();
}

void LogShipper::Stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      // Already stopped (or stopping): only join below.
    } else {
      stopping_ = true;
      stop_deadline_ = Clock::now() + deadline;
    }
  }
  wake_.notify_all();
  if (!thread_.joinable()) return;
  // A write blocked on a control plane that stopped reading ends at the deadline.
  std::thread watchdog;
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  watchdog = std::thread([&] {
    std::unique_lock lock(done_mu);
    if (!done_cv.wait_for(lock, deadline + std::chrono::milliseconds(50), [&] { return done; })) {
      std::lock_guard stream_lock(mu_);
      if (stream_ != nullptr) stream_->Cancel();
    }
  });
  thread_.join();
  {
    std::lock_guard lock(done_mu);
    done = true;
  }
  done_cv.notify_all();
  watchdog.join();
}

std::string LogShipper::RenderMetrics() const {
  std::string out;
  AppendMetric(&out, "switchyard_log_records_dropped_total", "counter",
               "Request log records dropped: the queue was full (control plane unreachable or "
               "slow) or the data plane stopped before they left.",
               static_cast<double>(dropped()));
  AppendMetric(&out, "switchyard_log_records_shipped_total", "counter",
               "Request log records written to the control plane.",
               static_cast<double>(shipped()));
  AppendMetric(&out, "switchyard_log_records_queued", "gauge",
               "Request log records waiting to be shipped.", static_cast<double>(queued_.load()));
  AppendMetric(&out, "switchyard_log_stream_failures_total", "counter",
               "ShipLogs streams that failed.", static_cast<double>(stream_failures_.load()));
  return out;
}

void ReadErrorBody(std::string_view body, v1::LogError* error) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return;
  auto text = [](const nlohmann::json& object, const char* name) -> std::string {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto inner = json.find("error");
  if (inner != json.end() && inner->is_object()) {
    // Bifrost's and OpenAI's, Anthropic's ({"type":"error","error":{...}}), Google's.
    error->set_type(text(*inner, "type"));
    if (error->type().empty()) error->set_type(text(*inner, "status"));
    error->set_message(text(*inner, "message"));
    return;
  }
  if (inner != json.end() && inner->is_string()) {
    error->set_message(inner->get<std::string>());
    return;
  }
  error->set_type(text(json, "__type"));  // Bedrock's; Cohere's has a message only
  error->set_message(text(json, "message"));
}

}  // namespace switchyard::dp
