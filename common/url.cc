#include "common/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url_view.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "common/strings.h"

namespace switchyard::common {
namespace {

namespace urls = boost::urls;

uint16_t DefaultPort(std::string_view scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  if (scheme == "socks5" || scheme == "socks5h") return 1080;
  return 0;
}

}  // namespace

absl::StatusOr<ServiceUrl> ParseServiceUrl(std::string_view text,
                                           std::initializer_list<std::string_view> schemes) {
  std::string expected;
  for (std::string_view scheme : schemes) {
    StrAppend(&expected, expected.empty() ? "" : ", ", scheme, "://");
  }
  auto bad = [&](std::string_view problem) {
    return absl::InvalidArgumentError(
        StrCat("must be a URL with a host (", expected, "): ", problem));
  };
  auto parsed = urls::parse_uri(urls::string_view(text.data(), text.size()));
  if (!parsed) return bad("it is not a valid URL");
  const urls::url_view& url = *parsed;
  ServiceUrl out;
  out.scheme = absl::AsciiStrToLower(std::string(url.scheme()));
  bool scheme_ok = false;
  for (std::string_view scheme : schemes) scheme_ok = scheme_ok || out.scheme == scheme;
  if (!scheme_ok) return bad("the scheme is not one of these");
  if (!url.has_authority()) return bad("it has no host");
  if (url.has_userinfo()) return bad("credentials in the URL are not allowed");
  if (url.has_query()) return bad("a query string is not allowed");
  if (url.has_fragment()) return bad("a fragment is not allowed");
  switch (url.host_type()) {
    case urls::host_type::ipv4:
    case urls::host_type::ipv6:
      out.host = std::string(url.host_address());
      break;
    case urls::host_type::name:
      if (url.encoded_host().find('%') != std::string_view::npos) {
        return bad("a percent-encoded host is not allowed");
      }
      out.host = absl::AsciiStrToLower(std::string(url.encoded_host()));
      break;
    default:
      return bad("the host is not a name or an IP address");
  }
  if (out.host.empty()) return bad("it has no host");
  out.port = DefaultPort(out.scheme);
  if (url.has_port()) {
    const std::string_view port(url.port().data(), url.port().size());
    uint32_t number = 0;
    if (port.empty() || port.size() > 5 || !absl::SimpleAtoi(ToAbsl(port), &number) ||
        number == 0 || number > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
    out.port = static_cast<uint16_t>(number);
  }
  out.path = std::string(url.encoded_path());
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  return out;
}

absl::StatusOr<std::string> PercentDecode(std::string_view text) {
  boost::system::result<boost::urls::pct_string_view> encoded =
      boost::urls::make_pct_string_view(boost::core::string_view(text.data(), text.size()));
  if (!encoded) return absl::InvalidArgumentError("malformed percent-encoding");
  return encoded->decode();
}

}  // namespace switchyard::common
