// The completion handler for the listener's detached coroutines: an exception that escapes a
// session or a request is logged and dropped, never rethrown into the worker's event loop
// (where it would end the worker and every connection on it).
#ifndef SWITCHYARD_DATA_PLANE_HTTP_SPAWN_GUARD_H_
#define SWITCHYARD_DATA_PLANE_HTTP_SPAWN_GUARD_H_

#include <exception>
#include <string_view>

#include "common/log.h"

namespace switchyard::dp {

struct LogEscapedException {
  std::string_view what_failed;
  void operator()(std::exception_ptr failure) const {
    if (failure == nullptr) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      common::LogError("coroutine failed", {{"in", std::string(what_failed)}, {"what", e.what()}});
    } catch (...) {
      common::LogError("coroutine failed", {{"in", std::string(what_failed)}});
    }
  }
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_SPAWN_GUARD_H_
