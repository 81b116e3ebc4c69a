// String helpers that accept std::string_view.
//
// Debian's Abseil is built with its own absl::string_view (not an alias of std::string_view,
// DESIGN.md "Gotchas"), so absl::StrCat cannot take a std::string_view. These forward to
// absl with the conversion done at this one boundary.
#ifndef SWITCHYARD_COMMON_STRINGS_H_
#define SWITCHYARD_COMMON_STRINGS_H_

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

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_STRINGS_H_
