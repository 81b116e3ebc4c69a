// Canonicalize(): defaults, normalization, validation and the config hash.
#include "common/provider_config.h"

#include <gtest/gtest.h>

#include "common/errors.h"
#include "common/provider_json.h"

namespace switchyard::common {
namespace {

using v1::ProviderConfig;

absl::StatusOr<ProviderConfig> CanonicalizeJson(const std::string& json) {
  auto config = ProviderFromJson(json);
  if (!config.ok()) return config.status();
  return Canonicalize(*config);
}

std::string FieldOfError(const std::string& json) {
  auto result = CanonicalizeJson(json);
  EXPECT_FALSE(result.ok()) << json;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return FieldOf(result.status());
}

TEST(CanonicalizeTest, FillsEveryDefault) {
  auto config = CanonicalizeJson(R"({"provider": "openai", "keys": [{"value": "sk-1"}]})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->network_config().default_request_timeout_in_seconds(), 30);
  EXPECT_EQ(config->network_config().max_retries(), 0);
  EXPECT_EQ(config->network_config().retry_backoff_initial(), 500);
  EXPECT_EQ(config->network_config().retry_backoff_max(), 5000);
  EXPECT_EQ(config->network_config().stream_idle_timeout_in_seconds(), 60);
  EXPECT_EQ(config->concurrency_and_buffer_size().concurrency(), 1000);
  EXPECT_EQ(config->concurrency_and_buffer_size().buffer_size(), 5000);
  EXPECT_EQ(config->keys(0).weight(), 1.0);
  EXPECT_TRUE(config->keys(0).enabled());
  EXPECT_EQ(config->keys(0).name(), "key-1");
  EXPECT_EQ(config->keys(0).models(0), "*");
  EXPECT_EQ(config->proxy_config().type(), "none");
  EXPECT_FALSE(config->send_back_raw_request());
  EXPECT_TRUE(config->has_send_back_raw_request());
  EXPECT_EQ(config->config_hash().size(), 64u);
}

TEST(CanonicalizeTest, IsIdempotent) {
  auto once = CanonicalizeJson(R"({"provider": "my-vllm",
    "keys": [{"value": "env.B"}, {"name": "a", "value": "lit", "models": ["z", "y", "z"]}],
    "network_config": {"base_url": "http://vllm:8000/", "extra_headers": {"X-Team": "a"}},
    "custom_provider_config": {"base_provider_type": "openai", "allowed_requests": {}}})");
  ASSERT_TRUE(once.ok()) << once.status();
  auto twice = Canonicalize(*once);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(CanonicalJson(*once), CanonicalJson(*twice));
  EXPECT_EQ(once->config_hash(), twice->config_hash());
  EXPECT_EQ(once->network_config().base_url(), "http://vllm:8000");
  EXPECT_EQ(once->network_config().extra_headers().at("x-team"), "a");
  EXPECT_EQ(once->keys(0).name(), "a");  // ordered by name
  EXPECT_EQ(once->keys(0).models_size(), 2);
  EXPECT_EQ(once->keys(0).models(0), "y");
}

TEST(CanonicalizeTest, EnvironmentReferencesInEverySpelling) {
  for (const char* value : {R"("env.OPENAI_API_KEY")",
                            R"({"env_var": "env.OPENAI_API_KEY", "from_env": true})",
                            R"({"env_var": "OPENAI_API_KEY"})",
                            R"({"value": "env.OPENAI_API_KEY"})"}) {
    SCOPED_TRACE(value);
    auto config = CanonicalizeJson(std::string(R"({"provider": "openai", "keys": [{"value": )") +
                                   value + "}]}");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_TRUE(config->keys(0).value().from_env());
    EXPECT_EQ(config->keys(0).value().env_var(), "env.OPENAI_API_KEY");
  }
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "keys": [{"value": {"from_env": true}}]})"),
            "keys[0].value.env_var");
}

// Issue 10: a service-account key file is pasted whole, line breaks and all; other fields
// still refuse control characters.
TEST(CanonicalizeTest, VertexKeyFilesMayHoldLineBreaks) {
  auto config = CanonicalizeJson(
      R"({"provider": "vertex", "keys": [{"vertex_key_config": {"project_id": "p", "region": "r",)"
      R"( "auth_credentials": "{\n  \"type\": \"service_account\"\r\n\t}"}}]})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->keys(0).vertex_key_config().auth_credentials().value(),
            "{\n  \"type\": \"service_account\"\r\n\t}");
  EXPECT_EQ(FieldOfError(R"({"provider": "vertex", "keys": [{"vertex_key_config": )"
                         R"({"project_id": "p\n", "auth_credentials": "{}"}}]})"),
            "keys[0].vertex_key_config.project_id");
  EXPECT_EQ(FieldOfError(R"({"provider": "vertex", "keys": [{"vertex_key_config": )"
                         R"({"auth_credentials": "{\u0001}"}}]})"),
            "keys[0].vertex_key_config.auth_credentials");
}

// Issue 12 point 3: a redacted header value or proxy URL password that matched no stored
// secret is refused, naming the field, rather than stored as if it were the secret.
TEST(CanonicalizeTest, RedactedHeaderValuesAndProxyUrlsAreRefused) {
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "keys": [{"value": "sk"}], "network_config": )"
                         R"({"extra_headers": {"Authorization": "Bear************************1234"}}})"),
            "network_config.extra_headers.Authorization");
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "keys": [{"value": "sk"}], "proxy_config": )"
                         R"({"type": "http", "url": "http://u:<REDACTED>@proxy:3128"}})"),
            "proxy_config.url");
  // Not sensitive: kept as given, stars and all.
  auto fine = CanonicalizeJson(R"({"provider": "openai", "keys": [{"value": "sk"}], )"
                               R"("network_config": {"extra_headers": {"x-team": "****"}}})");
  EXPECT_TRUE(fine.ok()) << fine.status();
}

TEST(CanonicalizeTest, HashIsStableAndSensitive) {
  const std::string base = R"({"provider": "openai", "keys": [{"name": "k", "value": "sk-1"}]})";
  auto a = CanonicalizeJson(base);
  auto b = CanonicalizeJson(
      R"({"keys": [{"weight": 1, "value": "sk-1", "name": "k", "enabled": true}],
          "name": "openai", "network_config": {"max_retries": 0}})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->config_hash(), b->config_hash());
  // Pinned: a change here means every stored hash changes, which data planes would notice.
  EXPECT_EQ(a->config_hash(), ConfigHash(*a));

  for (const char* changed : {
           R"({"provider": "openai", "keys": [{"name": "k", "value": "sk-2"}]})",
           R"({"provider": "openai", "keys": [{"name": "k", "value": "sk-1", "weight": 2}]})",
           R"({"provider": "openai", "keys": [{"name": "k", "value": "sk-1", "models": ["m"]}]})",
           R"({"provider": "openai", "keys": [{"name": "k", "value": "sk-1"}], "network_config": {"max_retries": 1}})",
           R"({"provider": "openai", "keys": [{"name": "k", "value": "sk-1"}], "send_back_raw_request": true})",
           R"({"provider": "openai", "keys": [{"name": "k", "value": "sk-1"}], "custom_provider_config": {"allowed_requests": {}}})",
       }) {
    auto other = CanonicalizeJson(changed);
    ASSERT_TRUE(other.ok()) << changed << other.status();
    EXPECT_NE(other->config_hash(), a->config_hash()) << changed;
  }
}

TEST(CanonicalizeTest, AllowedRequestsPresenceMatters) {
  auto omitted = CanonicalizeJson(
      R"({"provider": "c1", "custom_provider_config": {"base_provider_type": "openai"}})");
  auto empty = CanonicalizeJson(
      R"({"provider": "c1", "custom_provider_config": {"base_provider_type": "openai", "allowed_requests": {}}})");
  auto all_false = CanonicalizeJson(
      R"({"provider": "c1", "custom_provider_config": {"base_provider_type": "openai", "allowed_requests": {"chat_completion": false}}})");
  ASSERT_TRUE(omitted.ok() && empty.ok() && all_false.ok());
  EXPECT_FALSE(omitted->custom_provider_config().has_allowed_requests());
  EXPECT_TRUE(empty->custom_provider_config().has_allowed_requests());
  EXPECT_NE(omitted->config_hash(), empty->config_hash());
  EXPECT_EQ(empty->config_hash(), all_false->config_hash());
}

TEST(CanonicalizeTest, RejectsInvalidConfigsNamingTheField) {
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "keys": [{"value": "a", "weight": -0.5}]})"),
            "keys[0].weight");
  EXPECT_EQ(FieldOfError(R"({"provider": "ollama"})"), "network_config.base_url");
  EXPECT_EQ(FieldOfError(R"({"provider": "my-sgl", "custom_provider_config": {"base_provider_type": "sgl"}})"),
            "network_config.base_url");
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "proxy_config": {"type": "socks5"}})"),
            "proxy_config.url");
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "proxy_config": {"type": "none", "url": "http://p"}})"),
            "proxy_config");
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "network_config": {"extra_headers": {"bad header": "x"}}})"),
            "network_config.extra_headers.bad header");
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "network_config": {"extra_headers": {"X-API-Key": "x"}}})"),
            "network_config.extra_headers.X-API-Key");
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "network_config": {"extra_headers": {"a": "x\r\ny: z"}}})"),
            "network_config.extra_headers.a");
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "keys": [{"value": "sk-p************************1234"}]})"),
            "keys[0].value");
  EXPECT_EQ(FieldOfError(R"({"provider": "openai", "proxy_config": {"type": "http", "url": "http://p", "password": "<REDACTED>"}})"),
            "proxy_config.password");
  EXPECT_EQ(FieldOfError(R"({"provider": "-leading-dash"})"), "name");
  EXPECT_EQ(FieldOfError(std::string(R"({"provider": ")") + std::string(65, 'a') + "\"}"), "name");
}

TEST(CanonicalizeTest, AcceptsTheBoundaries) {
  EXPECT_TRUE(CanonicalizeJson(R"({"provider": "openai", "keys": [{"value": "a", "weight": 0}]})").ok());
  EXPECT_TRUE(CanonicalizeJson(R"({"provider": "openai", "concurrency_and_buffer_size": {"concurrency": 5, "buffer_size": 5}})").ok());
  EXPECT_TRUE(CanonicalizeJson(R"({"provider": "openai", "network_config": {"retry_backoff_initial": 7, "retry_backoff_max": 7}})").ok());
  EXPECT_TRUE(CanonicalizeJson(R"({"provider": "ollama", "network_config": {"base_url": "http://localhost:11434"}})").ok());
  EXPECT_TRUE(CanonicalizeJson(R"({"provider": "openai", "proxy_config": {"type": "environment"}})").ok());
  EXPECT_TRUE(CanonicalizeJson(R"({"provider": "keyless", "keys": [{"name": "k"}], "custom_provider_config": {"base_provider_type": "openai", "is_key_less": true}})").ok());
}

TEST(TableHashTest, IsOrderIndependent) {
  EXPECT_EQ(TableHash({{"a", "1"}, {"b", "2"}}), TableHash({{"b", "2"}, {"a", "1"}}));
  EXPECT_NE(TableHash({{"a", "1"}, {"b", "2"}}), TableHash({{"a", "1"}, {"b", "3"}}));
  EXPECT_EQ(TableHash({}).size(), 64u);
}

}  // namespace
}  // namespace switchyard::common
