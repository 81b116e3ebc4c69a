// Seed 004's vocabulary and rules (common/barndoor.h) and the model route's canonical form
// (common/governance.h).
#include "common/barndoor.h"

#include <gtest/gtest.h>

#include "common/errors.h"
#include "common/governance.h"
#include "common/provider_config.h"

namespace switchyard::common {
namespace {

TEST(Barndoor, NamesBecomeProviderNamesOrSlugs) {
  EXPECT_EQ(SlugFromName("OpenAI Production (US)"), "openai-production-us");
  EXPECT_EQ(SlugFromName("  --Team  A//B--  "), "team-a-b");
  EXPECT_EQ(SlugFromName("!!!"), "");
  EXPECT_EQ(ProviderNameFor("team-openai"), "team-openai");
  EXPECT_EQ(ProviderNameFor("OpenAI Production (US)"), "openai-production-us");
  EXPECT_EQ(SlugFromName(std::string(200, 'a')).size(), 64u);
}

TEST(Barndoor, EverySlugMapsOntoAFamily) {
  for (const char* slug : {"openai", "anthropic", "azure_openai", "google_ai", "bedrock", "vertex",
                           "groq", "together", "mistral", "cohere", "xai", "fireworks",
                           "perplexity", "openrouter", "deepseek", "custom"}) {
    EXPECT_NE(FindBarndoorFamily(slug), nullptr) << slug;
  }
  EXPECT_EQ(FindBarndoorFamily("google_ai")->base_type, "gemini");
  EXPECT_EQ(FindBarndoorFamily("azure_openai")->base_type, "azure");
  EXPECT_EQ(FindBarndoorFamily("deepseek")->default_base_url, "https://api.deepseek.com");
  EXPECT_EQ(FindBarndoorFamily("ollama"), nullptr);
}

TEST(Barndoor, AuthTypesAreCheckedPerProvider) {
  EXPECT_TRUE(CheckAuthType("auth_type", "openai", "api_key").ok());
  EXPECT_TRUE(CheckAuthType("auth_type", "bedrock", "aws_keys").ok());
  EXPECT_TRUE(CheckAuthType("auth_type", "bedrock", "bedrock_api_key").ok());
  EXPECT_TRUE(CheckAuthType("auth_type", "vertex", "google_service_account").ok());
  EXPECT_FALSE(CheckAuthType("auth_type", "bedrock", "api_key").ok());
  EXPECT_FALSE(CheckAuthType("auth_type", "openai", "aws_keys").ok());
  for (const char* unsupported : {"google_adc", "google_impersonation", "aws_role",
                                  "oauth_passthrough"}) {
    const absl::Status status = CheckAuthType("auth_type", "vertex", unsupported);
    EXPECT_EQ(FieldOf(status), "auth_type");
    EXPECT_NE(status.message().find("not supported"), absl::string_view::npos) << status;
  }
}

TEST(Barndoor, SecretsBecomeKeysOfTheirFamily) {
  UpstreamSecret aws{"bedrock", "aws_keys", "", {{"access_key_id", "AKIA1"},
                                                 {"secret_access_key", "s3cr3t"}},
                     {{"region", "eu-west-1"}}, ""};
  v1::Key key = KeyFromSecret(aws, "aws");
  EXPECT_EQ(key.bedrock_key_config().access_key().value(), "AKIA1");
  EXPECT_EQ(key.bedrock_key_config().secret_key().value(), "s3cr3t");
  EXPECT_EQ(key.bedrock_key_config().region().value(), "eu-west-1");
  EXPECT_EQ(key.models(0), "*");

  UpstreamSecret sa{"vertex", "google_service_account", "",
                    {{"service_account_json", R"({"project_id":"p-9","client_email":"x"})"}},
                    {}, ""};
  key = KeyFromSecret(sa, "sa");
  EXPECT_EQ(key.vertex_key_config().project_id().value(), "p-9");
  EXPECT_EQ(key.vertex_key_config().region().value(), "us-central1");

  UpstreamSecret azure{"azure_openai", "api_key", "k", {}, {{"api_version", "2024-10-21"}},
                       "https://x.openai.azure.com"};
  key = KeyFromSecret(azure, "az");
  EXPECT_EQ(key.value().value(), "k");
  EXPECT_EQ(key.azure_key_config().endpoint().value(), "https://x.openai.azure.com");
  EXPECT_EQ(key.azure_key_config().api_version().value(), "2024-10-21");

  UpstreamSecret missing{"vertex", "google_service_account", "", {}, {}, ""};
  EXPECT_EQ(FieldOf(CheckSecret("", missing)), "credentials.service_account_json");
  UpstreamSecret unknown{"openai", "api_key", "k", {{"password", "x"}}, {}, ""};
  EXPECT_EQ(FieldOf(CheckSecret("", unknown)), "credentials.password");
}

TEST(Barndoor, CredentialsAreRedactedAndRestored) {
  v1::Credential stored;
  stored.set_api_key("sk-abcdefghijklmnop");
  (*stored.mutable_credentials())["secret_access_key"] = "aws-secret";
  v1::Credential shown = stored;
  RedactCredential(&shown);
  EXPECT_NE(shown.api_key(), stored.api_key());
  EXPECT_EQ(shown.credentials().at("secret_access_key"), "<REDACTED>");
  RestoreCredentialSecrets(stored, &shown);
  EXPECT_EQ(shown.api_key(), stored.api_key());
  EXPECT_EQ(shown.credentials().at("secret_access_key"), "aws-secret");
}

TEST(Barndoor, ProviderBodyIsCheckedAndMapped) {
  absl::StatusOr<BarndoorProviderRequest> request = BarndoorProviderFromJson(R"({
      "name": "Together Prod", "model_provider": "together", "api_key": "k",
      "models": ["m1"], "request_timeout_seconds": 90, "stream_idle_timeout_seconds": null,
      "catalog_slug": "together"})");
  ASSERT_TRUE(request.ok()) << request.status();
  absl::StatusOr<v1::ProviderConfig> config =
      ProviderFromBarndoor(*request, ProviderNameFor(request->display_name), nullptr);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->name(), "together-prod");
  EXPECT_EQ(config->custom_provider_config().base_provider_type(), "openai");
  EXPECT_EQ(config->network_config().base_url(), "https://api.together.xyz");
  EXPECT_EQ(config->network_config().default_request_timeout_in_seconds(), 90);
  EXPECT_FALSE(config->network_config().has_stream_idle_timeout_in_seconds());
  EXPECT_EQ(config->barndoor().catalog_slug(), "together");
  EXPECT_EQ(config->keys(0).value().value(), "k");

  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"model_provider": "openai", "api_key": "k"})", "name"},
           {R"({"name": "x", "model_provider": "openai"})", "api_key"},
           {R"({"name": "x", "model_provider": "openai", "api_key": "k", "connection_id": "c"})",
            "connection_id"},
           {R"({"name": "x", "model_provider": "openai", "api_key": "k", "models": "m"})", "models"},
           {R"({"name": "x", "model_provider": "openai", "api_key": "k", "request_timeout_seconds": 1.5})",
            "request_timeout_seconds"},
           {R"({"name": "x", "model_provider": "custom", "api_key": "k"})", "base_url"},
           {R"({"name": "x", "model_provider": "openai", "api_key": "k", "extra": 1})", "extra"}}) {
    EXPECT_EQ(FieldOf(BarndoorProviderFromJson(body).status()), field) << body;
  }
}

TEST(ModelRoute, AliasesTimeoutsAndFailoversAreChecked) {
  v1::GovernanceObject object;
  v1::ModelRoute& route = *object.mutable_model_route();
  route.set_alias("smart");
  route.set_provider("openai");
  route.set_model("gpt-4o");
  route.add_failover_aliases("openai/gpt-4o-mini");
  EXPECT_TRUE(CanonicalizeGovernance(object).ok());
  EXPECT_EQ(NameOf(object), "smart");

  auto field_of = [&](auto change) {
    v1::GovernanceObject copy = object;
    change(*copy.mutable_model_route());
    return FieldOf(CanonicalizeGovernance(copy).status());
  };
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.set_alias("openai/other"); }), "alias");
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.set_alias("has space"); }), "alias");
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.set_alias(""); }), "alias");
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.set_model(""); }), "model");
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.set_provider("bad name"); }), "provider");
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.set_request_timeout_seconds(0); }),
            "request_timeout_seconds");
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.set_stream_idle_timeout_seconds(1801); }),
            "stream_idle_timeout_seconds");
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.add_failover_aliases("smart"); }),
            "failover_aliases[1]");
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.add_failover_aliases("openai/gpt-4o-mini"); }),
            "failover_aliases[1]");
  // Its own "<provider>/<model>" is a valid alias.
  EXPECT_EQ(field_of([](v1::ModelRoute& r) { r.set_alias("openai/gpt-4o"); }), "");
}

}  // namespace
}  // namespace switchyard::common
