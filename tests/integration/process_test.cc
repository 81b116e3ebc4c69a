// Behaviour about processes: start-up rules, restarts, config.json bootstrap, the database
// going away, and many writers at once.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/integration/control_plane_fixture.h"

namespace switchyard::testing {
namespace {

using nlohmann::json;

std::string WriteTempFile(const std::string& contents) {
  std::string path = std::filesystem::temp_directory_path() / "switchyard-config-XXXXXX";
  const int fd = mkstemp(path.data());
  close(fd);
  std::ofstream(path) << contents;
  return path;
}

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { postgres_ = PostgresServer::Start(); }
  std::unique_ptr<PostgresServer> postgres_;
};

TEST_F(ProcessTest, RefusesToStartWithoutAnAdminToken) {
  Process cp = Process::Start(SWITCHYARD_CONTROL_PLANE_BIN,
                              {"--postgres-dsn=" + postgres_->dsn(), "--http-listen=127.0.0.1:0",
                               "--grpc-listen=127.0.0.1:0"},
                              {{"SWITCHYARD_ADMIN_TOKEN", ""}});
  EXPECT_EQ(cp.Wait(), 2);
  EXPECT_NE(cp.Log().find("no admin token configured"), std::string::npos) << cp.Log();
}

TEST_F(ProcessTest, DevModeBindsLoopbackAndNeedsNoToken) {
  ControlPlane cp = ControlPlane::Start(
      postgres_->dsn(), {"--dev", "--http-listen=0.0.0.0:0", "--grpc-listen=0.0.0.0:0"}, {});
  ASSERT_TRUE(cp.listening()) << cp.process.Log();
  EXPECT_EQ(cp.rest.rfind("127.0.0.1:", 0), 0u) << cp.rest;
  EXPECT_EQ(cp.grpc.rfind("127.0.0.1:", 0), 0u) << cp.grpc;
  EXPECT_NE(cp.process.Log().find("level=warn"), std::string::npos);
  EXPECT_EQ(HttpCall("POST", cp.rest, "/api/providers", R"({"provider": "openai"})").status, 201);
}

TEST_F(ProcessTest, TokensFromAFileAreAccepted) {
  const std::string file = WriteTempFile("first-token\nsecond-token\n");
  ControlPlane cp = ControlPlane::Start(postgres_->dsn(), {"--admin-token-file=" + file}, {});
  ASSERT_TRUE(cp.listening()) << cp.process.Log();
  EXPECT_EQ(HttpCall("GET", cp.rest, "/api/providers", "",
                     {{"Authorization", "Bearer second-token"}}).status, 200);
  EXPECT_EQ(HttpCall("GET", cp.rest, "/api/providers").status, 401);
  std::filesystem::remove(file);
}

TEST_F(ProcessTest, ProvidersSurviveARestart) {
  std::string hash;
  {
    ControlPlane cp = ControlPlane::Start(postgres_->dsn());
    ASSERT_TRUE(cp.listening()) << cp.process.Log();
    HttpResult created = Admin(cp, "POST", "/api/providers",
                               R"({"provider": "openai", "keys": [{"value": "sk-restart-12345"}]})");
    ASSERT_EQ(created.status, 201);
    hash = JsonOf(created)["config_hash"];
    cp.process.Signal(SIGKILL);  // no graceful shutdown: the commit must already be durable
    cp.process.Wait();
  }
  ControlPlane again = ControlPlane::Start(postgres_->dsn());
  ASSERT_TRUE(again.listening()) << again.process.Log();
  HttpResult got = Admin(again, "GET", "/api/providers/openai");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(JsonOf(got)["config_hash"], hash);
  again.process.Signal(SIGTERM);
  EXPECT_EQ(again.process.Wait(), 0);
}

// A new version can change a config's canonical form (issue 8 added
// network_config.stream_idle_timeout_in_seconds with a default): rows stored by the previous
// version are rewritten at start-up, as a new revision, so data planes can verify them.
TEST_F(ProcessTest, StoredConfigsOfAnEarlierVersionAreUpgradedAtStartUp) {
  std::string hash;
  {
    ControlPlane cp = ControlPlane::Start(postgres_->dsn());
    ASSERT_TRUE(cp.listening()) << cp.process.Log();
    HttpResult created = Admin(cp, "POST", "/api/providers",
                               R"({"provider": "openai", "keys": [{"value": "env.K"}]})");
    ASSERT_EQ(created.status, 201);
    hash = JsonOf(created)["config_hash"];
  }
  // As the previous version stored it: without the new field, under its own hash.
  Sql(postgres_->dsn(),
      "UPDATE providers SET config = config #- '{network_config,stream_idle_timeout_in_seconds}',"
      " config_hash = repeat('0', 64)");
  const std::string changes_before =
      Sql(postgres_->dsn(), "SELECT count(*) FROM provider_changes")[0][0];
  ControlPlane again = ControlPlane::Start(postgres_->dsn());
  ASSERT_TRUE(again.listening()) << again.process.Log();
  HttpResult got = Admin(again, "GET", "/api/providers/openai");
  EXPECT_EQ(JsonOf(got)["config_hash"], hash);
  EXPECT_EQ(JsonOf(got)["network_config"]["stream_idle_timeout_in_seconds"], 60);
  EXPECT_EQ(std::stoi(Sql(postgres_->dsn(), "SELECT count(*) FROM provider_changes")[0][0]),
            std::stoi(changes_before) + 1);
}

TEST_F(ProcessTest, ConfigFileBootstrapKeepsApiEditsUntilTheFileChanges) {
  const std::string path = WriteTempFile(R"({
    "client": {"drop_excess_requests": false},
    "providers": {
      "openai": {"keys": [{"name": "openai-key", "value": "env.OPENAI_API_KEY", "models": ["*"],
                           "weight": 1.0}]},
      "vllm-local": {"keys": [{"name": "vllm-key", "value": "dummy"}],
                     "network_config": {"base_url": "http://vllm-endpoint:8000"},
                     "custom_provider_config": {"base_provider_type": "openai"}}
    }
  })");
  {
    ControlPlane cp = ControlPlane::Start(postgres_->dsn(), {"--config=" + path});
    ASSERT_TRUE(cp.listening()) << cp.process.Log();
    EXPECT_EQ(JsonOf(Admin(cp, "GET", "/api/providers"))["total"], 2);
    // An admin edits openai through the API.
    ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai",
                    R"({"keys": [{"name": "openai-key", "value": "env.OPENAI_API_KEY"}],
                        "network_config": {"max_retries": 4}})").status, 200);
  }
  {
    // Same file: the API edit stays.
    ControlPlane cp = ControlPlane::Start(postgres_->dsn(), {"--config=" + path});
    ASSERT_TRUE(cp.listening()) << cp.process.Log();
    EXPECT_EQ(JsonOf(Admin(cp, "GET", "/api/providers/openai"))["network_config"]["max_retries"], 4);
    EXPECT_FALSE(cp.process.WaitForLine("provider=openai action=unchanged").empty());
  }
  std::ofstream(path) << R"({"providers": {
      "openai": {"keys": [{"name": "openai-key", "value": "env.OPENAI_API_KEY"}],
                 "network_config": {"max_retries": 1}}}})";
  {
    // Changed entry: the file wins.
    ControlPlane cp = ControlPlane::Start(postgres_->dsn(), {"--config=" + path});
    ASSERT_TRUE(cp.listening()) << cp.process.Log();
    EXPECT_EQ(JsonOf(Admin(cp, "GET", "/api/providers/openai"))["network_config"]["max_retries"], 1);
    EXPECT_EQ(Admin(cp, "GET", "/api/providers/vllm-local").status, 200);  // left alone
  }
  std::ofstream(path) << R"({"providers": {"openai": {"keys": [{"value": "k", "weight": -1}]}}})";
  Process bad = Process::Start(SWITCHYARD_CONTROL_PLANE_BIN,
                               {"--postgres-dsn=" + postgres_->dsn(), "--config=" + path,
                                "--http-listen=127.0.0.1:0", "--grpc-listen=127.0.0.1:0"},
                               {{"SWITCHYARD_ADMIN_TOKEN", kAdminToken}});
  EXPECT_EQ(bad.Wait(), 1);
  EXPECT_NE(bad.Log().find("providers.openai: keys[0].weight"), std::string::npos) << bad.Log();
  std::filesystem::remove(path);
}

TEST_F(ProcessTest, DatabaseDownIs503AndRecovers) {
  ControlPlane cp = ControlPlane::Start(postgres_->dsn());
  ASSERT_TRUE(cp.listening()) << cp.process.Log();
  ASSERT_EQ(Admin(cp, "POST", "/api/providers", R"({"provider": "openai"})").status, 201);
  postgres_->Stop();
  HttpResult down = Admin(cp, "POST", "/api/providers", R"({"provider": "groq"})");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(JsonOf(down)["status_code"], 503);
  EXPECT_EQ(Admin(cp, "GET", "/api/providers/openai").status, 503);
  EXPECT_EQ(JsonOf(HttpCall("GET", cp.rest, "/health"))["components"]["database"], "unavailable");
  postgres_->Restart();
  // The next calls reconnect.
  HttpResult up;
  for (int attempt = 0; attempt < 20 && up.status != 201; ++attempt) {
    up = Admin(cp, "POST", "/api/providers", R"({"provider": "groq"})");
  }
  EXPECT_EQ(up.status, 201) << up.body << cp.process.Log();
  EXPECT_EQ(JsonOf(Admin(cp, "GET", "/api/providers"))["total"], 2);
}

TEST_F(ProcessTest, ConcurrentWritersSerializeIntoAGaplessLog) {
  ControlPlane cp = ControlPlane::Start(postgres_->dsn());
  ASSERT_TRUE(cp.listening()) << cp.process.Log();
  constexpr int kWriters = 8;
  constexpr int kWritesEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kWritesEach; ++i) {
        const std::string body = R"({"description": "writer )" + std::to_string(w) + " write " +
                                 std::to_string(i) + R"("})";
        const int status = Admin(cp, "PUT", "/api/providers/openai", body).status;
        if (status != 200 && status != 201) ++failures;
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(failures, 0);

  auto changes = Sql(postgres_->dsn(),
                     "SELECT revision, config_hash FROM provider_changes ORDER BY revision");
  ASSERT_EQ(changes.size(), static_cast<size_t>(kWriters * kWritesEach));
  for (size_t i = 1; i < changes.size(); ++i) {
    EXPECT_EQ(std::stoll(changes[i][0]), std::stoll(changes[i - 1][0]) + 1) << "gap at " << i;
  }
  auto row = Sql(postgres_->dsn(), "SELECT revision, config_hash FROM providers");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0], changes.back()[0]);
  EXPECT_EQ(row[0][1], changes.back()[1]);
  EXPECT_EQ(JsonOf(Admin(cp, "GET", "/api/providers/openai"))["config_hash"], changes.back()[1]);
}

}  // namespace
}  // namespace switchyard::testing
