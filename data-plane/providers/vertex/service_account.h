// Google service-account credentials for Vertex AI (ADAPTERS.md §3): the credential JSON, the
// RS256-signed JWT assertion of the OAuth 2.0 JWT bearer grant (RFC 7523) and the token
// endpoint's form body and answer. Pure functions over OpenSSL; no I/O, any thread. Secrets
// (the private key, the assertion, the access token) never appear in a Status message.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_VERTEX_SERVICE_ACCOUNT_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_VERTEX_SERVICE_ACCOUNT_H_

#include <chrono>
#include <string>
#include <string_view>

#include <memory>

#include "absl/status/statusor.h"
#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

inline constexpr std::string_view kCloudPlatformScope =
    "https://www.googleapis.com/auth/cloud-platform";

struct ServiceAccount {
  std::string client_email;
  std::string private_key;     // PEM
  std::string private_key_id;  // the JWT header's kid (may be empty)
  std::string token_uri;
};

// The fields of a service-account key file. InvalidArgument naming the missing or malformed
// field (never quoting the file).
absl::StatusOr<ServiceAccount> ParseServiceAccount(std::string_view credential_json);

// header.claims.signature, base64url: header {alg: RS256, typ: JWT, kid}, claims {iss:
// client_email, scope, aud: token_uri, iat: now, exp: now + 3600}. InvalidArgument when the
// private key is not an RSA PEM key.
absl::StatusOr<std::string> SignedJwt(const ServiceAccount& account, std::string_view scope,
                                      std::chrono::system_clock::time_point now);

// application/x-www-form-urlencoded body of the token request for `assertion`.
std::string TokenRequestBody(std::string_view assertion);

struct AccessToken {
  std::string value;
  std::chrono::seconds expires_in{0};
};

// The token endpoint's JSON answer. InvalidArgument when it holds no access_token.
absl::StatusOr<AccessToken> ParseTokenResponse(std::string_view body);

// A service account as the data plane uses it (routing_table.h ResolvedKey::oauth): compiled
// with the routing table, exchanged for access tokens by router/token_cache.h.
struct OAuthCredential {
  // How a token is asked for: a signed JWT assertion (RFC 7523; Google service accounts) or a
  // client id and secret (RFC 6749 client credentials; Microsoft Entra for Azure OpenAI).
  enum class Grant { kJwtBearer, kClientCredentials };
  Grant grant = Grant::kJwtBearer;
  ServiceAccount account;     // client_email is the client id, for client credentials
  std::string client_secret;  // client credentials only
  std::string scope;
  UpstreamEndpoint token_endpoint;  // token_uri's scheme, host and port
  std::string token_target;         // token_uri's path
  ProxySettings proxy;              // the provider's proxy, for the exchange too
  // The credential's identity (SHA-256 over the key file, the scope and the proxy): tokens are
  // cached under it, across routing-table rebuilds.
  std::string cache_key;
};

// A credential from a service-account key file; InvalidArgument naming what is wrong (the
// file itself is never quoted).
absl::StatusOr<std::shared_ptr<const OAuthCredential>> CompileServiceAccount(
    std::string_view credential_json, std::string_view scope, const ProxySettings& proxy);

// A client-credentials credential (Entra: token_uri
// {authority}/{tenant}/oauth2/v2.0/token); InvalidArgument naming what is missing.
absl::StatusOr<std::shared_ptr<const OAuthCredential>> CompileClientCredentials(
    std::string_view token_uri, std::string_view client_id, std::string_view client_secret,
    std::string_view scope, const ProxySettings& proxy);

// The form body of a client-credentials token request.
std::string ClientCredentialsBody(const OAuthCredential& credential);

// base64url without padding (RFC 7515 §2).
std::string Base64Url(std::string_view bytes);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_VERTEX_SERVICE_ACCOUNT_H_
