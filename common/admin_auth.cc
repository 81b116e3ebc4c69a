#include "common/admin_auth.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/strings.h"

namespace switchyard::common {
namespace {

std::string Stamp(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "";
  return StrCat(info.st_mtim.tv_sec, ".", info.st_mtim.tv_nsec, ":", info.st_size);
}

absl::StatusOr<std::shared_ptr<const JwtVerifier>> Load(const AdminAuth::JwtConfig& config) {
  std::ifstream in(config.jwks_file);
  if (!in) return absl::InvalidArgumentError(StrCat("cannot read ", config.jwks_file));
  std::stringstream text;
  text << in.rdbuf();
  return JwtVerifier::FromJwks(text.str(), config.options);
}

}  // namespace

absl::StatusOr<std::shared_ptr<AdminAuth>> AdminAuth::Create(BearerTokens tokens,
                                                             std::optional<JwtConfig> jwt) {
  std::shared_ptr<AdminAuth> auth(new AdminAuth());
  auth->tokens_ = std::move(tokens);
  if (jwt) {
    auth->loaded_stamp_ = Stamp(jwt->jwks_file);
    absl::StatusOr<std::shared_ptr<const JwtVerifier>> verifier = Load(*jwt);
    if (!verifier.ok()) {
      return absl::InvalidArgumentError(StrCat("--admin-jwks-file: ", verifier.status().message()));
    }
    auth->verifier_ = *std::move(verifier);
    auth->checked_ = std::chrono::steady_clock::now();
    auth->jwt_ = std::move(jwt);
  }
  return auth;
}

std::shared_ptr<const JwtVerifier> AdminAuth::Verifier() const {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - checked_ >= std::chrono::seconds(1)) {
    checked_ = now;
    if (const std::string stamp = Stamp(jwt_->jwks_file); stamp != loaded_stamp_) {
      loaded_stamp_ = stamp;
      absl::StatusOr<std::shared_ptr<const JwtVerifier>> reloaded = Load(*jwt_);
      if (reloaded.ok()) {
        verifier_ = *std::move(reloaded);
        LogInfo("admin JWKS reloaded", {{"file", jwt_->jwks_file}});
      } else {
        LogWarning("admin JWKS file does not load; keeping the last good keys",
                   {{"error", ToStd(reloaded.status().message())}});
      }
    }
  }
  return verifier_;
}

absl::StatusOr<AdminCaller> AdminAuth::Authenticate(std::string_view authorization) const {
  if (open()) return AdminCaller{"anonymous (development mode)", true};
  if (const int token = tokens_.Find(authorization); token >= 0) {
    return AdminCaller{StrCat("token-", token + 1), true};
  }
  constexpr std::string_view kScheme = "Bearer ";
  if (jwt_ && authorization.size() > kScheme.size() &&
      authorization.substr(0, kScheme.size()) == kScheme &&
      authorization.find('.') != std::string_view::npos) {
    absl::StatusOr<JwtIdentity> identity =
        Verifier()->Verify(authorization.substr(kScheme.size()), std::chrono::system_clock::now());
    if (!identity.ok()) return identity.status();
    return AdminCaller{StrCat("jwt:", identity->subject), identity->can_write};
  }
  return absl::UnauthenticatedError(
      "missing or invalid admin credentials: send Authorization: Bearer <token or JWT>");
}

}  // namespace switchyard::common
