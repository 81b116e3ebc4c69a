// Vertex AI's service-account assertion (ADAPTERS.md §3): the JWT is RS256-signed over exactly
// header.claims with the credential's key, carries the claims Google's token endpoint checks,
// and errors never quote the key.
#include "data-plane/providers/vertex/service_account.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

namespace switchyard::dp {
namespace {

using nlohmann::json;

std::string Base64UrlDecode(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4 != 0) text.push_back('=');
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<size_t>(n) - (text.size() - text.find_last_not_of('=') - 1));
  return out;
}

struct Key {
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  ~Key() { EVP_PKEY_free(pkey); }
  std::string Pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(size));
    BIO_free(bio);
    return pem;
  }
};

TEST(ServiceAccountTest, TheAssertionIsRs256SignedWithTheClaimsGoogleChecks) {
  const Key key;
  const json credential = {{"type", "service_account"},
                           {"client_email", "gw@project.iam.gserviceaccount.com"},
                           {"private_key", key.Pem()},
                           {"private_key_id", "kid-1"},
                           {"token_uri", "http://127.0.0.1:9/token"}};
  auto account = ParseServiceAccount(credential.dump());
  ASSERT_TRUE(account.ok()) << account.status();
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  auto jwt = SignedJwt(*account, kCloudPlatformScope, now);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  const size_t first = jwt->find('.');
  const size_t second = jwt->find('.', first + 1);
  ASSERT_NE(second, std::string::npos);
  EXPECT_EQ(jwt->find_first_of("+/="), std::string::npos);  // base64url, no padding
  EXPECT_EQ(json::parse(Base64UrlDecode(jwt->substr(0, first))),
            (json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid-1"}}));
  EXPECT_EQ(json::parse(Base64UrlDecode(jwt->substr(first + 1, second - first - 1))),
            (json{{"iss", "gw@project.iam.gserviceaccount.com"},
                  {"scope", "https://www.googleapis.com/auth/cloud-platform"},
                  {"aud", "http://127.0.0.1:9/token"},
                  {"iat", 1'700'000'000},
                  {"exp", 1'700'003'600}}));
  // The signature verifies with the key's public half over exactly header.claims.
  const std::string input = jwt->substr(0, second);
  const std::string signature = Base64UrlDecode(jwt->substr(second + 1));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.pkey), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  EXPECT_EQ(TokenRequestBody("a.b.c"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c");
}

TEST(ServiceAccountTest, BadCredentialsAndTokenAnswersAreClearErrorsWithoutSecrets) {
  EXPECT_TRUE(absl::IsInvalidArgument(ParseServiceAccount("not json").status()));
  const absl::Status missing =
      ParseServiceAccount(R"({"client_email":"a@b","private_key":"k"})").status();
  EXPECT_NE(missing.message().find("token_uri"), std::string::npos);
  ServiceAccount account{"a@b", "-----BEGIN PRIVATE KEY-----\nsecret-bytes\n-----END PRIVATE KEY-----\n",
                         "", "http://t"};
  const absl::Status bad_key = SignedJwt(account, kCloudPlatformScope, {}).status();
  EXPECT_TRUE(absl::IsInvalidArgument(bad_key));
  EXPECT_EQ(bad_key.message().find("secret-bytes"), std::string::npos);
  auto token = ParseTokenResponse(R"({"access_token":"ya29.x","expires_in":120,"token_type":"Bearer"})");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->value, "ya29.x");
  EXPECT_EQ(token->expires_in, std::chrono::seconds(120));
  const absl::Status refused =
      ParseTokenResponse(R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})")
          .status();
  EXPECT_NE(refused.message().find("invalid_grant"), std::string::npos);
  EXPECT_NE(refused.message().find("Invalid JWT Signature."), std::string::npos);
}

}  // namespace
}  // namespace switchyard::dp
