#include "data-plane/upstream/upstream_client.h"

#include "common/sha256.h"
#include "common/strings.h"
#include "common/url.h"

namespace switchyard::dp {

using common::StrAppend;
using common::StrCat;

std::string_view UpstreamResponse::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return {};
}

absl::StatusOr<UpstreamEndpoint> ParseBaseUrl(std::string_view url) {
  absl::StatusOr<common::ServiceUrl> parsed = common::ParseServiceUrl(url, {"http", "https"});
  if (!parsed.ok()) return parsed.status();
  UpstreamEndpoint endpoint;
  endpoint.tls = parsed->scheme == "https";
  endpoint.host = std::move(parsed->host);
  endpoint.port = parsed->port;
  endpoint.base_path = std::move(parsed->path);
  return endpoint;
}

std::string PoolKey(const UpstreamEndpoint& endpoint) {
  std::string key =
      StrCat(endpoint.tls ? "https://" : "http://", endpoint.host, ":", endpoint.port);
  if (endpoint.tls) {
    StrAppend(&key, endpoint.insecure_skip_verify ? "/insecure" : "/verify", "/",
              common::Sha256Hex(endpoint.ca_cert_pem));
  }
  return key;
}

}  // namespace switchyard::dp
