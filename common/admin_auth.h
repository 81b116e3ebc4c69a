// AdminAuth: who may call the admin APIs, REST and gRPC alike.
//
//   - static bearer tokens (SWITCHYARD_ADMIN_TOKEN, --admin-token-file): read and write; the
//     actor is "token-<n>" (its place in the list, never the token);
//   - JWTs (--admin-jwks-file, common/jwt.h): the actor is the JWT's sub; with a role claim,
//     viewer tokens may only read.
//
// The JWKS file is re-read when it changes (looked at most once a second); a file that no
// longer parses keeps the last good keys and is logged. Thread-safe.
#ifndef SWITCHYARD_COMMON_ADMIN_AUTH_H_
#define SWITCHYARD_COMMON_ADMIN_AUTH_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/bearer_tokens.h"
#include "common/jwt.h"

namespace switchyard::common {

struct AdminCaller {
  std::string actor;
  bool can_write = true;
};

class AdminAuth {
 public:
  struct JwtConfig {
    std::string jwks_file;
    JwtOptions options;
  };
  // InvalidArgument when the JWKS file does not load.
  static absl::StatusOr<std::shared_ptr<AdminAuth>> Create(BearerTokens tokens,
                                                           std::optional<JwtConfig> jwt);

  // No token and no JWT configured: every call is let in (development mode only).
  bool open() const { return tokens_.empty() && !jwt_; }

  // Unauthenticated (401): no or bad credentials; PermissionDenied (403): a JWT whose role
  // claim allows nothing. Writes by a read-only caller are refused by the APIs.
  absl::StatusOr<AdminCaller> Authenticate(std::string_view authorization) const;

 private:
  AdminAuth() = default;
  std::shared_ptr<const JwtVerifier> Verifier() const;

  BearerTokens tokens_;
  std::optional<JwtConfig> jwt_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const JwtVerifier> verifier_;
  mutable std::chrono::steady_clock::time_point checked_;
  mutable std::string loaded_stamp_;  // mtime and size of the file last loaded
};

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_ADMIN_AUTH_H_
