// AWS Signature Version 4 (ADAPTERS.md §4) over the exact bytes a request sends: the canonical
// request (method, canonical URI, sorted query, signed headers, SHA-256 of the body), the
// string to sign and the HMAC-SHA256 key chain, with OpenSSL. Pure functions; any thread.
//
// The canonical URI encodes each segment of the path *as sent* once more, as every service but
// S3 wants: a model id sent as a%3Ab is signed as a%253Ab (ADAPTERS.md §9 item 10).
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_SIGV4_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_SIGV4_H_

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::dp {

struct AwsCredentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // temporary credentials only; signed as x-amz-security-token
};

struct SigV4Request {
  std::string_view method;
  std::string_view host;   // as the Host header says (with :port when not the default)
  std::string_view path;   // as sent, percent-encoded
  std::string_view query;  // as sent, without '?'
  // Further headers to sign (content-type, ...), any case; host and x-amz-* are added.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
  std::string_view region;
  std::string_view service;
  std::chrono::system_clock::time_point now;
};

// The headers that sign the request: x-amz-date, x-amz-security-token (with a session
// token) and authorization.
std::vector<std::pair<std::string, std::string>> SignV4(const SigV4Request& request,
                                                         const AwsCredentials& credentials);

// RFC 3986 encoding of one path segment or query component (AWS's UriEncode).
std::string AwsUriEncode(std::string_view text);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_SIGV4_H_
