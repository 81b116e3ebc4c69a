#include "control-plane/feed/spend_ledger.h"

#include <chrono>

#include "common/log.h"
#include "common/strings.h"

namespace switchyard::cp {

SpendLedger::SpendLedger(GovernanceService* service, size_t max_queued)
    : service_(service), max_queued_(max_queued), thread_([this] { Run(); }) {}

SpendLedger::~SpendLedger() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SpendLedger::Submit(v1::UsageReport report) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queued_) {
      if (dropped_++ % 1000 == 0) {
        common::LogWarning("spend reports dropped: the database is behind",
                           {{"dropped", std::to_string(dropped_)}});
      }
      return;
    }
    queue_.push_back(std::move(report));
  }
  wake_.notify_one();
}

void SpendLedger::Run() {
  auto last_refresh = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, std::chrono::milliseconds(250),
                   [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                     return stopping_ || !queue_.empty();
                   });
    while (!queue_.empty()) {
      v1::UsageReport report = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      if (absl::Status status = service_->RecordSpend(report, std::chrono::system_clock::now());
          !status.ok()) {
        common::LogWarning("cannot record spend", {{"error", common::ToStd(status.message())}});
      }
      lock.lock();
    }
    if (stopping_) return;
    if (std::chrono::steady_clock::now() - last_refresh >= std::chrono::seconds(1)) {
      last_refresh = std::chrono::steady_clock::now();
      lock.unlock();
      if (absl::Status status = service_->Refresh(std::chrono::system_clock::now()); !status.ok()) {
        common::LogWarning("cannot refresh budgets", {{"error", common::ToStd(status.message())}});
      }
      lock.lock();
    }
  }
}

}  // namespace switchyard::cp
