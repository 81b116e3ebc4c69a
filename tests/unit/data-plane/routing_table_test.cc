// The routing table: deltas share unchanged entries, a provider that does not compile is
// isolated, key environment references obey the data plane's rules.
#include "data-plane/table/routing_table.h"

#include <gtest/gtest.h>

#include "common/provider_config.h"

namespace switchyard::dp {
namespace {

v1::ProviderConfig Provider(const std::string& name, const std::string& description,
                            const std::string& key_value = "sk-literal") {
  v1::ProviderConfig config;
  config.set_name(name);
  config.mutable_custom_provider_config()->set_base_provider_type("openai");
  config.set_description(description);
  auto* key = config.add_keys();
  key->set_name("k");
  key->mutable_value()->set_value(key_value);
  return *common::Canonicalize(config);
}

KeyEnvironment Env(std::map<std::string, std::string> vars, std::vector<std::string> allow = {}) {
  return KeyEnvironment(
      [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      },
      std::move(allow));
}

// Issue 8 (h): every change used to reset every provider.
TEST(RoutingTableTest, ADeltaRebuildsOnlyTheChangedProviders) {
  const KeyEnvironment env = Env({});
  auto base = RoutingTable::Build(1, {Provider("a", "v1"), Provider("b", "v1")}, env);
  const ProviderEntry* a = base->Find("a");
  const ProviderEntry* b = base->Find("b");
  ASSERT_TRUE(a->limiter->TryAcquire());  // a request in flight on "a"
  auto next = RoutingTable::Apply(*base, 2, {Provider("b", "v2"), Provider("c", "v1")}, {}, env);
  EXPECT_EQ(next->Find("a"), a);  // the same entry: same counters
  EXPECT_EQ(next->Find("a")->limiter->in_flight(), 1);
  EXPECT_NE(next->Find("b"), b);
  EXPECT_EQ(next->Find("b")->config.description(), "v2");
  ASSERT_NE(next->Find("c"), nullptr);
  // Same hash as a table built from nothing with the same configs.
  auto fresh =
      RoutingTable::Build(2, {Provider("a", "v1"), Provider("b", "v2"), Provider("c", "v1")}, env);
  EXPECT_EQ(next->table_hash(), fresh->table_hash());
  auto deleted = RoutingTable::Apply(*next, 3, {}, {"b"}, env);
  EXPECT_EQ(deleted->Find("b"), nullptr);
  EXPECT_EQ(deleted->providers().size(), 2u);
  a->limiter->Release();
}

// Issue 8 (a): one provider that does not compile is isolated, not fatal.
TEST(RoutingTableTest, AProviderThatDoesNotCompileIsIsolated) {
  v1::ProviderConfig tampered = Provider("bad", "v1");
  tampered.set_config_hash(std::string(64, 'b'));
  auto table = RoutingTable::Build(1, {Provider("good", "v1"), tampered}, Env({}));
  EXPECT_EQ(table->Find("good")->state, ProviderEntry::State::kServed);
  EXPECT_EQ(table->Find("bad")->state, ProviderEntry::State::kBroken);
  EXPECT_NE(table->Find("bad")->unserved_reason.find("config_hash"), std::string::npos);
  EXPECT_EQ(table->broken_providers(), 1);
  // The table hash still covers it as distributed, so it matches the control plane's.
  EXPECT_EQ(table->table_hash(), common::TableHash({{"good", Provider("good", "v1").config_hash()},
                                                    {"bad", std::string(64, 'b')}}));
}

// Issue 10 (4): network_config.base_url replaces scheme, host and port; the family's path
// prefix stays unless the base URL names a path of its own.
TEST(RoutingTableTest, ABaseUrlOfHostOnlyKeepsTheFamilysPath) {
  auto provider = [](const std::string& name, const std::string& base_url) {
    v1::ProviderConfig config;
    config.set_name(name);
    auto* key = config.add_keys();
    key->set_name("k");
    key->mutable_value()->set_value("sk-literal");
    config.mutable_network_config()->set_base_url(base_url);
    return *common::Canonicalize(config);
  };
  auto table = RoutingTable::Build(
      1, {provider("groq", "http://127.0.0.1:9"), provider("openrouter", "http://127.0.0.1:9/mine/v1"),
          provider("gemini", "http://127.0.0.1:9/")},
      Env({}));
  ASSERT_EQ(table->Find("groq")->state, ProviderEntry::State::kServed);
  EXPECT_EQ(table->Find("groq")->endpoint.host, "127.0.0.1");
  EXPECT_EQ(table->Find("groq")->endpoint.base_path, "/openai");
  EXPECT_EQ(table->Find("openrouter")->endpoint.base_path, "/mine/v1");
  EXPECT_EQ(table->Find("gemini")->endpoint.base_path, "");
}

// Issue 8 (e): keys may not read the data plane's own variables; --key-env-allow narrows.
TEST(RoutingTableTest, KeyEnvironmentRefusesReservedAndUnlistedNames) {
  const std::map<std::string, std::string> vars = {
      {"SWITCHYARD_DATA_PLANE_TOKEN", "dp-secret"}, {"OPENAI_KEY", "sk-1"}, {"OTHER", "x"}};
  std::string value;
  EXPECT_EQ(Env(vars).Resolve("SWITCHYARD_DATA_PLANE_TOKEN", &value),
            KeyEnvironment::Result::kRefused);
  EXPECT_EQ(Env(vars).Resolve("OTHER", &value), KeyEnvironment::Result::kFound);
  EXPECT_EQ(Env(vars, {"OPENAI_"}).Resolve("OTHER", &value), KeyEnvironment::Result::kRefused);
  EXPECT_EQ(Env(vars, {"OPENAI_"}).Resolve("OPENAI_KEY", &value), KeyEnvironment::Result::kFound);
  EXPECT_EQ(value, "sk-1");
  EXPECT_EQ(Env(vars).Resolve("ABSENT", &value), KeyEnvironment::Result::kMissing);

  auto table =
      RoutingTable::Build(1, {Provider("p", "v1", "env.SWITCHYARD_DATA_PLANE_TOKEN")}, Env(vars));
  const ResolvedKey& key = table->Find("p")->keys[0];
  EXPECT_FALSE(key.enabled);
  EXPECT_TRUE(key.env_refused);
  EXPECT_TRUE(key.secret.empty());
  EXPECT_EQ(table->missing_env_keys(), 1);
}

}  // namespace
}  // namespace switchyard::dp
