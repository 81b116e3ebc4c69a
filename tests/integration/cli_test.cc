// The command-line client (control-plane/cli) against a real control plane and data plane:
// what it prints, and the exit codes CI relies on.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/control_plane_fixture.h"
#include "tests/support/process.h"

namespace switchyard::testing {
namespace {

using nlohmann::json;

struct CliResult {
  int code = -1;
  std::string out;  // stdout and stderr
};

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    postgres_ = PostgresServer::Start();
    control_plane_ = std::make_unique<ControlPlane>(ControlPlane::Start(postgres_->dsn()));
    data_plane_ = std::make_unique<DataPlane>(DataPlane::Start(control_plane_->grpc, "dp-cli"));
  }
  static void TearDownTestSuite() {
    data_plane_.reset();
    control_plane_.reset();
    postgres_.reset();
  }

  // Runs `switchyard ARGS` against the control plane (the token from the environment unless
  // `token_env` is false) and returns its exit code and output.
  static CliResult Cli(const std::string& args, bool token_env = true) {
    const std::string command =
        "(" + std::string(token_env ? "SWITCHYARD_ADMIN_TOKEN=" + std::string(kAdminToken) + " " : "") +
        SWITCHYARD_CLI_BIN + " --control-plane http://" + control_plane_->rest + " " + args +
        ") 2>&1; echo \"exit=$?\"";
    std::string out = RunCommand(command);
    CliResult result;
    const size_t at = out.rfind("exit=");
    if (at != std::string::npos) {
      result.code = std::stoi(out.substr(at + 5));
      out.erase(at);
    }
    result.out = out;
    return result;
  }

  static std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
  }

  static inline std::unique_ptr<PostgresServer> postgres_;
  static inline std::unique_ptr<ControlPlane> control_plane_;
  static inline std::unique_ptr<DataPlane> data_plane_;
};

const json kProviders = json::array({
    {{"provider", "cli-openai"},
     {"keys", json::array({{{"name", "k"}, {"value", "sk-cli-secret-0001"}, {"models", {"gpt-4o"}}}})},
     {"network_config", {{"base_url", "http://127.0.0.1:9"}}},
     {"custom_provider_config", {{"base_provider_type", "openai"}}}},
    {{"provider", "cli-custom"},
     {"keys", json::array({{{"name", "k"}, {"value", "env.CLI_KEY"}, {"weight", 2}}})},
     {"network_config", {{"base_url", "http://127.0.0.1:9"}, {"max_retries", 1}}},
     {"custom_provider_config",
      {{"base_provider_type", "openai"}, {"allowed_requests", {{"chat_completion", true}}}}}},
});

// apply creates, then leaves alone what did not change (by config hash), then replaces only
// what did: the same file twice is a no-op CI can run on every commit.
TEST_F(CliTest, ApplyIsIdempotent) {
  const std::string file = WriteFile("cli-providers.json", kProviders.dump());
  CliResult first = Cli("providers apply -f " + file);
  EXPECT_EQ(first.code, 0) << first.out;
  EXPECT_NE(first.out.find("created cli-openai"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("created cli-custom"), std::string::npos) << first.out;
  const std::string hash = JsonOf(Admin(*control_plane_, "GET", "/api/providers/cli-custom"))["config_hash"];

  CliResult again = Cli("providers apply -f " + file);
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("unchanged cli-openai"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("unchanged cli-custom"), std::string::npos) << again.out;
  EXPECT_EQ(JsonOf(Admin(*control_plane_, "GET", "/api/providers/cli-custom"))["config_hash"], hash);

  // One changed (its key's weight): only it is replaced; JSON output for scripts.
  json changed = kProviders;
  changed[1]["keys"][0]["weight"] = 5;
  const std::string changed_file = WriteFile("cli-providers-2.json", json{{"providers", changed}}.dump());
  CliResult update = Cli("-o json providers apply -f " + changed_file);
  ASSERT_EQ(update.code, 0) << update.out;
  const json results = json::parse(update.out)["results"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["action"], "unchanged");
  EXPECT_EQ(results[1]["action"], "updated");
  const json stored = JsonOf(Admin(*control_plane_, "GET", "/api/providers/cli-custom"));
  EXPECT_EQ(stored["keys"][0]["weight"], 5.0);
  EXPECT_EQ(results[1]["config_hash"], stored["config_hash"]);

  // From stdin too.
  CliResult piped = Cli("providers apply -f - < " + changed_file);
  EXPECT_EQ(piped.code, 0) << piped.out;
  EXPECT_NE(piped.out.find("unchanged cli-custom"), std::string::npos) << piped.out;
}

// A file with one invalid provider changes nothing and exits 1, naming the field.
TEST_F(CliTest, AnInvalidFileChangesNothing) {
  json bad = kProviders;
  bad[0]["provider"] = "cli-bad-one";
  bad[1]["provider"] = "cli-bad-two";
  bad[1]["network_config"]["base_url"] = "ftp://nowhere";
  CliResult result = Cli("providers apply -f " + WriteFile("cli-bad.json", bad.dump()));
  EXPECT_EQ(result.code, 1) << result.out;
  EXPECT_NE(result.out.find("network_config.base_url"), std::string::npos) << result.out;
  EXPECT_EQ(Admin(*control_plane_, "GET", "/api/providers/cli-bad-one").status, 404);
  CliResult not_json = Cli("providers apply -f " + WriteFile("cli-not-json.json", "{nope"));
  EXPECT_EQ(not_json.code, 1) << not_json.out;
  EXPECT_EQ(Cli("providers apply -f /nonexistent/file.json").code, 2);
}

TEST_F(CliTest, ListGetAndDelete) {
  ASSERT_EQ(Cli("providers apply -f " + WriteFile("cli-list.json", kProviders.dump())).code, 0);
  CliResult list = Cli("providers list");
  ASSERT_EQ(list.code, 0) << list.out;
  EXPECT_NE(list.out.find("NAME"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("cli-custom  openai"), std::string::npos) << list.out;
  CliResult as_json = Cli("providers list -o json");
  ASSERT_EQ(as_json.code, 0);
  EXPECT_GE(json::parse(as_json.out)["total"].get<int>(), 2);

  // Secrets stay redacted; the revision is there.
  CliResult get = Cli("providers get cli-openai");
  ASSERT_EQ(get.code, 0) << get.out;
  EXPECT_EQ(get.out.find("sk-cli-secret-0001"), std::string::npos) << get.out;
  EXPECT_EQ(json::parse(get.out)["name"], "cli-openai");

  EXPECT_EQ(Cli("providers delete cli-openai").code, 0);
  CliResult missing = Cli("providers delete cli-openai");
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_EQ(Cli("providers get cli-openai").code, 1);
}

TEST_F(CliTest, CredentialsAndExitCodes) {
  // The token from --token works as from the environment; a wrong one is refused (1).
  EXPECT_EQ(Cli(std::string("--token ") + kAdminToken + " providers list", false).code, 0);
  CliResult refused = Cli("--token wrong providers list", false);
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_EQ(refused.out.find("wrong"), std::string::npos) << "the token is never printed";
  EXPECT_EQ(Cli("providers list", false).code, 1);  // no token at all
  // Unreachable (3) and bad usage (2).
  CliResult unreachable = RunCommand(std::string(SWITCHYARD_CLI_BIN) +
                                     " --control-plane http://127.0.0.1:9 providers list; echo exit=$?")
                              .ends_with("exit=3\n")
                              ? CliResult{3, ""}
                              : CliResult{};
  EXPECT_EQ(unreachable.code, 3);
  EXPECT_EQ(Cli("providers frobnicate").code, 2);
  EXPECT_EQ(Cli("-o yaml providers list").code, 2);
  EXPECT_EQ(Cli("").code, 2);
}

// fleet: every data plane and its state; 0 when all are in sync, 4 when one is not.
TEST_F(CliTest, FleetReportsSyncStateInItsExitCode) {
  ASSERT_TRUE(Eventually([&] { return Cli("fleet").code == 0; })) << Cli("fleet").out;
  CliResult fleet = Cli("fleet");
  EXPECT_NE(fleet.out.find("dp-cli"), std::string::npos) << fleet.out;
  EXPECT_NE(fleet.out.find("in_sync"), std::string::npos) << fleet.out;
  EXPECT_EQ(json::parse(Cli("fleet -o json").out)["data_planes"][0]["node_id"], "dp-cli");
  // Logs: none yet, but the command answers.
  CliResult logs = Cli("logs --limit 5 -o json");
  EXPECT_EQ(logs.code, 0) << logs.out;
  EXPECT_TRUE(json::parse(logs.out).contains("logs")) << logs.out;

  data_plane_.reset();  // killed: the control plane marks it disconnected
  EXPECT_TRUE(Eventually([&] { return Cli("fleet").code == 4; }, std::chrono::seconds(30)))
      << Cli("fleet").out;
}

}  // namespace
}  // namespace switchyard::testing
