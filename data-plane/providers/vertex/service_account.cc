#include "data-plane/providers/vertex/service_account.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string Base64Url(std::string_view bytes) {
  std::string out = Base64(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

absl::StatusOr<ServiceAccount> ParseServiceAccount(std::string_view credential_json) {
  const json in = json::parse(credential_json, nullptr, false);
  if (!in.is_object()) {
    return absl::InvalidArgumentError("auth_credentials is not a service-account JSON object");
  }
  ServiceAccount account;
  account.client_email = StringMember(in, "client_email");
  account.private_key = StringMember(in, "private_key");
  account.private_key_id = StringMember(in, "private_key_id");
  account.token_uri = StringMember(in, "token_uri");
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"client_email", &account.client_email},
        {"private_key", &account.private_key},
        {"token_uri", &account.token_uri}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(
          StrCat("auth_credentials has no ", field, " (a service-account key file is needed)"));
    }
  }
  return account;
}

absl::StatusOr<std::string> SignedJwt(const ServiceAccount& account, std::string_view scope,
                                      std::chrono::system_clock::time_point now) {
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(account.private_key.data(), static_cast<int>(account.private_key.size())));
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("auth_credentials.private_key is not an RSA private key in PEM");
  }
  const int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  json header{{"alg", "RS256"}, {"typ", "JWT"}};
  if (!account.private_key_id.empty()) header["kid"] = account.private_key_id;
  const json claims{{"iss", account.client_email},
                    {"scope", std::string(scope)},
                    {"aud", account.token_uri},
                    {"iat", iat},
                    {"exp", iat + 3600}};
  const std::string signing_input =
      StrCat(Base64Url(DumpJson(header)), ".", Base64Url(DumpJson(claims)));
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return absl::InternalError("signing the service-account assertion failed");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return absl::InternalError("signing the service-account assertion failed");
  }
  signature.resize(length);
  return StrCat(signing_input, ".", Base64Url(signature));
}

namespace {

// The parts of a credential every grant has: the token endpoint, the scope, the proxy and the
// identity the token cache keys it by.
absl::Status CompileTokenEndpoint(std::string_view token_uri, std::string_view identity,
                                  std::string_view scope, const ProxySettings& proxy,
                                  OAuthCredential* credential) {
  absl::StatusOr<UpstreamEndpoint> endpoint = ParseBaseUrl(token_uri);
  if (!endpoint.ok()) {
    return absl::InvalidArgumentError(StrCat("token_uri ", endpoint.status().message()));
  }
  credential->token_target = endpoint->base_path.empty() ? "/" : endpoint->base_path;
  endpoint->base_path.clear();
  endpoint->pool_key = PoolKey(*endpoint);
  credential->token_endpoint = *std::move(endpoint);
  credential->scope = std::string(scope);
  credential->proxy = proxy;
  const std::string text = StrCat(identity, "\n", scope, "\n", proxy.type, "\n", proxy.url);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  credential->cache_key.assign(reinterpret_cast<const char*>(digest), sizeof(digest));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const OAuthCredential>> CompileServiceAccount(
    std::string_view credential_json, std::string_view scope, const ProxySettings& proxy) {
  absl::StatusOr<ServiceAccount> account = ParseServiceAccount(credential_json);
  if (!account.ok()) return account.status();
  auto credential = std::make_shared<OAuthCredential>();
  if (absl::Status endpoint =
          CompileTokenEndpoint(account->token_uri, credential_json, scope, proxy, credential.get());
      !endpoint.ok()) {
    return absl::InvalidArgumentError(StrCat("auth_credentials.", endpoint.message()));
  }
  credential->account = *std::move(account);
  return std::shared_ptr<const OAuthCredential>(std::move(credential));
}

absl::StatusOr<std::shared_ptr<const OAuthCredential>> CompileClientCredentials(
    std::string_view token_uri, std::string_view client_id, std::string_view client_secret,
    std::string_view scope, const ProxySettings& proxy) {
  if (client_id.empty() || client_secret.empty()) {
    return absl::InvalidArgumentError("client_id and client_secret are both required");
  }
  auto credential = std::make_shared<OAuthCredential>();
  credential->grant = OAuthCredential::Grant::kClientCredentials;
  credential->account.client_email = std::string(client_id);
  credential->account.token_uri = std::string(token_uri);
  credential->client_secret = std::string(client_secret);
  if (absl::Status endpoint =
          CompileTokenEndpoint(token_uri, StrCat(token_uri, "\n", client_id, "\n", client_secret),
                               scope, proxy, credential.get());
      !endpoint.ok()) {
    return endpoint;
  }
  return std::shared_ptr<const OAuthCredential>(std::move(credential));
}

std::string ClientCredentialsBody(const OAuthCredential& credential) {
  return StrCat("grant_type=client_credentials&client_id=",
                PercentEncode(credential.account.client_email),
                "&client_secret=", PercentEncode(credential.client_secret),
                "&scope=", PercentEncode(credential.scope));
}

std::string TokenRequestBody(std::string_view assertion) {
  // A JWT is base64url and dots: nothing in it needs form encoding.
  return StrCat("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=",
                assertion);
}

absl::StatusOr<AccessToken> ParseTokenResponse(std::string_view body) {
  const json in = json::parse(body, nullptr, false);
  AccessToken token;
  token.value = StringMember(in, "access_token");
  if (token.value.empty()) {
    const std::string error = StringMember(in, "error");
    const std::string description = StringMember(in, "error_description");
    return absl::InvalidArgumentError(
        error.empty() ? "the token endpoint answered no access_token"
                      : StrCat("the token endpoint refused: ", error,
                               description.empty() ? "" : StrCat(" (", description, ")")));
  }
  token.expires_in = std::chrono::seconds(IntMember(in, "expires_in", 3600));
  return token;
}

}  // namespace switchyard::dp
