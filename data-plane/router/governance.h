// Governance on the request path: who may call (virtual keys), what they may use, and how
// much (rate limits per window, budgets), checked against the table's GovernanceTable.
//
//   Authenticate()  the presented value -> the key, before any body is parsed: 401 when
//                   required and missing, unknown, or inactive
//   AdmitRequest()  the key's, team's and customer's request windows and budgets: 429 with
//                   Retry-After, or 402 (budget exhausted, naming it and when it resets)
//   AdmitProvider() per candidate (fallbacks included): the key's provider_configs allow the
//                   provider and model (else 403), and that provider's own limits
//   Charge()        after the answer: tokens into the token windows, tokens and cost into
//                   what the next usage report carries to the control plane
//
// Counting policy "local": every data plane counts alone, lock-free (one atomic add per
// window); a fleet of N data planes may together exceed a limit up to N times.
//
// Stateless functions over shared atomics: any worker thread.
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_GOVERNANCE_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_GOVERNANCE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/errors.h"
#include "data-plane/router/redis_counter.h"
#include "data-plane/table/governance_table.h"

namespace switchyard::dp {

// The credential a client presented, in the order Bifrost reads them: x-bf-vk,
// Authorization: Bearer, x-api-key (Anthropic's SDK), x-goog-api-key or ?key= (Google's),
// api-key (Azure's). `marked`: it came from x-bf-vk or starts with "sk-bf-" (a virtual key
// for certain, not an SDK's placeholder).
struct PresentedKey {
  std::string_view value;
  bool marked = false;
};
PresentedKey FindPresentedKey(const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view query);

// Requests refused for a missing or unknown key since start (metrics).
int64_t AuthenticationFailures();

// Prometheus lines for every key of `table` (by name, never value) and the failures above.
std::string RenderGovernanceMetrics(const GovernanceTable* table);

// Whether a header name carries a client credential (kept at the door for Authenticate(),
// never forwarded).
bool IsCredentialHeader(std::string_view lower_case_name);

// A refusal: the error (for a rate limit or a budget, with the seconds until it resets as
// retry_after_s, sent as Retry-After).
struct Refusal {
  common::ApiError error;
};

// The key a request is made with; null when the request is not governed (governance not
// required and no virtual key presented). A refusal when it may not pass.
struct Authentication {
  const CompiledKey* key = nullptr;
  std::optional<Refusal> refusal;
};
Authentication Authenticate(const GovernanceTable* table, PresentedKey presented, bool required);

// The wall clock in whole seconds: what every window and budget below is measured in.
inline int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Counts the request in the key's levels' request windows (undone if one refuses).
std::optional<Refusal> AdmitRequest(const CompiledKey& key, int64_t now_s);

// Whether the key may use provider/model, and that provider's own limits. On success
// `*level` is the provider level to charge (may be null).
std::optional<Refusal> AdmitProvider(const CompiledKey& key, std::string_view provider,
                                     std::string_view model, int64_t now_s,
                                     const GovernanceLevel** level);

// Token counts read from an answer (any surface's usage fields; the largest value of each).
struct TokenUsage {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cached = 0;
  int64_t total() const { return input + output; }
};

// Scans answer bytes for usage fields as they pass (pieces of a stream included).
class UsageScanner {
 public:
  void Feed(std::string_view data);
  const TokenUsage& usage() const { return usage_; }

 private:
  static constexpr size_t kTail = 40;  // longer than any field name, its colon and a number
  void Scan(std::string_view text);
  // The end of the previous piece, where a field may have been cut.
  char tail_[kTail];
  size_t tail_length_ = 0;
  TokenUsage usage_;
};

// Dollars of `usage` at `price` (cached input at its own price).
double Cost(const ModelPrice& price, const TokenUsage& usage);

// After the answer: `usage` into every level's token window and unreported counts, and its
// cost at `price` (may be null: tokens only) into the levels' unreported spend.
void Charge(const CompiledKey& key, const GovernanceLevel* provider_level, const TokenUsage& usage,
            const ModelPrice* price, int64_t now_s);

// The counting policy of one worker: `local` (the functions above) or `redis` (a
// RedisCounter: the same windows, counted in Redis by every data plane together). Budgets
// (exhausted marks from the control plane) are checked here in both. When Redis does not
// answer in time, requests pass (fail open) or are refused with 503 (fail closed).
class GovernanceCounting {
 public:
  // `redis` null: local.
  GovernanceCounting(RedisCounter* redis, bool fail_open) : redis_(redis), fail_open_(fail_open) {}

  boost::asio::awaitable<std::optional<Refusal>> AdmitRequest(const CompiledKey& key,
                                                              int64_t now_s);
  boost::asio::awaitable<std::optional<Refusal>> AdmitProvider(const CompiledKey& key,
                                                               std::string_view provider,
                                                               std::string_view model,
                                                               int64_t now_s,
                                                               const GovernanceLevel** level);
  void Charge(const CompiledKey& key, const GovernanceLevel* provider_level,
              const TokenUsage& usage, const ModelPrice* price, int64_t now_s);

  bool local() const { return redis_ == nullptr; }
  // Redis calls that failed or timed out (0 with the local policy).
  int64_t redis_failures() const { return redis_ != nullptr ? redis_->failures() : 0; }

 private:
  boost::asio::awaitable<std::optional<Refusal>> AdmitLevels(
      const std::vector<const GovernanceLevel*>& levels, int64_t now_s);

  RedisCounter* const redis_;
  const bool fail_open_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_GOVERNANCE_H_
