#include "tests/support/jwt_signer.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "absl/strings/escaping.h"

namespace switchyard::testing {
namespace {

std::string B64(std::string_view bytes) {
  return absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()));
}

std::string BnBytes(const BIGNUM* bn, int width = 0) {
  std::string out(width > 0 ? width : BN_num_bytes(bn), '\0');
  if (width > 0) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), width);
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

}  // namespace

struct TestJwtKey::Pkey {
  EVP_PKEY* key = nullptr;
  ~Pkey() { EVP_PKEY_free(key); }
};

TestJwtKey TestJwtKey::Rsa(std::string kid) {
  TestJwtKey out;
  out.key_ = std::make_shared<Pkey>();
  out.key_->key = EVP_RSA_gen(2048);
  out.kid_ = std::move(kid);
  return out;
}

TestJwtKey TestJwtKey::Ec(std::string kid) {
  TestJwtKey out;
  out.key_ = std::make_shared<Pkey>();
  out.key_->key = EVP_EC_gen("P-256");
  out.kid_ = std::move(kid);
  out.rsa_ = false;
  return out;
}

nlohmann::json TestJwtKey::Jwk() const {
  if (rsa_) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(key_->key, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key_->key, OSSL_PKEY_PARAM_RSA_E, &e);
    nlohmann::json jwk{{"kty", "RSA"}, {"kid", kid_}, {"use", "sig"}, {"alg", "RS256"},
                       {"n", B64(BnBytes(n))}, {"e", B64(BnBytes(e))}};
    BN_free(n);
    BN_free(e);
    return jwk;
  }
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  EVP_PKEY_get_bn_param(key_->key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
  EVP_PKEY_get_bn_param(key_->key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  nlohmann::json jwk{{"kty", "EC"}, {"crv", "P-256"}, {"kid", kid_}, {"alg", "ES256"},
                     {"x", B64(BnBytes(x, 32))}, {"y", B64(BnBytes(y, 32))}};
  BN_free(x);
  BN_free(y);
  return jwk;
}

std::string TestJwtKey::Sign(const nlohmann::json& claims) const { return Sign(claims, kid_); }

std::string TestJwtKey::Sign(const nlohmann::json& claims, const std::string& kid) const {
  nlohmann::json header{{"alg", rsa_ ? "RS256" : "ES256"}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  const std::string input = B64(header.dump()) + "." + B64(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->key);
  EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string signature(length, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  signature.resize(length);
  if (!rsa_) {  // DER -> JOSE's raw r || s
    const unsigned char* der = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
    signature = BnBytes(ECDSA_SIG_get0_r(sig), 32) + BnBytes(ECDSA_SIG_get0_s(sig), 32);
    ECDSA_SIG_free(sig);
  }
  return input + "." + B64(signature);
}

std::string Jwks(const std::vector<const TestJwtKey*>& keys) {
  nlohmann::json list = nlohmann::json::array();
  for (const TestJwtKey* key : keys) list.push_back(key->Jwk());
  return nlohmann::json{{"keys", list}}.dump();
}

}  // namespace switchyard::testing
