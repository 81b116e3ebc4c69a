// The request path's governance (data-plane/router/governance.h) over a GovernanceTable built
// from objects, without processes: credentials, windows, access, usage scanning and charges.
#include "data-plane/router/governance.h"

#include <gtest/gtest.h>

#include "common/governance.h"
#include "common/sha256.h"

namespace switchyard::dp {
namespace {

constexpr int64_t kNow = 1'700'000'000;  // 2023-11-14T22:13:20Z

struct Fixture {
  UsageCounters counters;
  std::shared_ptr<const GovernanceTable> table;

  void Build(const std::vector<v1::GovernanceObject>& objects) {
    GovernanceTable::Objects map;
    for (const auto& object : objects) {
      map[{std::string(common::KindOf(object)), common::IdOf(object)}] = object;
    }
    table = GovernanceTable::Build(std::move(map), &counters);
  }
};

v1::GovernanceObject Key(const std::string& id, const std::string& value, const std::string& json) {
  absl::StatusOr<v1::GovernanceObject> object = common::GovernanceFromJson("virtual_key", json);
  EXPECT_TRUE(object.ok()) << object.status();
  object->mutable_virtual_key()->set_id(id);
  object->mutable_virtual_key()->set_value_sha256(common::Sha256Hex(value));
  return *common::CanonicalizeGovernance(*object);
}

TEST(PresentedKey, EachSdksHeaderAndTheQuery) {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(FindPresentedKey(Headers{{"x-bf-vk", "a"}, {"authorization", "Bearer b"}}, "").value, "a");
  EXPECT_TRUE(FindPresentedKey(Headers{{"x-bf-vk", "a"}}, "").marked);
  EXPECT_EQ(FindPresentedKey(Headers{{"Authorization", "bearer sk-bf-b"}}, "").value, "sk-bf-b");
  EXPECT_TRUE(FindPresentedKey(Headers{{"authorization", "Bearer sk-bf-b"}}, "").marked);
  EXPECT_FALSE(FindPresentedKey(Headers{{"authorization", "Bearer sk-openai"}}, "").marked);
  EXPECT_EQ(FindPresentedKey(Headers{{"x-api-key", "c"}}, "").value, "c");
  EXPECT_EQ(FindPresentedKey(Headers{{"x-goog-api-key", "d"}}, "").value, "d");
  EXPECT_EQ(FindPresentedKey(Headers{{"api-key", "e"}}, "").value, "e");
  EXPECT_EQ(FindPresentedKey(Headers{}, "alt=sse&key=sk-bf-f").value, "sk-bf-f");
  EXPECT_EQ(FindPresentedKey(Headers{}, "monkey=1").value, "");
  // A SigV4 signature is not a key.
  EXPECT_EQ(FindPresentedKey(Headers{{"authorization", "AWS4-HMAC-SHA256 Credential=x"}}, "").value, "");
}

TEST(Authenticate, UnknownInactiveAndOptional) {
  Fixture f;
  f.Build({Key("vk-1", "sk-bf-good", R"({"name": "good"})"),
           Key("vk-2", "sk-bf-off", R"({"name": "off", "is_active": false})")});
  EXPECT_EQ(Authenticate(f.table.get(), {"sk-bf-good", true}, true).key->name, "good");
  EXPECT_EQ(Authenticate(f.table.get(), {"sk-bf-bad", true}, true).refusal->error.http_status, 401);
  EXPECT_EQ(Authenticate(f.table.get(), {"", false}, true).refusal->error.http_status, 401);
  Authentication off = Authenticate(f.table.get(), {"sk-bf-off", true}, true);
  ASSERT_TRUE(off.refusal);
  EXPECT_NE(off.refusal->error.message.find("inactive"), std::string::npos);
  // Not required: an SDK's placeholder passes ungoverned; a virtual key is still checked.
  Authentication open = Authenticate(f.table.get(), {"sk-placeholder", false}, false);
  EXPECT_FALSE(open.refusal);
  EXPECT_EQ(open.key, nullptr);
  EXPECT_TRUE(Authenticate(f.table.get(), {"sk-bf-bad", true}, false).refusal);
  EXPECT_TRUE(Authenticate(nullptr, {"sk-bf-good", true}, false).refusal);
}

TEST(Windows, RequestsPerWindowThenTheNextWindow) {
  Fixture f;
  f.Build({Key("vk-1", "v", R"({"name": "k", "rate_limit": {"request_max_limit": 2, "request_reset_duration": "1m"}})")});
  const CompiledKey& key = *Authenticate(f.table.get(), {"v", true}, true).key;
  const int64_t start = kNow - kNow % 60;
  EXPECT_FALSE(AdmitRequest(key, start + 1));
  EXPECT_FALSE(AdmitRequest(key, start + 2));
  std::optional<Refusal> refused = AdmitRequest(key, start + 10);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->error.http_status, 429);
  EXPECT_EQ(refused->error.retry_after_s, 50);
  EXPECT_FALSE(AdmitRequest(key, start + 60));  // a new window
}

TEST(Windows, ARefusalAtOneLevelUndoesTheOthers) {
  Fixture f;
  absl::StatusOr<v1::GovernanceObject> team = common::GovernanceFromJson(
      "team", R"({"name": "t", "rate_limit": {"request_max_limit": 1, "request_reset_duration": "1h"}})");
  team->mutable_team()->set_id("team-1");
  f.Build({*common::CanonicalizeGovernance(*team),
           Key("vk-1", "v", R"({"name": "k", "team_id": "team-1", "rate_limit": {"request_max_limit": 5, "request_reset_duration": "1h"}})")});
  const CompiledKey& key = *Authenticate(f.table.get(), {"v", true}, true).key;
  ASSERT_EQ(key.levels.size(), 2u);
  EXPECT_FALSE(AdmitRequest(key, kNow));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(AdmitRequest(key, kNow));  // the team's is full
  // The key's own window counted only the request that passed.
  EXPECT_EQ(key.levels[0]->counters->requests.count.load(), 1);
}

TEST(Access, ProviderConfigsAndTheirModels) {
  Fixture f;
  f.Build({Key("vk-1", "v", R"({"name": "k", "provider_configs": [{"provider": "openai", "allowed_models": ["gpt-4o"]}, {"provider": "groq"}]})")});
  const CompiledKey& key = *Authenticate(f.table.get(), {"v", true}, true).key;
  const GovernanceLevel* level = nullptr;
  EXPECT_FALSE(AdmitProvider(key, "openai", "gpt-4o", kNow, &level));
  EXPECT_FALSE(AdmitProvider(key, "groq", "anything", kNow, &level));
  EXPECT_EQ(AdmitProvider(key, "openai", "gpt-4.1", kNow, &level)->error.http_status, 403);
  EXPECT_EQ(AdmitProvider(key, "anthropic", "claude", kNow, &level)->error.http_status, 403);
}

TEST(Usage, EverySurfacesFieldsAcrossPieces) {
  UsageScanner openai;
  openai.Feed(R"({"usage":{"prompt_tokens":12,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4}}})");
  EXPECT_EQ(openai.usage().input, 12);
  EXPECT_EQ(openai.usage().output, 3);
  EXPECT_EQ(openai.usage().cached, 4);
  // Anthropic's stream: input in message_start, output growing in message_delta; a field cut
  // between two pieces.
  UsageScanner anthropic;
  anthropic.Feed("event: message_start\ndata: {\"usage\":{\"input_tokens\":25,\"output_tok");
  anthropic.Feed("ens\":1}}\n\nevent: message_delta\ndata: {\"usage\":{\"output_tokens\":15}}\n\n");
  EXPECT_EQ(anthropic.usage().input, 25);
  EXPECT_EQ(anthropic.usage().output, 15);
  UsageScanner gemini;
  gemini.Feed(R"({"usageMetadata":{"promptTokenCount": 7,"candidatesTokenCount": 2}})");
  EXPECT_EQ(gemini.usage().total(), 9);
  UsageScanner bedrock;
  bedrock.Feed(R"({"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7}})");
  EXPECT_EQ(bedrock.usage().total(), 7);
}

TEST(Charge, TokensIntoWindowsAndCostIntoBudgets) {
  Fixture f;
  absl::StatusOr<v1::GovernanceObject> price = common::GovernanceFromJson(
      "price", R"({"provider": "openai", "model": "gpt-4o", "input_per_million": 2, "output_per_million": 8, "cached_input_per_million": 1})");
  f.Build({*common::CanonicalizeGovernance(*price),
           Key("vk-1", "v", R"({"name": "k", "budget": {"max_limit": 10, "reset_duration": "1d"},
               "rate_limit": {"token_max_limit": 100, "token_reset_duration": "1h"}})")});
  const CompiledKey& key = *Authenticate(f.table.get(), {"v", true}, true).key;
  const ModelPrice* cost = f.table->FindPrice("openai", "gpt-4o");
  ASSERT_NE(cost, nullptr);
  EXPECT_EQ(f.table->FindPrice("openai", "other"), nullptr);
  // 1,000,000 input of which 500,000 cached, 100,000 output: $1 + $0.5 + $0.8.
  Charge(key, nullptr, TokenUsage{1'000'000, 100'000, 500'000}, cost, kNow);
  EXPECT_EQ(key.counters->unreported_spend_nanodollars.load(), 2'300'000'000);
  EXPECT_EQ(key.counters->total_tokens.load(), 1'100'000);
  // The token window is now over its limit: the next request is refused.
  EXPECT_EQ(AdmitRequest(key, kNow)->error.http_status, 429);
}

TEST(Budget, AnExhaustedMarkRefusesUntilItsTime) {
  Fixture f;
  v1::GovernanceObject key = Key("vk-1", "v", R"({"name": "k", "budget": {"max_limit": 1, "reset_duration": "1d"}})");
  key.mutable_virtual_key()->mutable_budget()->set_exhausted_until("2023-11-15T00:00:00Z");  // 1700006400
  f.Build({key});
  const CompiledKey& compiled = *Authenticate(f.table.get(), {"v", true}, true).key;
  std::optional<Refusal> refused = AdmitRequest(compiled, kNow);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->error.http_status, 402);
  EXPECT_NE(refused->error.message.find("2023-11-15T00:00:00Z"), std::string::npos);
  EXPECT_FALSE(AdmitRequest(compiled, 1'700'006'400));  // the period ended
}

}  // namespace
}  // namespace switchyard::dp
