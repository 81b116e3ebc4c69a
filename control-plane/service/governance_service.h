// GovernanceService: every rule of governance management (virtual keys, teams, customers,
// prices; seed 004's credentials and model routes, whose links are in config_links.h), with
// no transport types. A credential's secrets are redacted in every result. The REST (/api/governance/*) and gRPC (GovernanceAdmin)
// APIs are thin adapters over it.
//
// Rules: Create assigns the id ("vk-…", "team-…", "cust-…"; a price's is
// "<provider>/<model>") and, for a virtual key, a new value "sk-bf-…" that only the create
// result carries; the store keeps its SHA-256. Names are unique per kind (AlreadyExists).
// Update is a full replacement of an existing object (NotFound otherwise); it keeps the key's
// value. References must exist (team_id, customer_id: InvalidArgument naming the field), and
// an object still referenced cannot be deleted (Aborted, 409). An expected hash, when given,
// must equal the stored config_hash ("*": must exist). An update that changes nothing writes
// nothing.
//
// Budgets: RecordSpend() adds what a data plane reported to each budget's current period
// (persisted) and, when a budget's period total reaches its max_limit, marks the budget
// exhausted until the period ends: a config change that every data plane receives on the
// change stream. Refresh() clears exhausted marks whose period ended.
//
// Thread-safe: all state is in the store.
#ifndef SWITCHYARD_CONTROL_PLANE_SERVICE_GOVERNANCE_SERVICE_H_
#define SWITCHYARD_CONTROL_PLANE_SERVICE_GOVERNANCE_SERVICE_H_

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "control-plane/store/governance_store.h"
#include "switchyard/v1/admin.pb.h"
#include "switchyard/v1/distribution.pb.h"

namespace switchyard::cp {

struct ObjectResult {
  switchyard::v1::GovernanceObject object;  // canonical; a key's value only after Create
  int64_t revision = 0;
  switchyard::v1::ObjectUsage usage;
};

class GovernanceService {
 public:
  using Clock = std::chrono::system_clock;
  explicit GovernanceService(GovernanceStore* store) : store_(store) {}

  absl::StatusOr<ObjectResult> Create(switchyard::v1::GovernanceObject incoming,
                                      std::string_view actor = "");
  absl::StatusOr<ObjectResult> Get(std::string_view kind, std::string_view id);
  absl::StatusOr<std::vector<switchyard::v1::GovernanceObject>> List(std::string_view kind);
  absl::StatusOr<ObjectResult> Update(std::string_view kind, std::string_view id,
                                      switchyard::v1::GovernanceObject incoming,
                                      std::string_view expected_hash, std::string_view actor = "");
  absl::StatusOr<ObjectResult> Delete(std::string_view kind, std::string_view id,
                                      std::string_view expected_hash, std::string_view actor = "");

  // One data plane's usage report. Entries naming no budgeted object are ignored.
  absl::Status RecordSpend(const switchyard::v1::UsageReport& report, Clock::time_point now);
  // Clears exhausted marks whose period has ended (called about once a second).
  absl::Status Refresh(Clock::time_point now);

 private:
  // One object's write and what follows from it in the same revision (the providers that use
  // a credential).
  absl::StatusOr<WriteResult> WriteObject(std::string_view kind, std::string_view id,
                                          const GovernanceDecision& decide);
  // Marks (or clears) the exhausted state of one budget of an object; a no-op when it
  // already is so.
  absl::Status SetExhausted(std::string_view kind, std::string_view id,
                            std::string_view provider, const std::string& until);

  // Requests and tokens the data planes reported, per object and rate-limit window (kept in
  // memory by this replica: windows are short, and the counting policies hold the limits).
  struct WindowCounts {
    int64_t request_window = 0;  // start, seconds since the epoch
    int64_t requests = 0;
    int64_t token_window = 0;
    int64_t tokens = 0;
  };
  void CountWindows(const StoredObject& stored, const v1::UsageReport::Entry& entry,
                    Clock::time_point now);

  GovernanceStore* store_;
  std::mutex counts_mu_;
  std::map<std::pair<std::string, std::string>, WindowCounts> counts_;
};

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_SERVICE_GOVERNANCE_SERVICE_H_
