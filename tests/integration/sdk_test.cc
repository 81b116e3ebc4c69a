// Official client SDKs (tests/sdk, npm, pinned by package-lock.json, installed by make deps)
// against a real data plane: a translation is done when the official client accepts it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/control_plane_fixture.h"
#include "tests/support/process.h"

namespace switchyard::testing {
namespace {

using nlohmann::json;

class SdkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    postgres_ = PostgresServer::Start();
    control_plane_ = std::make_unique<ControlPlane>(ControlPlane::Start(postgres_->dsn()));
    mock_ = std::make_unique<Process>(Process::Start(SWITCHYARD_MOCK_PROVIDER_BIN, {}));
    mock_address_ = AddressIn(mock_->WaitForLine("msg=listening"));
    data_plane_ = std::make_unique<DataPlane>(
        DataPlane::Start(control_plane_->grpc, "dp-sdk", {}, {{"KEY_A", "sk-key-a"}}));
  }
  static void TearDownTestSuite() {
    data_plane_.reset();
    mock_.reset();
    control_plane_.reset();
    postgres_.reset();
  }

  // A provider on the mock; `base_type` makes it a custom provider of that family.
  static void Configure(const std::string& name, const std::string& base_type = "") {
    json config = {{"keys", json::array({{{"name", "a"}, {"value", "env.KEY_A"}}})},
                   {"network_config", {{"base_url", "http://" + mock_address_}}}};
    if (!base_type.empty()) {
      config["custom_provider_config"] = {
          {"base_provider_type", base_type},
          {"allowed_requests", {{"chat_completion", true}, {"chat_completion_stream", true}}}};
    }
    ASSERT_LT(Admin(*control_plane_, "PUT", "/api/providers/" + name, config.dump()).status, 300);
    ASSERT_TRUE(Eventually([&] {
      for (const json& provider : data_plane_->Config().value("providers", json::array())) {
        if (provider["name"] == name) return true;
      }
      return false;
    }));
  }

  // Runs a script of tests/sdk with node; its output on failure.
  static std::string Node(const std::string& script, const std::string& arguments, int* code) {
    const std::string dir = SWITCHYARD_SDK_DIR;
    if (!std::filesystem::exists(dir + "/node_modules")) {
      *code = -1;
      return "tests/sdk/node_modules is missing: run make deps (npm ci in tests/sdk)";
    }
    const std::string out = std::filesystem::temp_directory_path() / "switchyard-sdk.out";
    *code = std::system(("cd " + dir + " && node " + script + " " + arguments + " > " + out +
                         " 2>&1")
                            .c_str());
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

  static std::unique_ptr<PostgresServer> postgres_;
  static std::unique_ptr<ControlPlane> control_plane_;
  static std::unique_ptr<Process> mock_;
  static std::string mock_address_;
  static std::unique_ptr<DataPlane> data_plane_;
};

std::unique_ptr<PostgresServer> SdkTest::postgres_;
std::unique_ptr<ControlPlane> SdkTest::control_plane_;
std::unique_ptr<Process> SdkTest::mock_;
std::string SdkTest::mock_address_;
std::unique_ptr<DataPlane> SdkTest::data_plane_;

TEST_F(SdkTest, OpenAiSdkTalksToAnOpenAiCompatibleProvider) {
  Configure("openai");
  int code = 0;
  const std::string out =
      Node("openai_chat.mjs", "http://" + data_plane_->http + "/v1 openai/gpt-4o-mini", &code);
  EXPECT_EQ(code, 0) << out;
}

// Issue 9: the OpenAI SDK accepts what the anthropic adapter translates, streams included,
// for the standard provider and for a custom provider built on anthropic (seed 003).
TEST_F(SdkTest, OpenAiSdkTalksToAnAnthropicProviderThroughTheTranslation) {
  Configure("anthropic");
  int code = 0;
  std::string out = Node("openai_chat.mjs",
                         "http://" + data_plane_->http + "/v1 anthropic/claude-mock-model", &code);
  EXPECT_EQ(code, 0) << out;
  Configure("team-claude", "anthropic");
  HttpCall("DELETE", mock_address_, "/_mock/requests");
  out = Node("openai_chat.mjs", "http://" + data_plane_->http + "/v1 team-claude/claude-mock-model",
             &code);
  EXPECT_EQ(code, 0) << out;
  // It went out in Anthropic's dialect (the mock answers by path).
  const json received = JsonOf(HttpCall("GET", mock_address_, "/_mock/requests"))["requests"];
  ASSERT_FALSE(received.empty());
  for (const json& request : received) EXPECT_EQ(request["path"], "/v1/messages");
}

// Issue 9: unchanged Anthropic clients on the native route reach anthropic providers (the body
// passes through, model rewritten), with bare model names meaning the provider "anthropic".
TEST_F(SdkTest, AnthropicSdkTalksToAnAnthropicProviderOnTheNativeRoute) {
  Configure("anthropic");
  int code = 0;
  std::string out = Node("anthropic_messages.mjs",
                         "http://" + data_plane_->http + "/anthropic claude-mock-model", &code);
  EXPECT_EQ(code, 0) << out;
  out = Node("anthropic_messages.mjs",
             "http://" + data_plane_->http + "/anthropic anthropic/claude-mock-model", &code);
  EXPECT_EQ(code, 0) << out;
  // Other families on this route are not translated yet: a clear 501, never a fake answer.
  Configure("openai");
  const HttpResult refused = HttpCall(
      "POST", data_plane_->http, "/anthropic/v1/messages",
      R"({"model": "openai/gpt-4o-mini", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]})");
  EXPECT_EQ(refused.status, 501) << refused.body;
  EXPECT_NE(refused.body.find("not built yet"), std::string::npos) << refused.body;
}

}  // namespace
}  // namespace switchyard::testing
