#include "common/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "common/strings.h"

namespace switchyard::common {
namespace {

using nlohmann::json;

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError(StrCat("invalid admin JWT: ", why));
}

bool Base64UrlDecode(std::string_view in, std::string* out) {
  return absl::WebSafeBase64Unescape(ToAbsl(in), out);
}

std::string StringOf(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A public key from its OSSL_PARAMs (OpenSSL 3's EVP_PKEY_fromdata).
Pkey FromData(const char* type, OSSL_PARAM_BLD* build) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx != nullptr && params != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return Pkey(key);
}

absl::StatusOr<Pkey> PublicKey(const json& jwk) {
  const std::string kty = StringOf(jwk, "kty");
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  Pkey key;
  if (kty == "RSA") {
    std::string n;
    std::string e;
    if (!Base64UrlDecode(StringOf(jwk, "n"), &n) || !Base64UrlDecode(StringOf(jwk, "e"), &e) ||
        n.empty() || e.empty()) {
      OSSL_PARAM_BLD_free(build);
      return absl::InvalidArgumentError("an RSA key needs n and e (base64url)");
    }
    BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
    BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e);
    key = FromData("RSA", build);
    BN_free(bn_n);
    BN_free(bn_e);
  } else if (kty == "EC" && StringOf(jwk, "crv") == "P-256") {
    std::string x;
    std::string y;
    if (!Base64UrlDecode(StringOf(jwk, "x"), &x) || !Base64UrlDecode(StringOf(jwk, "y"), &y) ||
        x.size() != 32 || y.size() != 32) {
      OSSL_PARAM_BLD_free(build);
      return absl::InvalidArgumentError("a P-256 key needs x and y of 32 bytes (base64url)");
    }
    const std::string point = "\x04" + x + y;
    OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    key = FromData("EC", build);
  } else {
    OSSL_PARAM_BLD_free(build);
    return absl::InvalidArgumentError(StrCat("key type ", kty, " is not supported (RSA, EC P-256)"));
  }
  OSSL_PARAM_BLD_free(build);
  if (key == nullptr) return absl::InvalidArgumentError("a key does not load");
  return key;
}

// ES256's raw r || s signature as the DER OpenSSL verifies.
std::string EcdsaDer(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  std::string out = length > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<size_t>(length))
                               : std::string();
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

}  // namespace

struct JwtVerifier::Key {
  std::string kid;
  std::string alg;  // RS256 or ES256
  Pkey key;
};

JwtVerifier::~JwtVerifier() = default;

absl::StatusOr<std::shared_ptr<const JwtVerifier>> JwtVerifier::FromJwks(std::string_view jwks,
                                                                        JwtOptions options) {
  const json document = json::parse(jwks, nullptr, false);
  auto keys = document.is_object() ? document.find("keys") : document.end();
  if (!document.is_object() || keys == document.end() || !keys->is_array()) {
    return absl::InvalidArgumentError("the JWKS document has no \"keys\" array");
  }
  if (options.issuer.empty() || options.audience.empty()) {
    return absl::InvalidArgumentError("admin JWTs need an issuer and an audience");
  }
  std::shared_ptr<JwtVerifier> verifier(new JwtVerifier());
  verifier->options_ = std::move(options);
  for (const json& jwk : *keys) {
    if (!jwk.is_object()) continue;
    const std::string use = StringOf(jwk, "use");
    if (!use.empty() && use != "sig") continue;
    absl::StatusOr<Pkey> key = PublicKey(jwk);
    if (!key.ok()) {
      return absl::InvalidArgumentError(StrCat("JWKS key \"", StringOf(jwk, "kid"), "\": ", key.status().message()));
    }
    auto entry = std::make_unique<Key>();
    entry->kid = StringOf(jwk, "kid");
    entry->alg = StringOf(jwk, "kty") == "RSA" ? "RS256" : "ES256";
    entry->key = *std::move(key);
    verifier->keys_.push_back(std::move(entry));
  }
  if (verifier->keys_.empty()) return absl::InvalidArgumentError("the JWKS document has no signing key");
  return std::shared_ptr<const JwtVerifier>(std::move(verifier));
}

absl::StatusOr<JwtIdentity> JwtVerifier::Verify(std::string_view token,
                                                std::chrono::system_clock::time_point now) const {
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Unauthenticated("not three segments");
  }
  std::string header_text;
  std::string claims_text;
  std::string signature;
  if (!Base64UrlDecode(token.substr(0, first), &header_text) ||
      !Base64UrlDecode(token.substr(first + 1, second - first - 1), &claims_text) ||
      !Base64UrlDecode(token.substr(second + 1), &signature)) {
    return Unauthenticated("a segment is not base64url");
  }
  const json header = json::parse(header_text, nullptr, false);
  const json claims = json::parse(claims_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) return Unauthenticated("not JSON");
  const std::string alg = StringOf(header, "alg");
  if (alg != "RS256" && alg != "ES256") return Unauthenticated(StrCat("alg ", alg, " is not accepted"));
  const std::string kid = StringOf(header, "kid");
  const Key* key = nullptr;
  for (const auto& candidate : keys_) {
    if (candidate->alg == alg && (kid.empty() ? keys_.size() == 1 : candidate->kid == kid)) {
      key = candidate.get();
    }
  }
  if (key == nullptr) return Unauthenticated(StrCat("no key \"", kid, "\" for ", alg, " in the JWKS"));
  if (alg == "ES256") {
    if (signature.size() != 64) return Unauthenticated("an ES256 signature is 64 bytes");
    signature = EcdsaDer(signature);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const std::string_view signed_part = token.substr(0, second);
  const bool valid =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key->key.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!valid) return Unauthenticated("the signature does not verify");

  if (StringOf(claims, "iss") != options_.issuer) return Unauthenticated("wrong issuer");
  const auto aud = claims.find("aud");
  bool audience = false;
  if (aud != claims.end() && aud->is_string()) audience = *aud == options_.audience;
  if (aud != claims.end() && aud->is_array()) {
    for (const json& one : *aud) audience |= one.is_string() && one == options_.audience;
  }
  if (!audience) return Unauthenticated("wrong audience");
  const int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number() || exp->get<double>() + options_.skew.count() <= seconds) {
    return Unauthenticated("expired (or no exp)");
  }
  if (const auto nbf = claims.find("nbf");
      nbf != claims.end() && nbf->is_number() && nbf->get<double>() - options_.skew.count() > seconds) {
    return Unauthenticated("not valid yet (nbf)");
  }
  JwtIdentity identity;
  identity.subject = StringOf(claims, "sub");
  if (!options_.role_claim.empty()) {
    std::vector<std::string> roles;
    if (const auto claim = claims.find(options_.role_claim); claim != claims.end()) {
      if (claim->is_string()) roles.push_back(claim->get<std::string>());
      if (claim->is_array()) {
        for (const json& role : *claim) {
          if (role.is_string()) roles.push_back(role.get<std::string>());
        }
      }
    }
    const bool admin = std::find(roles.begin(), roles.end(), "admin") != roles.end();
    const bool viewer = std::find(roles.begin(), roles.end(), "viewer") != roles.end();
    if (!admin && !viewer) {
      return absl::PermissionDeniedError(
          StrCat("the admin JWT's ", options_.role_claim, " claim holds neither admin nor viewer"));
    }
    identity.can_write = admin;
  }
  return identity;
}

}  // namespace switchyard::common
