#include "control-plane/feed/log_ingest.h"

#include "common/log.h"
#include "common/strings.h"

namespace switchyard::cp {
namespace {

constexpr int64_t kFutureSlackUs = int64_t{3600} * 1000000;  // an hour of clock skew

// One ShipLogs call: read a batch, hand it over, read the next once it is written.
class ShipLogsReactor final : public grpc::ServerReadReactor<v1::LogBatch> {
 public:
  ShipLogsReactor(LogIngest* ingest, v1::ShipLogsSummary* summary, bool authorized)
      : ingest_(ingest), summary_(summary) {
    if (!authorized) {
      Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing or invalid data-plane token: send authorization: "
                          "Bearer <SWITCHYARD_DATA_PLANE_TOKEN>"));
      return;
    }
    StartRead(&batch_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the data plane closed its side, or the call was cancelled
      Finish(grpc::Status::OK);
      return;
    }
    summary_->set_received(summary_->received() + batch_.records_size());
    ingest_->Submit(&batch_, [this] {
      batch_.Clear();
      StartRead(&batch_);
    });
  }

  void OnDone() override { delete this; }

 private:
  LogIngest* const ingest_;
  v1::ShipLogsSummary* const summary_;  // the call's answer: records received
  v1::LogBatch batch_;
};

}  // namespace

LogIngest::LogIngest(LogStore* store, LogIngestOptions options)
    : store_(store), options_(options) {}

LogIngest::~LogIngest() { Stop(); }

void LogIngest::Start() { thread_ = std::thread([this] { Run(); }); }

void LogIngest::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (!thread_.joinable()) stopped_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (lost_.load() > 0) {
    common::LogWarning("request log records not stored at stop",
                       {{"records", std::to_string(lost_.load())}});
  }
}

grpc::ServerReadReactor<v1::LogBatch>* LogIngest::NewReactor(grpc::CallbackServerContext*,
                                                             v1::ShipLogsSummary* summary,
                                                             bool authorized) {
  return new ShipLogsReactor(this, summary, authorized);
}

void LogIngest::Submit(v1::LogBatch* batch, std::function<void()> written) {
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      pending_.push_back({batch, std::move(written)});
      written = nullptr;
    }
  }
  if (written) {
    lost_.fetch_add(batch->records_size());
    written();  // stopped: the stream goes on to its end, the batch is not stored
    return;
  }
  wake_.notify_one();
}

std::vector<v1::RequestLog> LogIngest::Parse(const std::vector<Pending>& taken,
                                             int64_t* reported_dropped) const {
  std::vector<v1::RequestLog> parsed;
  int64_t skipped = 0;
  // A data plane's clock may be off: a record from the future is stamped now (no partition
  // retention would never drop); one older than the retention is not stored at all.
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t oldest_us =
      now_us - std::chrono::duration_cast<std::chrono::microseconds>(options_.retention).count();
  for (const Pending& p : taken) {
    for (const std::string& bytes : p.batch->records()) {
      parsed.emplace_back();
      v1::RequestLog& record = parsed.back();
      if (!record.ParseFromString(bytes) || record.id().empty() ||
          record.timestamp_unix_us() < oldest_us) {
        parsed.pop_back();
        ++skipped;
        continue;
      }
      if (record.timestamp_unix_us() > now_us + kFutureSlackUs) record.set_timestamp_unix_us(now_us);
      // "00-<trace id>-<span id>-<flags>"
      if (record.trace_id().empty() && record.traceparent().size() >= 35) {
        record.set_trace_id(record.traceparent().substr(3, 32));
      }
    }
    *reported_dropped += p.batch->dropped();
  }
  if (skipped > 0) {
    common::LogWarning("request log records skipped (unreadable, without an id, or older than "
                       "the retention)",
                       {{"records", std::to_string(skipped)}});
  }
  return parsed;
}

LogIngest::Clock::time_point LogIngest::ApplyRetention() {
  absl::StatusOr<int> dropped =
      store_->DropLogsBefore(std::chrono::system_clock::now() - options_.retention);
  if (!dropped.ok()) {
    common::LogWarning("request log retention failed",
                       {{"error", common::ToStd(dropped.status().message())}});
    return Clock::now() + std::chrono::seconds(10);
  }
  if (*dropped > 0) {
    common::LogInfo("request log partitions dropped", {{"partitions", std::to_string(*dropped)}});
  }
  return Clock::now() + options_.retention_interval;
}

void LogIngest::Run() {
  auto next_retention = Clock::now();
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    if (Clock::now() >= next_retention) next_retention = ApplyRetention();
    std::vector<Pending> taken;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, next_retention, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !pending_.empty();
      });
      stopping = stopping_;
      size_t records = 0;
      while (!pending_.empty() && (taken.empty() || records < options_.max_records_per_append)) {
        records += static_cast<size_t>(pending_.front().batch->records_size());
        taken.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    if (taken.empty()) {
      if (!stopping) continue;
      std::lock_guard lock(mu_);
      if (!pending_.empty()) continue;  // (arrived meanwhile)
      stopped_ = true;
      return;
    }
    int64_t reported_dropped = 0;
    const std::vector<v1::RequestLog> parsed = Parse(taken, &reported_dropped);
    std::vector<const v1::RequestLog*> records;
    records.reserve(parsed.size());
    for (const v1::RequestLog& record : parsed) records.push_back(&record);
    const absl::Status appended = store_->AppendLogs(records);
    if (!appended.ok() && !stopping) {
      // Kept, in order, for the next attempt; their streams stay paused meanwhile.
      common::LogWarning("request logs cannot be stored; retrying",
                         {{"error", common::ToStd(appended.message())},
                          {"records", std::to_string(records.size())}});
      {
        std::lock_guard lock(mu_);
        for (auto it = taken.rbegin(); it != taken.rend(); ++it) pending_.push_front(std::move(*it));
      }
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, backoff, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    if (!appended.ok()) lost_.fetch_add(static_cast<int64_t>(records.size()));
    if (reported_dropped > 0) {
      common::LogWarning("data planes dropped request log records (their queues were full)",
                         {{"records", std::to_string(reported_dropped)}});
    }
    for (Pending& p : taken) p.written();
  }
}

}  // namespace switchyard::cp
