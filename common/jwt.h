// JwtVerifier: admin JWTs (RS256, ES256) checked against a JWKS document: the signature by the
// key the header's kid names (the only key when there is no kid), iss and aud as configured,
// exp and nbf with a small clock skew, and optionally a role claim. OpenSSL only; thread-safe
// after construction. Status messages say what failed, never quote the token.
#ifndef SWITCHYARD_COMMON_JWT_H_
#define SWITCHYARD_COMMON_JWT_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::common {

struct JwtOptions {
  std::string issuer;    // required match of "iss"
  std::string audience;  // required in "aud" (a string or an array)
  std::string role_claim;  // "": every valid token may read and write
  std::chrono::seconds skew{60};
};

struct JwtIdentity {
  std::string subject;  // "sub"
  bool can_write = true;  // false: the role claim says viewer
};

class JwtVerifier {
 public:
  // InvalidArgument naming what is wrong with the document.
  static absl::StatusOr<std::shared_ptr<const JwtVerifier>> FromJwks(std::string_view jwks,
                                                                      JwtOptions options);
  ~JwtVerifier();

  // Unauthenticated: malformed, bad signature, unknown kid, wrong iss/aud, expired, not yet
  // valid. PermissionDenied: valid, but the role claim holds neither admin nor viewer.
  absl::StatusOr<JwtIdentity> Verify(std::string_view token,
                                     std::chrono::system_clock::time_point now) const;

 private:
  struct Key;
  JwtVerifier() = default;
  std::vector<std::unique_ptr<Key>> keys_;
  JwtOptions options_;
};

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_JWT_H_
