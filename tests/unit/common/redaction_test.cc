// Redaction and the restore step that lets GET -> edit -> PUT keep stored secrets.
#include "common/redaction.h"

#include <gtest/gtest.h>

namespace switchyard::common {
namespace {

using v1::ProviderConfig;

TEST(RedactSecretTest, KeepsFourAndFourAroundTwentyFourStars) {
  EXPECT_EQ(RedactSecret("sk-proj-abcdefghijklmnop1234"), "sk-p************************1234");
  EXPECT_EQ(RedactSecret("123456789"), "1234************************6789");
  EXPECT_EQ(RedactSecret("12345678"), "********");
  EXPECT_EQ(RedactSecret("abc"), "***");
  EXPECT_EQ(RedactSecret(""), "");
}

TEST(LooksRedactedTest, RecognisesOnlyRedactedShapes) {
  EXPECT_TRUE(LooksRedacted("sk-p************************1234"));
  EXPECT_TRUE(LooksRedacted("*****"));
  EXPECT_TRUE(LooksRedacted("<REDACTED>"));
  EXPECT_FALSE(LooksRedacted("sk-real-key"));
  EXPECT_FALSE(LooksRedacted("sk-p***********************1234"));  // 23 stars
  EXPECT_FALSE(LooksRedacted(""));
}

ProviderConfig Stored() {
  ProviderConfig config;
  config.set_name("openai");
  auto* key = config.add_keys();
  key->set_id("id-1");
  key->set_name("main");
  key->mutable_value()->set_value("sk-stored-secret-9999");
  auto* env = config.add_keys();
  env->set_name("env");
  env->mutable_value()->set_value("env.OPENAI_API_KEY");
  env->mutable_value()->set_env_var("env.OPENAI_API_KEY");
  env->mutable_value()->set_from_env(true);
  key->mutable_bedrock_key_config()->mutable_secret_key()->set_value("bedrock-secret-value");
  config.mutable_proxy_config()->set_password("proxy-password");
  return config;
}

TEST(RedactSecretsTest, RedactsLiteralsButNotEnvironmentReferences) {
  const ProviderConfig redacted = RedactSecrets(Stored());
  EXPECT_EQ(redacted.keys(0).value().value(), "sk-s************************9999");
  EXPECT_EQ(redacted.keys(0).bedrock_key_config().secret_key().value(),
            "bedr************************alue");
  EXPECT_EQ(redacted.keys(1).value().value(), "env.OPENAI_API_KEY");
  EXPECT_EQ(redacted.proxy_config().password(), "<REDACTED>");
  EXPECT_EQ(redacted.proxy_config().ca_cert_pem(), "");  // empty stays empty
}

TEST(RestoreRedactedSecretsTest, RestoresWhatMatchesAndNothingElse) {
  ProviderConfig incoming = RedactSecrets(Stored());
  incoming.mutable_keys(0)->set_id("");  // matched by name then
  auto* foreign = incoming.add_keys();
  foreign->set_name("new");
  foreign->mutable_value()->set_value("sk-s************************9999");
  RestoreRedactedSecrets(Stored(), &incoming);
  EXPECT_EQ(incoming.keys(0).value().value(), "sk-stored-secret-9999");
  EXPECT_EQ(incoming.keys(0).bedrock_key_config().secret_key().value(), "bedrock-secret-value");
  EXPECT_EQ(incoming.proxy_config().password(), "proxy-password");
  EXPECT_EQ(incoming.keys(2).value().value(), "sk-s************************9999");
}

TEST(RestoreRedactedSecretsTest, ADifferentRedactionIsNotRestored) {
  ProviderConfig incoming = RedactSecrets(Stored());
  incoming.mutable_keys(0)->mutable_value()->set_value("sk-x************************9999");
  RestoreRedactedSecrets(Stored(), &incoming);
  EXPECT_EQ(incoming.keys(0).value().value(), "sk-x************************9999");
}

// Issue 12 point 3: extra_headers values of sensitive names and a proxy URL's password are
// secrets too: redacted in answers, restored on PUT, refused when they match nothing.
TEST(RedactSecretsTest, SensitiveHeadersAndProxyUrlPasswordsAreSecrets) {
  ProviderConfig config = Stored();
  auto& headers = *config.mutable_network_config()->mutable_extra_headers();
  headers["authorization"] = "Bearer upstream-token-1234";
  headers["x-goog-api-key"] = "AIzaSecretValue1234";
  headers["x-session-token"] = "short";
  headers["x-team"] = "search";
  config.mutable_proxy_config()->set_url("http://proxyuser:proxy-url-pass@proxy.internal:3128");
  const ProviderConfig redacted = RedactSecrets(config);
  const auto& out = redacted.network_config().extra_headers();
  EXPECT_EQ(out.at("authorization"), "Bear************************1234");
  EXPECT_EQ(out.at("x-goog-api-key"), "AIza************************1234");
  EXPECT_EQ(out.at("x-session-token"), "*****");
  EXPECT_EQ(out.at("x-team"), "search");  // not a secret
  EXPECT_EQ(redacted.proxy_config().url(), "http://proxyuser:<REDACTED>@proxy.internal:3128");
  EXPECT_TRUE(IsSensitiveHeader("Proxy-Authorization"));
  EXPECT_TRUE(IsSensitiveHeader("api-key"));
  EXPECT_FALSE(IsSensitiveHeader("x-request-source"));

  ProviderConfig incoming = redacted;
  RestoreRedactedSecrets(config, &incoming);
  EXPECT_EQ(incoming.network_config().extra_headers().at("authorization"),
            "Bearer upstream-token-1234");
  EXPECT_EQ(incoming.network_config().extra_headers().at("x-session-token"), "short");
  EXPECT_EQ(incoming.proxy_config().url(), config.proxy_config().url());

  // A redacted value the stored config cannot explain stays redacted (and is refused then).
  ProviderConfig stranger = redacted;
  (*stranger.mutable_network_config()->mutable_extra_headers())["authorization"] =
      "Xear************************1234";
  stranger.mutable_proxy_config()->set_url("http://other:<REDACTED>@proxy.internal:3128");
  RestoreRedactedSecrets(config, &stranger);
  EXPECT_EQ(stranger.network_config().extra_headers().at("authorization"),
            "Xear************************1234");
  EXPECT_TRUE(UrlHasRedactedPassword(stranger.proxy_config().url()));
}

}  // namespace
}  // namespace switchyard::common
