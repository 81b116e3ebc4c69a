// TestJwtKey: an RSA or P-256 key pair made for a test, its public JWK, and JWTs it signs
// (RS256 / ES256), for the admin-JWT tests.
#ifndef SWITCHYARD_TESTS_SUPPORT_JWT_SIGNER_H_
#define SWITCHYARD_TESTS_SUPPORT_JWT_SIGNER_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace switchyard::testing {

class TestJwtKey {
 public:
  static TestJwtKey Rsa(std::string kid);
  static TestJwtKey Ec(std::string kid);

  nlohmann::json Jwk() const;
  // header.claims.signature; `kid` overrides the header's kid ("" leaves it out).
  std::string Sign(const nlohmann::json& claims) const;
  std::string Sign(const nlohmann::json& claims, const std::string& kid) const;

 private:
  struct Pkey;
  std::shared_ptr<Pkey> key_;
  std::string kid_;
  bool rsa_ = true;
};

// {"keys": [...]} of the keys' public JWKs.
std::string Jwks(const std::vector<const TestJwtKey*>& keys);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_JWT_SIGNER_H_
