// SpendLedger: takes the usage reports data planes send on their Watch streams and records
// them against budgets (GovernanceService::RecordSpend) on a thread of its own, so a stream's
// reactor never waits on the database. About once a second it also lets the service clear
// exhausted marks whose budget period ended.
//
// The queue is bounded (reports beyond it are dropped and counted; a data plane's next
// report carries its own new spend only, so a dropped report is spend not counted, logged).
//
// Thread-safety: Submit() from any thread.
#ifndef SWITCHYARD_CONTROL_PLANE_FEED_SPEND_LEDGER_H_
#define SWITCHYARD_CONTROL_PLANE_FEED_SPEND_LEDGER_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "control-plane/service/governance_service.h"
#include "switchyard/v1/distribution.pb.h"

namespace switchyard::cp {

class SpendLedger {
 public:
  explicit SpendLedger(GovernanceService* service, size_t max_queued = 10000);
  ~SpendLedger();  // stops the thread after recording what is queued

  void Submit(switchyard::v1::UsageReport report);

 private:
  void Run();

  GovernanceService* const service_;
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<switchyard::v1::UsageReport> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_FEED_SPEND_LEDGER_H_
