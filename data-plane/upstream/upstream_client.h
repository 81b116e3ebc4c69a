// UpstreamClient: how a data-plane worker calls an LLM provider.
//
// One instance per worker, used only on that worker's event loop (a request never crosses
// threads). Implementations: BeastUpstreamClient (the fast path: pooled keep-alive HTTP/1.1,
// TLS through asio::ssl) and CurlUpstreamClient (libcurl multi, for proxies).
//
// Errors: Unavailable when the provider cannot be reached or the connection breaks before a
// complete response (-> 502), DeadlineExceeded when the request timeout passes before the
// head (or a buffered response) or a stream stays silent past its idle timeout (-> 504),
// Cancelled when the sink asked to stop (the client went away).
#ifndef SWITCHYARD_DATA_PLANE_UPSTREAM_UPSTREAM_CLIENT_H_
#define SWITCHYARD_DATA_PLANE_UPSTREAM_UPSTREAM_CLIENT_H_

#include <array>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::dp {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The most of an upstream answer a client reads whole (streamed answers are not bounded).
inline constexpr size_t kMaxUpstreamResponseBytes = 256 * 1024 * 1024;

struct UpstreamEndpoint {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string base_path;  // path prefix of the base URL, without a trailing '/'
  std::string ca_cert_pem;
  bool insecure_skip_verify = false;
  std::string pool_key;   // connections to endpoints with equal keys are interchangeable
};

struct ProxySettings {
  std::string type = "none";  // none | http | socks5 | environment
  std::string url;
  std::string username;
  std::string password;
  std::string ca_cert_pem;
};

// A request body read as it is sent: an upload that need not fit in memory (the client's
// connection, read a piece at a time). Used on one worker's executor.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // The next piece (valid until the next call); empty at the end. An error (the client's body
  // broke off, or is malformed) stops the upstream request with its body incomplete, so the
  // provider never takes it: InvalidArgument (400), ResourceExhausted (too large, 413),
  // anything else as a transport error.
  virtual boost::asio::awaitable<absl::StatusOr<std::string_view>> Next() = 0;
  // The body's length when the client declared it (Content-Length).
  virtual std::optional<uint64_t> length() const = 0;
  // True once a piece was taken: the body cannot be sent again (no retry, no fallback).
  virtual bool started() const = 0;
  // Starts again from the first byte when the body can be sent again (a spooled upload,
  // which never reports started()); the clients call it before they send.
  virtual void Rewind() {}
};

// A piece of a request body composed from a client's upload (providers/multipart.h): text,
// or a range of the upload's bytes.
struct BodyPiece {
  std::string text;
  bool from_upload = false;
  uint64_t offset = 0;  // in the upload, when from_upload
  uint64_t length = 0;
  uint64_t size() const { return from_upload ? length : text.size(); }
};

struct UpstreamRequest {
  const UpstreamEndpoint* endpoint = nullptr;  // owned by the routing table
  const ProxySettings* proxy = nullptr;  // owned by the routing table; CurlUpstreamClient
  std::string method = "POST";
  std::string target;  // path and query, starting with '/'
  // Preformatted header lines ("name: value\r\n..."), written first; empty views are
  // skipped. The request path points these at lines compiled with the routing table.
  std::array<std::string_view, 4> header_lines{};  // [3]: the request's trace
  HeaderList headers;  // more headers; Host and Content-Length are set by the client
  std::string body;
  // Instead of `body`: a body streamed from the client (BeastUpstreamClient only; sent with
  // its Content-Length, or chunked when the client declared none).
  BodySource* body_source = nullptr;
  // Instead of both: a body composed from the client's upload, as the adapter built it. The
  // router turns it into `body` or `body_source` before the request is sent.
  std::vector<BodyPiece> pieces;
  // Bounds the wait for the response head (and a whole buffered response).
  std::chrono::milliseconds timeout{30000};
  // Bounds each silence between pieces of a streamed body, once its head arrived.
  std::chrono::milliseconds stream_idle_timeout{60000};
};

struct UpstreamResponse {
  int status = 0;
  HeaderList headers;  // content-type and retry-after only, names lower-case
  std::string body;

  std::string_view Header(std::string_view lower_case_name) const;
};

// Receives a streamed response. Returning false stops the transfer (Cancelled).
class UpstreamSink {
 public:
  virtual ~UpstreamSink() = default;
  // `first_data`: body bytes that arrived with the head (may be empty).
  virtual boost::asio::awaitable<bool> OnHead(int status, const HeaderList& headers,
                                              std::string_view first_data) = 0;
  virtual boost::asio::awaitable<bool> OnData(std::string_view data) = 0;
};

class UpstreamClient {
 public:
  virtual ~UpstreamClient() = default;

  // The whole response, buffered.
  virtual boost::asio::awaitable<absl::StatusOr<UpstreamResponse>> Send(
      const UpstreamRequest& request) = 0;

  // The response passed through as it arrives: OnHead once, then OnData per piece of body
  // (transfer coding removed). OK when the body ended normally.
  virtual boost::asio::awaitable<absl::Status> Stream(const UpstreamRequest& request,
                                                      UpstreamSink& sink) = 0;
};

// Parses "http(s)://host[:port][/path]" into an endpoint (TLS settings left empty), with the
// same parser and rules as the control plane's validation (common/url.h).
absl::StatusOr<UpstreamEndpoint> ParseBaseUrl(std::string_view url);

// The pool key of an endpoint with its TLS settings filled in.
std::string PoolKey(const UpstreamEndpoint& endpoint);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_UPSTREAM_UPSTREAM_CLIENT_H_
