// RetryPolicy: when a failed upstream attempt is retried and how long to wait first.
//
// Retried: connection failures, 408, 429 and 5xx. The wait before retry n (0-based) is
// retry_backoff_initial * 2^n, capped at retry_backoff_max, with +-20 % jitter; a Retry-After
// from the provider is honoured up to retry_backoff_max.
#ifndef SWITCHYARD_DATA_PLANE_ROUTER_RETRY_POLICY_H_
#define SWITCHYARD_DATA_PLANE_ROUTER_RETRY_POLICY_H_

#include <chrono>
#include <optional>
#include <string_view>

namespace switchyard::dp {

bool IsRetryableStatus(int status);

// `jitter` is uniform in [0, 1).
std::chrono::milliseconds RetryBackoff(int retry, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, double jitter,
                                       std::optional<std::chrono::milliseconds> retry_after);

// Retry-After in delta-seconds form; nullopt for anything else.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_ROUTER_RETRY_POLICY_H_
