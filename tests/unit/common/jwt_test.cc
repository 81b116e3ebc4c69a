// Admin JWTs (issue 12 point 4): RS256 and ES256 against a JWKS, issuer, audience, exp/nbf
// with skew, kid, and the role claim.
#include "common/jwt.h"

#include <gtest/gtest.h>

#include "tests/support/jwt_signer.h"

namespace switchyard::common {
namespace {

using switchyard::testing::TestJwtKey;
using nlohmann::json;

const auto kNow = std::chrono::system_clock::from_time_t(1800000000);

json Claims(int64_t exp_offset = 600) {
  return {{"iss", "https://idp.example"}, {"aud", "switchyard-admin"}, {"sub", "alice"},
          {"iat", 1800000000}, {"exp", 1800000000 + exp_offset}};
}

std::shared_ptr<const JwtVerifier> Verifier(const std::string& jwks, std::string role = "") {
  auto verifier = JwtVerifier::FromJwks(
      jwks, {.issuer = "https://idp.example", .audience = "switchyard-admin", .role_claim = role});
  EXPECT_TRUE(verifier.ok()) << verifier.status();
  return *verifier;
}

TEST(JwtTest, AcceptsRs256AndEs256FromTheJwks) {
  const TestJwtKey rsa = TestJwtKey::Rsa("rsa-1");
  const TestJwtKey ec = TestJwtKey::Ec("ec-1");
  auto verifier = Verifier(switchyard::testing::Jwks({&rsa, &ec}));
  auto by_rsa = verifier->Verify(rsa.Sign(Claims()), kNow);
  ASSERT_TRUE(by_rsa.ok()) << by_rsa.status();
  EXPECT_EQ(by_rsa->subject, "alice");
  EXPECT_TRUE(by_rsa->can_write);
  auto by_ec = verifier->Verify(ec.Sign(Claims()), kNow);
  EXPECT_TRUE(by_ec.ok()) << by_ec.status();
  json many = Claims();
  many["aud"] = {"other", "switchyard-admin"};
  EXPECT_TRUE(verifier->Verify(rsa.Sign(many), kNow).ok());
}

TEST(JwtTest, RejectsWhatIsNotForUsOrNotNow) {
  const TestJwtKey rsa = TestJwtKey::Rsa("rsa-1");
  const TestJwtKey stranger = TestJwtKey::Rsa("rsa-1");  // same kid, other key
  auto verifier = Verifier(switchyard::testing::Jwks({&rsa}));
  auto rejected = [&](const std::string& token, std::string_view why) {
    auto result = verifier->Verify(token, kNow);
    EXPECT_TRUE(absl::IsUnauthenticated(result.status())) << why << ": " << result.status();
    if (!result.ok()) EXPECT_NE(std::string(result.status().message()).find(why), std::string::npos) << result.status();
  };
  json claims = Claims();
  claims["iss"] = "https://evil.example";
  rejected(rsa.Sign(claims), "wrong issuer");
  claims = Claims();
  claims["aud"] = "someone-else";
  rejected(rsa.Sign(claims), "wrong audience");
  rejected(rsa.Sign(Claims(-120)), "expired");  // past the 60 s skew
  EXPECT_TRUE(verifier->Verify(rsa.Sign(Claims(-30)), kNow).ok());  // within the skew
  claims = Claims();
  claims["nbf"] = 1800000000 + 300;
  rejected(rsa.Sign(claims), "not valid yet");
  rejected(stranger.Sign(Claims()), "signature");
  rejected(rsa.Sign(Claims(), "unknown-kid"), "no key");
  std::string tampered = rsa.Sign(Claims());
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_FALSE(verifier->Verify(tampered, kNow).ok());
  rejected("not-a-jwt", "three segments");
}

TEST(JwtTest, TheRoleClaimGrantsAdminOrViewerAndNothingElse) {
  const TestJwtKey ec = TestJwtKey::Ec("ec-1");
  auto verifier = Verifier(switchyard::testing::Jwks({&ec}), "roles");
  json claims = Claims();
  claims["roles"] = {"viewer"};
  auto viewer = verifier->Verify(ec.Sign(claims), kNow);
  ASSERT_TRUE(viewer.ok()) << viewer.status();
  EXPECT_FALSE(viewer->can_write);
  claims["roles"] = "admin";
  EXPECT_TRUE(verifier->Verify(ec.Sign(claims), kNow)->can_write);
  claims["roles"] = {"billing"};
  EXPECT_TRUE(absl::IsPermissionDenied(verifier->Verify(ec.Sign(claims), kNow).status()));
  claims.erase("roles");
  EXPECT_TRUE(absl::IsPermissionDenied(verifier->Verify(ec.Sign(claims), kNow).status()));
}

TEST(JwtTest, BadJwksDocumentsAreRefused) {
  EXPECT_FALSE(JwtVerifier::FromJwks("{}", {.issuer = "i", .audience = "a"}).ok());
  EXPECT_FALSE(JwtVerifier::FromJwks(R"({"keys":[{"kty":"oct","k":"x"}]})", {.issuer = "i", .audience = "a"}).ok());
  const TestJwtKey rsa = TestJwtKey::Rsa("k");
  EXPECT_FALSE(JwtVerifier::FromJwks(switchyard::testing::Jwks({&rsa}), {.issuer = "", .audience = "a"}).ok());
}

}  // namespace
}  // namespace switchyard::common
