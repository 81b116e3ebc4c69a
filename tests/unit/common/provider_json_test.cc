// The JSON codec: strict parsing with field-naming errors, deterministic printing.
#include "common/provider_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/provider_config.h"

namespace switchyard::common {
namespace {

TEST(ProviderJsonTest, ParsesEveryFieldOfTheUpdateSchema) {
  auto config = ProviderFromJson(R"({
    "name": "azure-eu",
    "keys": [{"id": "k1", "name": "main", "value": {"value": "secret-azure-key", "env_var": "",
              "from_env": false}, "models": ["gpt-4o"], "weight": 0.5, "enabled": false,
              "use_for_batch_api": true,
              "azure_key_config": {"endpoint": "https://x.openai.azure.com",
                                   "deployments": {"gpt-4o": "dep"}, "api_version": "2024-02-01",
                                   "client_id": "cid", "client_secret": "csecret",
                                   "tenant_id": "tid"},
              "vertex_key_config": {"project_id": "p", "project_number": "1", "region": "r",
                                    "auth_credentials": "creds", "deployments": {}},
              "bedrock_key_config": {"access_key": "a", "secret_key": "s", "session_token": "t",
                                     "region": "us-east-1", "arn": "arn:x", "deployments": {},
                                     "batch_s3_config": {"buckets": [{"bucket_name": "b",
                                     "prefix": "p/", "is_default": true}]}},
              "huggingface_key_config": {"deployments": {"m": "d"}}}],
    "network_config": {"base_url": "https://x", "extra_headers": {"a": "b"},
                       "default_request_timeout_in_seconds": 10, "max_retries": 2,
                       "retry_backoff_initial": 100, "retry_backoff_max": 1000,
                       "insecure_skip_verify": true, "ca_cert_pem": "",
                       "beta_header_overrides": {"fast-mode-": false}},
    "concurrency_and_buffer_size": {"concurrency": 3, "buffer_size": 4},
    "proxy_config": {"type": "http", "url": "http://p:1", "username": "u", "password": "pw",
                     "ca_cert_pem": ""},
    "send_back_raw_request": true, "send_back_raw_response": true,
    "store_raw_request_response": true,
    "custom_provider_config": {"is_key_less": false, "base_provider_type": "azure",
                               "allowed_requests": {"embedding": true},
                               "request_path_overrides": {"chat_completion": "/v2/chat"}},
    "provider_status": "active", "status": "active", "description": "d", "config_hash": "x"
  })");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->keys(0).azure_key_config().deployments().at("gpt-4o"), "dep");
  EXPECT_EQ(config->keys(0).bedrock_key_config().batch_s3_config().buckets(0).bucket_name(), "b");
  EXPECT_FALSE(config->network_config().beta_header_overrides().at("fast-mode-"));
  EXPECT_TRUE(config->custom_provider_config().allowed_requests().embedding());
  EXPECT_FALSE(config->custom_provider_config().allowed_requests().has_chat_completion());
  EXPECT_EQ(config->config_hash(), "");  // read-only input is ignored

  // Printing and parsing again gives the same message.
  auto canonical = Canonicalize(*config);
  ASSERT_TRUE(canonical.ok()) << canonical.status();
  auto reparsed = ProviderFromJson(ProviderToJson(*canonical, JsonView::kResponse));
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  auto again = Canonicalize(*reparsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->config_hash(), canonical->config_hash());
}

TEST(ProviderJsonTest, ErrorsNameTheFieldAndNeverTheValue) {
  struct Case {
    const char* body;
    const char* field;
  };
  for (const Case& c : {Case{R"({"keys": [{"weight": "x"}]})", "keys[0].weight"},
                        Case{R"({"network_config": {"max_retries": 1.5}})",
                             "network_config.max_retries"},
                        Case{R"({"network_config": {"max_retries": 99999999999999999999}})",
                             "network_config.max_retries"},
                        Case{R"({"proxy_config": {"password": 7}})", "proxy_config.password"},
                        Case{R"({"keys": [{"value": ["sk-secret"]}]})", "keys[0].value"},
                        Case{R"({"custom_provider_config": {"allowed_requests": {"chat_completion": "yes"}}})",
                             "custom_provider_config.allowed_requests.chat_completion"},
                        Case{R"({"keys": [{"valu": "sk-secret"}]})", "keys[0].valu"},
                        Case{R"("just a string")", "body"}}) {
    SCOPED_TRACE(c.body);
    auto config = ProviderFromJson(c.body);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(FieldOf(config.status()), c.field) << config.status();
    EXPECT_EQ(std::string(config.status().message()).find("sk-secret"), std::string::npos);
  }
  auto not_json = ProviderFromJson(R"({"keys": [{"value": "sk-secret-in-broken-json")");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(std::string(not_json.status().message()).find("sk-secret"), std::string::npos);
}

TEST(ProviderJsonTest, NullMeansAbsentAndIntegralFloatsAreIntegers) {
  auto config = ProviderFromJson(
      R"({"provider": "openai", "network_config": null, "keys": [{"value": "a", "weight": null}],
          "concurrency_and_buffer_size": {"concurrency": 10.0}})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->has_network_config());
  EXPECT_FALSE(config->keys(0).has_weight());
  EXPECT_EQ(config->concurrency_and_buffer_size().concurrency(), 10);
}

TEST(ProviderJsonTest, ProviderAndNameMustAgree) {
  EXPECT_TRUE(ProviderFromJson(R"({"provider": "openai", "name": "openai"})").ok());
  EXPECT_FALSE(ProviderFromJson(R"({"provider": "openai", "name": "groq"})").ok());
}

TEST(ProviderJsonTest, ConfigFileReadsTheProvidersSection) {
  auto entries = ProvidersFromConfigFile(
      R"({"client": {}, "providers": {"openai": {"keys": []}, "groq": {}}})");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name(), "groq");
  EXPECT_TRUE(ProvidersFromConfigFile(R"({"client": {}})")->empty());
  auto bad = ProvidersFromConfigFile(R"({"providers": {"openai": {"keys": 3}}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("providers.openai: keys"), std::string::npos);
}

TEST(ProviderJsonTest, ListIsBifrostShaped) {
  v1::ProviderConfig config;
  config.set_name("openai");
  auto list = nlohmann::json::parse(ProviderListToJson({config, config}));
  EXPECT_EQ(list["total"], 2);
  EXPECT_EQ(list["providers"].size(), 2u);
}

TEST(ErrorEnvelopeTest, HasBifrostsShape) {
  auto envelope = nlohmann::json::parse(
      ErrorEnvelopeJson(ApiErrorFromStatus(InvalidField("keys[0].weight", "must be >= 0"))));
  EXPECT_EQ(envelope["status_code"], 400);
  EXPECT_EQ(envelope["is_bifrost_error"], true);
  EXPECT_EQ(envelope["error"]["param"], "keys[0].weight");
  EXPECT_EQ(envelope["error"]["message"], "keys[0].weight must be >= 0");
  EXPECT_EQ(envelope["event_id"].get<std::string>().size(), 36u);
  EXPECT_EQ(envelope["event_id"], envelope["error"]["event_id"]);
  EXPECT_EQ(ApiErrorFromStatus(absl::NotFoundError("x")).http_status, 404);
  EXPECT_EQ(ApiErrorFromStatus(absl::AlreadyExistsError("x")).http_status, 409);
  EXPECT_EQ(ApiErrorFromStatus(absl::FailedPreconditionError("x")).http_status, 412);
  EXPECT_EQ(ApiErrorFromStatus(absl::UnauthenticatedError("x")).http_status, 401);
  EXPECT_EQ(ApiErrorFromStatus(absl::UnavailableError("x")).http_status, 503);
}

}  // namespace
}  // namespace switchyard::common
