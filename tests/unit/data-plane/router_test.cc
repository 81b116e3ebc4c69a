// Pure request-path rules: retry backoff, key choice, request-body rewriting.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data-plane/http/request_body.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/router/key_selector.h"
#include "data-plane/router/retry_policy.h"

namespace switchyard::dp {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicyTest, RetriesConnectionErrorsTimeoutsRateLimitsAndServerErrors) {
  for (int status : {408, 429, 500, 502, 503, 504}) EXPECT_TRUE(IsRetryableStatus(status));
  for (int status : {200, 400, 401, 403, 404, 422}) EXPECT_FALSE(IsRetryableStatus(status));
}

TEST(RetryPolicyTest, BackoffDoublesUpToTheMaxWithTwentyPercentJitter) {
  EXPECT_EQ(RetryBackoff(0, milliseconds(500), milliseconds(5000), 0.5, std::nullopt),
            milliseconds(500));
  EXPECT_EQ(RetryBackoff(1, milliseconds(500), milliseconds(5000), 0.5, std::nullopt),
            milliseconds(1000));
  EXPECT_EQ(RetryBackoff(10, milliseconds(500), milliseconds(5000), 0.5, std::nullopt),
            milliseconds(5000));
  EXPECT_EQ(RetryBackoff(0, milliseconds(500), milliseconds(5000), 0.0, std::nullopt),
            milliseconds(400));
  EXPECT_EQ(RetryBackoff(0, milliseconds(500), milliseconds(5000), 1.0, std::nullopt),
            milliseconds(600));
  // Retry-After is honoured up to the max backoff.
  EXPECT_EQ(RetryBackoff(0, milliseconds(500), milliseconds(5000), 0.5, milliseconds(2000)),
            milliseconds(2000));
  EXPECT_EQ(RetryBackoff(0, milliseconds(500), milliseconds(5000), 0.5, milliseconds(60000)),
            milliseconds(5000));
  EXPECT_EQ(ParseRetryAfter("3"), milliseconds(3000));
  EXPECT_EQ(ParseRetryAfter("0.5"), milliseconds(500));
  EXPECT_FALSE(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
  EXPECT_FALSE(ParseRetryAfter("-1").has_value());
}

ResolvedKey Key(std::string name, double weight, std::vector<std::string> models,
                bool enabled = true) {
  ResolvedKey key;
  key.name = std::move(name);
  key.weight = weight;
  key.models = std::move(models);
  key.enabled = enabled;
  return key;
}

TEST(KeySelectorTest, ChoosesByWeightAmongKeysServingTheModel) {
  ProviderEntry provider;
  provider.keys = {Key("a", 3, {"*"}), Key("b", 1, {"*"}), Key("zero", 0, {"*"}),
                   Key("off", 5, {"*"}, false), Key("o1-only", 5, {"o1"})};
  std::mt19937_64 random(7);
  std::map<std::string, int> picks;
  for (int i = 0; i < 40000; ++i) picks[SelectKey(provider, "gpt-4o", random)->name]++;
  EXPECT_EQ(picks.count("zero"), 0u);
  EXPECT_EQ(picks.count("off"), 0u);
  EXPECT_EQ(picks.count("o1-only"), 0u);
  EXPECT_NEAR(picks["a"] / 40000.0, 0.75, 0.02);
  EXPECT_EQ(SelectKey(provider, "o1", random) != nullptr, true);

  ProviderEntry none;
  none.keys = {Key("zero", 0, {"*"}), Key("other-model", 1, {"m"})};
  EXPECT_EQ(SelectKey(none, "gpt-4o", random), nullptr);
}

TEST(RequestBodyTest, RewritesOnlyTheModel) {
  const std::string text =
      R"({ "messages": [{"role": "user", "content": "a \"quoted\" model: x/y"}],)"
      R"( "model" : "openai/gpt-4o" , "temperature": 0.2 })";
  auto body = ParseRequestBody(text, 10);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->model, "openai/gpt-4o");
  EXPECT_FALSE(body->stream);
  const std::string upstream = RewriteBody(*body, "gpt-4o", false);
  std::string expected = text;
  expected.replace(expected.find("\"openai/gpt-4o\""), 15, "\"gpt-4o\"");
  EXPECT_EQ(upstream, expected);  // byte for byte, apart from the model
}

TEST(RequestBodyTest, RemovesBifrostFieldsAndMergesExtraParams) {
  auto body = ParseRequestBody(
      R"({"model": "a/b", "stream": true, "fallbacks": ["c/d"], "nested": {"keep": 1},)"
      R"( "extra_params": {"custom": "v", "nested": {"added": 2}}})",
      10);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_TRUE(body->stream);
  EXPECT_EQ(body->fallbacks, std::vector<std::string>{"c/d"});
  auto merged = nlohmann::json::parse(RewriteBody(*body, "b", true));
  EXPECT_EQ(merged["model"], "b");
  EXPECT_FALSE(merged.contains("fallbacks"));
  EXPECT_FALSE(merged.contains("extra_params"));
  EXPECT_EQ(merged["custom"], "v");
  EXPECT_EQ(merged["nested"], nlohmann::json({{"keep", 1}, {"added", 2}}));
  // Without the passthrough header Bifrost's extra_params never reach the provider.
  auto untouched = nlohmann::json::parse(RewriteBody(*body, "b", false));
  EXPECT_FALSE(untouched.contains("extra_params"));
  EXPECT_FALSE(untouched.contains("custom"));
}

// Issue 8 (m): extra_params could override the fields the gateway handles; a plain request
// came back as SSE.
TEST(RequestBodyTest, ExtraParamsCannotOverrideGatewayFields) {
  auto body = ParseRequestBody(
      R"({"model": "a/b", "extra_params": {"model": "evil", "stream": true, "top_k": 3}})", 10);
  ASSERT_TRUE(body.ok()) << body.status();
  auto merged = nlohmann::json::parse(RewriteBody(*body, "b", true));
  EXPECT_EQ(merged["model"], "b");
  EXPECT_FALSE(merged.contains("stream"));
  EXPECT_EQ(merged["top_k"], 3);
}

// Issue 8 (f): the on-demand parse skipped values it did not read, so invalid JSON was
// forwarded to the provider.
TEST(RequestBodyTest, ValidatesTheWholeBody) {
  for (const char* bad :
       {R"({"model": "openai/gpt-4o-mini", "messages": [], "temperature": tru})",
        R"({"model": "a/b", "messages": [{"role": "user", "content": "x"}], "x": [1,]})",
        R"({"model": "a/b", "messages": "hello"})", R"({"model": "a/b", "temperature": "hot"})",
        R"({"model": "a/b", "max_tokens": 1.5})", R"({"model": "a/b", "n": "2"})",
        "{\"model\": \"a/b\", \"bad\": \"\xff\"}"}) {
    EXPECT_FALSE(ParseRequestBody(bad, 10).ok()) << bad;
  }
  EXPECT_TRUE(
      ParseRequestBody(R"({"model": "a/b", "temperature": null, "max_tokens": 5})", 10).ok());
}

// Translating adapters read stream_options.include_usage from the one parse of the body.
TEST(RequestBodyTest, ReadsWhetherTheStreamWantsUsage) {
  auto with = ParseRequestBody(R"({"model":"a/b","stream":true,"stream_options":{"include_usage":true}})", 10);
  ASSERT_TRUE(with.ok());
  EXPECT_TRUE(with->include_usage);
  auto without = ParseRequestBody(R"({"model":"a/b","stream":true,"stream_options":{}})", 10);
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without->include_usage);
}

// Issue 8 (g): at most 10 fallbacks.
TEST(RequestBodyTest, AtMostTenFallbacks) {
  std::string ten = R"({"model": "a/b", "fallbacks": [)";
  for (int i = 0; i < 10; ++i)
    ten += std::string(i ? "," : "") + "\"p/m" + std::to_string(i) + "\"";
  EXPECT_TRUE(ParseRequestBody(ten + "]}", 10).ok());
  EXPECT_FALSE(ParseRequestBody(ten + R"(, "p/m10"]})", 10).ok());
}

TEST(RequestBodyTest, RejectsWhatIsNotAnInferenceBody) {
  for (const char* bad : {"", "not json", "[1]", R"({"messages": []})", R"({"model": 3})",
                          R"({"model": "a/b", "stream": "yes"})",
                          R"({"model": "a/b", "fallbacks": "c/d"})",
                          R"({"model": "a/b", "fallbacks": [1]})"}) {
    EXPECT_FALSE(ParseRequestBody(bad, 10).ok()) << bad;
  }
}

}  // namespace
}  // namespace switchyard::dp
