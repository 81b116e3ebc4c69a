// Guard(): libpqxx exceptions stop here and become statuses (DESIGN.md "Errors"). Only
// store/postgres/ includes it (it needs libpqxx).
#ifndef SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_GUARD_H_
#define SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_GUARD_H_

#include <pqxx/pqxx>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/log.h"
#include "common/strings.h"

namespace switchyard::cp {

// Runs `fn`; libpqxx exceptions become statuses.
template <typename Fn>
auto Guard(std::string_view what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const pqxx::broken_connection& e) {
    return absl::UnavailableError(common::StrCat("database unavailable during ", what));
  } catch (const pqxx::in_doubt_error& e) {
    return absl::UnavailableError(common::StrCat("database connection lost while committing ", what,
                                         "; the outcome is unknown"));
  } catch (const pqxx::unique_violation& e) {
    return absl::AlreadyExistsError(common::StrCat("conflict during ", what));
  } catch (const pqxx::sql_error& e) {
    // The SQLSTATE class 08 (connection exception) and 57P (operator intervention, e.g. the
    // server shutting down) mean "try again later", not a bug.
    const std::string state = e.sqlstate();
    if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) {
      return absl::UnavailableError(common::StrCat("database unavailable during ", what));
    }
    common::LogError("database error", {{"during", what}, {"sqlstate", state}});
    return absl::InternalError(common::StrCat("database error during ", what));
  } catch (const std::exception& e) {
    common::LogError("database error", {{"during", what}, {"what", e.what()}});
    return absl::InternalError(common::StrCat("database error during ", what));
  }
}

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_GUARD_H_
