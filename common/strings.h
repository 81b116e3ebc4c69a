// String helpers that accept std::string_view.
//
// Debian's Abseil is built with its own absl::string_view (not an alias of std::string_view,
// DESIGN.md "Gotchas"), so absl::StrCat cannot take a std::string_view. These forward to
// absl with the conversion done at this one boundary.
#ifndef SWITCHYARD_COMMON_STRINGS_H_
#define SWITCHYARD_COMMON_STRINGS_H_

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace switchyard::common {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

namespace strings_internal {
template <typename T>
decltype(auto) Arg(const T& value) {
  if constexpr (std::is_convertible_v<const T&, std::string_view> &&
                !std::is_convertible_v<const T&, absl::string_view>) {
    return ToAbsl(std::string_view(value));
  } else {
    return (value);
  }
}
}  // namespace strings_internal

template <typename... Args>
std::string StrCat(const Args&... args) {
  return absl::StrCat(strings_internal::Arg(args)...);
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, strings_internal::Arg(args)...);
}

// A time as RFC 3339 in UTC, to the second: "2026-12-07T14:03:56Z".
inline std::string Rfc3339(std::chrono::system_clock::time_point at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buffer, n);
}

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_STRINGS_H_
