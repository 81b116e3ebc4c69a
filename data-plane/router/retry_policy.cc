#include "data-plane/router/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "common/strings.h"

namespace switchyard::dp {

bool IsRetryableStatus(int status) { return status == 408 || status == 429 || status >= 500; }

std::chrono::milliseconds RetryBackoff(int retry, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, double jitter,
                                       std::optional<std::chrono::milliseconds> retry_after) {
  if (retry_after) return std::min(*retry_after, max);
  const double base = std::min(static_cast<double>(initial.count()) * std::pow(2.0, retry),
                               static_cast<double>(max.count()));
  const double jittered = base * (0.8 + 0.4 * jitter);
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(jittered)));
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value) {
  double seconds = 0;
  if (value.empty() || !absl::SimpleAtod(common::ToAbsl(value), &seconds) || seconds < 0 ||
      !std::isfinite(seconds)) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

}  // namespace switchyard::dp
