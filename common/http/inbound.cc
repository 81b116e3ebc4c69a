#include "common/http/inbound.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/errors.h"
#include "common/strings.h"

namespace switchyard::common {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

HttpResponse Error(int status, std::string code, std::string message) {
  return HttpResponse::Json(
      status, ErrorEnvelopeJson(MakeApiError(status, "invalid_request_error", std::move(code),
                                             std::move(message))));
}

}  // namespace

std::optional<HttpResponse> InboundReadError(const beast::error_code& ec,
                                             const InboundLimits& limits) {
  if (ec == http::error::header_limit) {
    return Error(431, "headers_too_large",
                 StrCat("request headers exceed ", limits.max_header_bytes, " bytes"));
  }
  if (ec == http::error::body_limit) {
    return Error(413, "body_too_large",
                 StrCat("request body exceeds ", limits.max_body_bytes, " bytes"));
  }
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
      ec == http::error::partial_message) {
    return std::nullopt;
  }
  return Error(400, "malformed_request", StrCat("malformed HTTP request: ", ec.message()));
}

std::optional<HttpResponse> InboundFramingError(const http::request_header<>& header) {
  bool seen = false;
  std::string last;
  for (const auto& field : header) {
    if (field.name() != http::field::transfer_encoding) continue;
    seen = true;
    for (absl::string_view coding :
         absl::StrSplit(absl::string_view(field.value().data(), field.value().size()), ',')) {
      const absl::string_view trimmed = absl::StripAsciiWhitespace(coding);
      if (!trimmed.empty()) last = absl::AsciiStrToLower(trimmed);
    }
  }
  if (seen && last != "chunked") {
    return Error(400, "bad_transfer_encoding",
                 "Transfer-Encoding must end with chunked (RFC 9112); request refused");
  }
  return std::nullopt;
}

std::string PeerAddress(const boost::beast::tcp_stream& stream) {
  boost::beast::error_code ec;
  const auto peer = stream.socket().remote_endpoint(ec);
  if (ec) return {};
  const std::string address = peer.address().to_string();
  return (peer.address().is_v6() ? "[" + address + "]" : address) + ":" +
         std::to_string(peer.port());
}

}  // namespace switchyard::common
