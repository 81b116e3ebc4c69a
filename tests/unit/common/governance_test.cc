// The governance rules both planes share (common/governance.h).
#include "common/governance.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace switchyard::common {
namespace {

using std::chrono::seconds;
using v1::GovernanceObject;

TEST(ResetDuration, BifrostsUnits) {
  EXPECT_EQ(*ParseResetDuration("30s"), seconds(30));
  EXPECT_EQ(*ParseResetDuration("5m"), seconds(300));
  EXPECT_EQ(*ParseResetDuration("1h"), seconds(3600));
  EXPECT_EQ(*ParseResetDuration("1d"), seconds(86400));
  EXPECT_EQ(*ParseResetDuration("1w"), seconds(7 * 86400));
  EXPECT_EQ(*ParseResetDuration("1M"), seconds(30 * 86400));
  EXPECT_EQ(*ParseResetDuration("1Y"), seconds(365 * 86400));
  for (const char* bad : {"", "h", "1", "0m", "1x", "-1h", "1.5h", "1 h", "99999999999d"}) {
    EXPECT_FALSE(ParseResetDuration(bad).ok()) << bad;
  }
}

TEST(ResetDuration, WindowsAreAlignedToTheEpoch) {
  const auto at = std::chrono::system_clock::time_point(seconds(1'700'000'123));
  EXPECT_EQ(WindowStart(at, seconds(60)).time_since_epoch(), seconds(1'700'000'100));
  EXPECT_EQ(WindowStart(at, seconds(3600)).time_since_epoch(), seconds(1'699'999'200));
}

GovernanceObject Key(const std::string& json) {
  absl::StatusOr<GovernanceObject> object = GovernanceFromJson(kVirtualKeyKind, json);
  EXPECT_TRUE(object.ok()) << object.status();
  return *object;
}

TEST(Canonical, DefaultsSortingAndAStableHash) {
  absl::StatusOr<GovernanceObject> a = CanonicalizeGovernance(Key(R"({
    "name": "k", "provider_configs": [
      {"provider": "openai", "allowed_models": ["b", "a", "a"]},
      {"provider": "anthropic", "allowed_models": ["*"]}]})"));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->virtual_key().is_active());
  ASSERT_EQ(a->virtual_key().provider_configs_size(), 2);
  EXPECT_EQ(a->virtual_key().provider_configs(0).provider(), "anthropic");
  EXPECT_EQ(a->virtual_key().provider_configs(0).allowed_models_size(), 0);  // "*" = all
  EXPECT_EQ(a->virtual_key().provider_configs(1).allowed_models_size(), 2);
  EXPECT_EQ(a->virtual_key().provider_configs(1).weight(), 1.0);
  // The same key written another way hashes the same; a real change does not.
  absl::StatusOr<GovernanceObject> b = CanonicalizeGovernance(Key(R"({
    "provider_configs": [{"provider": "anthropic"}, {"provider": "openai", "allowed_models": ["a", "b"]}],
    "name": "k", "is_active": true, "rate_limit": {}})"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(GovernanceHash(*a), GovernanceHash(*b));
  absl::StatusOr<GovernanceObject> c = CanonicalizeGovernance(Key(R"({"name": "k2"})"));
  EXPECT_NE(GovernanceHash(*a), GovernanceHash(*c));
}

TEST(Canonical, RefusesBadInputNamingTheField) {
  struct Case {
    const char* json;
    const char* field;
  };
  for (const Case& bad : {
           Case{R"({"name": ""})", "name"},
           Case{R"({"name": "k", "rate_limit": {"request_max_limit": 0, "request_reset_duration": "1m"}})",
                "rate_limit.request_max_limit"},
           Case{R"({"name": "k", "rate_limit": {"request_max_limit": 5}})", "rate_limit.request_reset_duration"},
           Case{R"({"name": "k", "rate_limit": {"token_reset_duration": "1m"}})", "rate_limit.token_reset_duration"},
           Case{R"({"name": "k", "budget": {"max_limit": 0, "reset_duration": "1d"}})", "budget.max_limit"},
           Case{R"({"name": "k", "team_id": "t", "customer_id": "c"})", "customer_id"},
           Case{R"({"name": "k", "provider_configs": [{"provider": "a"}, {"provider": "a"}]})", "provider_configs"},
           Case{R"({"name": "k", "provider_configs": [{"provider": "a", "weight": -1}]})",
                "provider_configs[0].weight"},
       }) {
    absl::StatusOr<GovernanceObject> result = CanonicalizeGovernance(Key(bad.json));
    ASSERT_FALSE(result.ok()) << bad.json;
    EXPECT_EQ(FieldOf(result.status()), bad.field) << bad.json << ": " << result.status();
  }
}

TEST(Json, ServerOwnedFieldsAreIgnoredAndUnknownOnesRefused) {
  GovernanceObject key = Key(R"({"name": "k", "id": "vk-1", "value": "sk-bf-x", "value_sha256": "00",
                                 "config_hash": "h", "usage": {"spend": 1},
                                 "budget": {"max_limit": 1, "reset_duration": "1d", "exhausted_until": "2030-01-01T00:00:00Z"}})");
  EXPECT_EQ(key.virtual_key().id(), "");
  EXPECT_EQ(key.virtual_key().value(), "");
  EXPECT_EQ(key.virtual_key().value_sha256(), "");
  EXPECT_EQ(key.virtual_key().budget().exhausted_until(), "");  // the control plane's to set
  EXPECT_FALSE(GovernanceFromJson(kVirtualKeyKind, R"({"name": "k", "nope": 1})").ok());
  EXPECT_FALSE(GovernanceFromJson(kVirtualKeyKind, "[1]").ok());
  EXPECT_FALSE(GovernanceFromJson("bogus", "{}").ok());
}

TEST(Json, PrintsLimitsAsNumbersAndNeverTheHash) {
  GovernanceObject key = Key(R"({"name": "k", "rate_limit": {"request_max_limit": 7, "request_reset_duration": "1m"}})");
  key.mutable_virtual_key()->set_value_sha256("abcdef");
  const std::string json = GovernanceToJson(key);
  EXPECT_NE(json.find("\"request_max_limit\":7"), std::string::npos) << json;
  EXPECT_EQ(json.find("abcdef"), std::string::npos) << json;
  EXPECT_EQ(json.find("value_sha256"), std::string::npos) << json;
}

TEST(Values, KeysAndIdsAreRandomAndWellFormed) {
  const std::string a = NewVirtualKeyValue();
  const std::string b = NewVirtualKeyValue();
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("sk-bf-"));
  EXPECT_EQ(a.size(), 6u + 43u);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 6),
            std::string::npos);
  EXPECT_TRUE(NewObjectId("vk").starts_with("vk-"));
  EXPECT_EQ(NewObjectId("vk").size(), 3u + 24u);
}

TEST(TableHash, WithoutGovernanceItIsTheProvidersHash) {
  EXPECT_EQ(CombineTableHash("p", ""), "p");
  EXPECT_NE(CombineTableHash("p", "g"), "p");
  EXPECT_EQ(GovernanceTableHash({}), "");
  EXPECT_EQ(GovernanceTableHash({{"virtual_key/b", "2"}, {"team/a", "1"}}),
            GovernanceTableHash({{"team/a", "1"}, {"virtual_key/b", "2"}}));
}

}  // namespace
}  // namespace switchyard::common
