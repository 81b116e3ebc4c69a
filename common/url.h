// ServiceUrl: the one parser for the URLs an admin configures (provider base URLs, proxy
// URLs), used by the control plane to validate and by the data plane to connect, so that a
// URL the control plane accepts is a URL every data plane can compile.
//
// Built on Boost.URL (RFC 3986). Accepted: `scheme://host[:port][/path]` with a scheme from
// the caller's list, a host (name, IPv4 or [IPv6]), a port 1-65535 when given. Refused, with
// a message that never quotes the URL (it may carry credentials): userinfo, a query, a
// fragment, an empty or percent-encoded host, a bad port.
//
//   ASSIGN_OR_RETURN(ServiceUrl url, ParseServiceUrl(text, {"http", "https"}));
//   Connect(url.host, url.port);
//
// Pure functions; any thread.
#ifndef SWITCHYARD_COMMON_URL_H_
#define SWITCHYARD_COMMON_URL_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchyard::common {

struct ServiceUrl {
  std::string scheme;  // lower-case
  std::string host;    // without brackets for IPv6
  uint16_t port = 0;   // the given port, or the scheme's default (0 when it has none)
  std::string path;    // as given (percent-encoded), without a trailing '/'; "" for none
};

// InvalidArgument naming the problem (not the URL).
absl::StatusOr<ServiceUrl> ParseServiceUrl(std::string_view text,
                                           std::initializer_list<std::string_view> schemes);

// A percent-encoded path segment, decoded (Boost.URL); InvalidArgument for a malformed escape.
absl::StatusOr<std::string> PercentDecode(std::string_view text);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_URL_H_
