// Official client SDKs (tests/sdk, npm, pinned by package-lock.json, installed by make deps)
// against a real data plane: a translation is done when the official client accepts it.
#include <gtest/gtest.h>
#include <unistd.h>

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
  static void Configure(const std::string& name, json network = json::object(),
                        const std::string& base_type = "") {
    network["base_url"] = "http://" + mock_address_;
    json config = {{"keys", json::array({{{"name", "a"}, {"value", "env.KEY_A"}}})},
                   {"network_config", network}};
    if (!base_type.empty()) {
      config["custom_provider_config"] = {
          {"base_provider_type", base_type},
          {"allowed_requests",
           {{"chat_completion", true}, {"chat_completion_stream", true}, {"count_tokens", true}}}};
    }
    Put(name, config);
  }
  // Creates or replaces a provider and waits until the data plane has it.
  static void Put(const std::string& name, const json& config) {
    ASSERT_LT(Admin(*control_plane_, "PUT", "/api/providers/" + name, config.dump()).status, 300);
    ASSERT_TRUE(Eventually([&] {
      for (const json& provider : data_plane_->Config().value("providers", json::array())) {
        if (provider["name"] == name) return true;
      }
      return false;
    }));
  }

  // The providers both suites reach: an OpenAI-compatible one, the standard anthropic provider
  // (retries for 529; a beta override), a custom provider built on anthropic (seed 003),
  // gemini, and vertex (both publishers; tokens from the mock's token endpoint).
  static void ConfigureTargets() {
    Configure("openai");
    Configure("anthropic", {{"max_retries", 2},
                                     {"retry_backoff_initial", 10},
                                     {"retry_backoff_max", 50},
                                     {"beta_header_overrides", {{"made-up-", false}}}});
    Configure("team-claude", json::object(), "anthropic");
    Configure("gemini");
    Configure("cohere");
    Put("bedrock", {{"keys", json::array({{{"name", "iam"},
                                           {"bedrock_key_config", {{"access_key", "AKIDSDK"},
                                                                   {"secret_key", "secret-AKIDSDK"},
                                                                   {"region", "eu-west-1"}}}}})},
                    {"network_config", {{"base_url", "http://" + mock_address_}}}});
    // Vertex AI with a service-account key file from the mock's Google auth.
    const json account = JsonOf(HttpCall(
        "GET", mock_address_, "/_mock/service_account?client_email=sdk@mock.iam.gserviceaccount.com"));
    const json vertex = {
        {"keys", json::array({{{"name", "sa"},
                               {"vertex_key_config", {{"project_id", "p-1"},
                                                      {"region", "us-central1"},
                                                      {"auth_credentials", account.dump()}}}}})},
        {"network_config", {{"base_url", "http://" + mock_address_}}}};
    Put("vertex", vertex);
    Put("azure", {{"keys", json::array({{{"name", "a"}, {"value", "env.KEY_A"},
                                         {"azure_key_config",
                                          {{"endpoint", "http://" + mock_address_},
                                           {"deployments", {{"gpt-4o", "prod-4o"}}}}}}})}});
  }

  // Runs a node:test suite of tests/sdk against the data plane and the mock; its output.
  static std::string NodeTest(const std::string& file, int* code) {
    const std::string dir = SWITCHYARD_SDK_DIR;
    if (!std::filesystem::exists(dir + "/node_modules")) {
      *code = -1;
      return "tests/sdk/node_modules is missing: run make deps (npm ci in tests/sdk)";
    }
    // Per test process: two suites running at once on one machine must not share the file.
    const std::string out = std::filesystem::temp_directory_path() /
                            ("switchyard-sdk-" + std::to_string(getpid()) + ".out");
    // One test at a time: scripted mock answers are consumed in order.
    *code = std::system(("cd " + dir + " && SWITCHYARD_DATA_PLANE=" + data_plane_->http +
                         " SWITCHYARD_MOCK=" + mock_address_ + governed_env_ +
                         " node --test --test-concurrency=1 --test-timeout=60000 " + file + " > " +
                         out + " 2>&1")
                            .c_str());
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

  static std::unique_ptr<PostgresServer> postgres_;
  static std::unique_ptr<ControlPlane> control_plane_;
  static std::unique_ptr<Process> mock_;
  static std::string mock_address_;
  static std::unique_ptr<DataPlane> data_plane_;
  static inline std::string governed_env_;  // for governance.test.mjs
};

std::unique_ptr<PostgresServer> SdkTest::postgres_;
std::unique_ptr<ControlPlane> SdkTest::control_plane_;
std::unique_ptr<Process> SdkTest::mock_;
std::string SdkTest::mock_address_;
std::unique_ptr<DataPlane> SdkTest::data_plane_;

// Issue 9: the official OpenAI SDK (plain, streamed, tool calls streamed and reassembled,
// usage, error types) against an OpenAI-compatible provider and anthropic providers through
// the translation. The suite's cases are in tests/sdk/openai.test.mjs.
TEST_F(SdkTest, OpenAiSdkSuite) {
  ConfigureTargets();
  int code = 0;
  const std::string out = NodeTest("openai.test.mjs", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
}

// Issue 9: the official Anthropic SDK on the native /anthropic route against anthropic
// providers (pass-through) and an OpenAI-compatible one (translated both ways): messages,
// streams, tool use, count_tokens, anthropic-beta, 529 retries, error types.
// tests/sdk/anthropic.test.mjs.
TEST_F(SdkTest, AnthropicSdkSuite) {
  ConfigureTargets();
  int code = 0;
  const std::string out = NodeTest("anthropic.test.mjs", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
}

// Issue 10: the official Google GenAI SDK on the native /genai route against gemini providers
// (pass-through) and providers of other families (translated both ways): generateContent,
// streams, function calls and responses, embeddings, countTokens, errors.
// tests/sdk/genai.test.mjs.
// Issue 11 point 4: openai's AzureOpenAI client on the data plane's /openai/deployments/…
// route, reaching the azure provider and (through "provider/model") others. azure.test.mjs.
TEST_F(SdkTest, AzureOpenAiClientSuite) {
  ConfigureTargets();
  int code = 0;
  const std::string out = NodeTest("azure.test.mjs", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
}

// Issue 11 point 3: the official Cohere SDK (CohereClientV2) on the native /cohere route
// against the cohere provider and other families. tests/sdk/cohere.test.mjs.
TEST_F(SdkTest, CohereSdkSuite) {
  ConfigureTargets();
  int code = 0;
  const std::string out = NodeTest("cohere.test.mjs", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
}

// Issue 11 point 2: the official AWS SDK (BedrockRuntimeClient) on the native /bedrock route
// against the bedrock provider and other families. tests/sdk/bedrock.test.mjs.
TEST_F(SdkTest, AwsBedrockSdkSuite) {
  ConfigureTargets();
  int code = 0;
  const std::string out = NodeTest("bedrock.test.mjs", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
}

// Issue 18 point 7: third-party clients on the native routes (the Vercel AI SDK with
// @ai-sdk/anthropic and @ai-sdk/google, LangChain's ChatAnthropic), each against several
// families, plain, streamed and with tools. tests/sdk/thirdparty.test.mjs.
TEST_F(SdkTest, ThirdPartyClientsSuite) {
  ConfigureTargets();
  int code = 0;
  const std::string out = NodeTest("thirdparty.test.mjs", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
}

// Issue 19 point 2: a data plane that requires a virtual key, called by each official SDK
// presenting the key its own way (and a wrong one: the SDK's own 401 error).
// tests/sdk/governance.test.mjs.
TEST_F(SdkTest, EverySdkPresentsAVirtualKeyItsOwnWay) {
  ConfigureTargets();
  DataPlane governed = DataPlane::Start(control_plane_->grpc, "dp-sdk-governed",
                                        {"--require-virtual-key"}, {{"KEY_A", "sk-key-a"}});
  HttpResult created = Admin(*control_plane_, "POST", "/api/governance/virtual-keys",
                             json{{"name", "sdk-key"}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string value = JsonOf(created)["value"];
  const int64_t revision = std::stoll(created.Header("x-switchyard-revision"));
  ASSERT_TRUE(Eventually([&] { return governed.Config().value("revision", int64_t{0}) >= revision; }));
  // A second key whose budget one answer uses up (a price far above any real one).
  ASSERT_EQ(Admin(*control_plane_, "POST", "/api/governance/pricing",
                  json{{"provider", "openai"}, {"model", "gpt-4o-mini"},
                       {"input_per_million", 1000000}, {"output_per_million", 1000000}}
                      .dump())
                .status,
            201);
  HttpResult broke = Admin(*control_plane_, "POST", "/api/governance/virtual-keys",
                           json{{"name", "sdk-broke"},
                                {"budget", {{"max_limit", 1}, {"reset_duration", "1d"}}}}
                               .dump());
  ASSERT_EQ(broke.status, 201) << broke.body;
  const std::string exhausted = JsonOf(broke)["value"];
  const std::string chat = json{{"model", "openai/gpt-4o-mini"},
                                {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}}
                               .dump();
  ASSERT_TRUE(Eventually([&] {
    return HttpCall("POST", governed.http, "/v1/chat/completions", chat,
                    {{"x-bf-vk", exhausted}})
               .status == 402;
  }));
  governed_env_ = " SWITCHYARD_GOVERNED_DATA_PLANE=" + governed.http +
                  " SWITCHYARD_VIRTUAL_KEY=" + value + " SWITCHYARD_EXHAUSTED_KEY=" + exhausted;
  int code = 0;
  const std::string out = NodeTest("governance.test.mjs", &code);
  governed_env_.clear();
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
}

// Issue 21 point 5: seed 004's model routes through the official OpenAI and Anthropic SDKs:
// a bare alias, a failover route, an unknown alias. tests/sdk/routes.test.mjs.
TEST_F(SdkTest, ModelRoutesSuite) {
  ConfigureTargets();
  // A provider that answers 503 to everything (the mock obeys x-mock-status).
  Put("broken", {{"keys", json::array({{{"name", "a"}, {"value", "env.KEY_A"}}})},
                 {"network_config", {{"base_url", "http://" + mock_address_},
                                     {"extra_headers", {{"x-mock-status", "503"}}}}},
                 {"custom_provider_config", {{"base_provider_type", "openai"}}}});
  std::vector<std::string> ids;
  int64_t revision = 0;
  for (const json& route :
       {json{{"alias", "openai/gpt-4o-mini"}, {"provider", "openai"}, {"model", "gpt-4o-mini"}},
        json{{"alias", "smart"}, {"provider", "openai"}, {"model", "gpt-4o-mini"}},
        json{{"alias", "resilient"}, {"provider", "broken"}, {"model", "gpt-4o"},
             {"failover_aliases", {"openai/gpt-4o-mini"}}},
        json{{"alias", "claude-alias"}, {"provider", "anthropic"}, {"model", "claude-3-5-haiku"}}}) {
    HttpResult created = Admin(*control_plane_, "POST", "/api/model-routes", route.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    ids.push_back(JsonOf(created)["id"]);
    revision = std::stoll(created.Header("x-switchyard-revision"));
  }
  ASSERT_TRUE(Eventually([&] {
    return data_plane_->Config().value("revision", int64_t{0}) >= revision;
  }));
  int code = 0;
  const std::string out = NodeTest("routes.test.mjs", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
  // The other suites name their models without routes.
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    EXPECT_EQ(Admin(*control_plane_, "DELETE", "/api/model-routes/" + *it).status, 200);
  }
}

// Issue 22 point 4: speech, transcription, images, files and batches through the official
// OpenAI SDK; allowed_requests denials as its PermissionDeniedError. tests/sdk/media.test.mjs.
TEST_F(SdkTest, MediaFilesAndBatchesSuite) {
  ConfigureTargets();
  Put("chat-only", {{"keys", json::array({{{"name", "a"}, {"value", "env.KEY_A"}}})},
                    {"network_config", {{"base_url", "http://" + mock_address_}}},
                    {"custom_provider_config",
                     {{"base_provider_type", "openai"},
                      {"allowed_requests", {{"chat_completion", true}}}}}});
  for (const char* family : {"elevenlabs", "replicate", "runway"}) {
    Put(family, {{"keys", json::array({{{"name", "a"}, {"value", "env.KEY_A"}}})},
                 {"network_config", {{"base_url", "http://" + mock_address_}}}});
  }
  int code = 0;
  const std::string out = NodeTest("media.test.mjs", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
}

TEST_F(SdkTest, GenAiSdkSuite) {
  ConfigureTargets();
  int code = 0;
  const std::string out = NodeTest("genai.test.mjs", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
}

}  // namespace
}  // namespace switchyard::testing
