// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status code (Debian's Abseil 20220623 does not
// ship public ones).
#ifndef SWITCHYARD_COMMON_STATUS_MACROS_H_
#define SWITCHYARD_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SY_CONCAT_INNER(a, b) a##b
#define SY_CONCAT(a, b) SY_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    ::absl::Status sy_status_ = (expr);         \
    if (!sy_status_.ok()) return sy_status_;    \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  SY_ASSIGN_OR_RETURN_IMPL(SY_CONCAT(sy_statusor_, __LINE__), lhs, expr)

#define SY_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                             \
  if (!statusor.ok()) return statusor.status();       \
  lhs = std::move(statusor).value()

#endif  // SWITCHYARD_COMMON_STATUS_MACROS_H_
