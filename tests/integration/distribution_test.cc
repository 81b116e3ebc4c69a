// Config distribution end to end: real control-plane and data-plane processes, a real
// PostgreSQL, real gRPC streams. Data planes are observed through their admin listener.
#include <gtest/gtest.h>

#include <fstream>
#include <signal.h>
#include <sys/stat.h>

#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "switchyard/v1/distribution.grpc.pb.h"
#include "tests/integration/control_plane_fixture.h"
#include "tests/support/test_pki.h"

namespace switchyard::testing {
namespace {

using nlohmann::json;
using switchyard::testing::TestCert;

json Fleet(const ControlPlane& cp) { return JsonOf(Admin(cp, "GET", "/api/fleet")); }

// The control plane's view: name -> config_hash of every provider.
std::map<std::string, std::string> ControlPlaneTable(const ControlPlane& cp) {
  std::map<std::string, std::string> table;
  json list = JsonOf(Admin(cp, "GET", "/api/providers"));
  for (const json& provider : list["providers"]) {
    table[provider["name"].get<std::string>()] = provider["config_hash"].get<std::string>();
  }
  return table;
}

std::map<std::string, std::string> DataPlaneTable(const json& config) {
  std::map<std::string, std::string> table;
  if (!config.is_object() || !config.contains("providers")) return table;
  for (const json& provider : config["providers"]) {
    table[provider["name"].get<std::string>()] = provider["config_hash"].get<std::string>();
  }
  return table;
}

// True once the data plane holds exactly the control plane's providers and table hash.
bool InSync(const ControlPlane& cp, const DataPlane& dp) {
  json config = dp.Config();
  json fleet = Fleet(cp);
  if (!config.is_object() || !fleet.is_object() || !config.value("ready", false)) return false;
  // value(), not operator[]: on a const json a missing key is undefined behaviour.
  return config.value("table_hash", "") == fleet.value("table_hash", "-") &&
         config.value("revision", int64_t{-1}) == fleet.value("revision", int64_t{-2}) &&
         DataPlaneTable(config) == ControlPlaneTable(cp);
}

// A custom provider's body (p0, p1, ...), version i.
std::string ProviderBody(int i) {
  return R"({"keys": [{"name": "k", "value": "env.OPENAI_API_KEY"}],
             "custom_provider_config": {"base_provider_type": "openai"}, "description": "v)" +
         std::to_string(i) + R"("})";
}

// The standard provider "openai", version i (a standard name declares no base type).
std::string OpenAiBody(int i) {
  return R"({"keys": [{"name": "k", "value": "env.OPENAI_API_KEY"}], "description": "v)" +
         std::to_string(i) + R"("})";
}

class DistributionTest : public ::testing::Test {
 protected:
  void SetUp() override { postgres_ = PostgresServer::Start(); }

  ControlPlane StartControlPlane(std::vector<std::string> args = {}) {
    args.push_back("--catch-up-interval-ms=200");
    ControlPlane cp = ControlPlane::Start(postgres_->dsn(), args);
    EXPECT_TRUE(cp.listening()) << cp.process.Log();
    return cp;
  }

  std::string TempDir() {
    std::string dir = std::filesystem::temp_directory_path() / "switchyard-cache-XXXXXX";
    EXPECT_NE(mkdtemp(dir.data()), nullptr);
    dirs_.push_back(dir);
    std::ofstream(dir + "/cache.key") << "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
    return dir + "/cache";
  }
  // The data-plane flags of a disk cache in `cache` (from TempDir), sealed with its key.
  static std::vector<std::string> CacheFlags(const std::string& cache) {
    return {"--cache-dir=" + cache,
            "--cache-key-file=" + std::filesystem::path(cache).parent_path().string() + "/cache.key"};
  }

  void TearDown() override {
    for (const std::string& dir : dirs_) std::filesystem::remove_all(dir);
  }

  std::unique_ptr<PostgresServer> postgres_;
  std::vector<std::string> dirs_;
};

TEST_F(DistributionTest, SnapshotOnFirstConnectWithEnvironmentResolved) {
  ControlPlane cp = StartControlPlane();
  ASSERT_EQ(Admin(cp, "POST", "/api/providers", R"({"provider": "openai", "keys": [
      {"name": "present", "value": "env.SY_TEST_PRESENT"},
      {"name": "absent", "value": "env.SY_TEST_ABSENT"}]})").status, 201);
  ASSERT_EQ(Admin(cp, "POST", "/api/providers", R"({"provider": "groq"})").status, 201);

  DataPlane dp = DataPlane::Start(cp.grpc, "dp-1", {}, {{"SY_TEST_PRESENT", "sk-from-env"}});
  EXPECT_EQ(HttpCall("GET", dp.admin, "/healthz").status, 200);
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  EXPECT_EQ(HttpCall("GET", dp.admin, "/readyz").status, 200);
  EXPECT_EQ(dp.Metric("switchyard_config_snapshots_applied_total"), 1);
  EXPECT_EQ(dp.Metric("switchyard_config_connected"), 1);

  // The missing variable disables its key, visibly; the present one is live.
  json config = dp.Config();
  json keys = config["providers"][1]["keys"];
  EXPECT_EQ(keys[0]["name"], "absent");
  EXPECT_EQ(keys[0]["enabled"], false);
  EXPECT_EQ(keys[0]["env_missing"], true);
  EXPECT_EQ(keys[1]["enabled"], true);
  EXPECT_EQ(dp.Metric("switchyard_config_keys_missing_env"), 1);
  EXPECT_EQ(HttpCall("GET", dp.admin, "/config").body.find("sk-from-env"), std::string::npos);

  // Fleet status, from REST and gRPC alike.
  ASSERT_TRUE(Eventually([&] {
    json fleet = Fleet(cp);
    return fleet["total"] == 1 && fleet["data_planes"][0]["state"] == "in_sync";
  })) << Fleet(cp).dump();
  EXPECT_EQ(Fleet(cp)["data_planes"][0]["node_id"], "dp-1");
  auto stub = v1::Fleet::NewStub(grpc::CreateChannel(cp.grpc, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  v1::ListDataPlanesResponse fleet;
  ASSERT_TRUE(stub->ListDataPlanes(&context, {}, &fleet).ok());
  ASSERT_EQ(fleet.data_planes_size(), 1);
  EXPECT_EQ(fleet.data_planes(0).state(), "in_sync");

  // The inference listener routes by the same table: an unknown provider is named.
  HttpResult inference = HttpCall("POST", dp.http, "/v1/chat/completions",
                                  R"({"model": "nope/m"})");
  EXPECT_EQ(inference.status, 400);
}

TEST_F(DistributionTest, LiveChangesAndDeletesArrive) {
  ControlPlane cp = StartControlPlane();
  DataPlane dp = DataPlane::Start(cp.grpc, "dp-1");
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(1)).status, 201);
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); }));
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(2)).status, 200);
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); }));
  ASSERT_EQ(Admin(cp, "DELETE", "/api/providers/openai").status, 200);
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); }));
  EXPECT_TRUE(DataPlaneTable(dp.Config()).empty());
  EXPECT_EQ(dp.Metric("switchyard_config_snapshots_applied_total"), 1);  // the rest were deltas
}

TEST_F(DistributionTest, ReconnectGetsDeltasAndABehindDataPlaneGetsASnapshot) {
  ControlPlane cp = StartControlPlane({"--change-log-depth=5"});
  const std::string cache = TempDir();
  for (int i = 0; i < 3; ++i) {
    Admin(cp, "PUT", "/api/providers/p" + std::to_string(i), ProviderBody(i));
  }
  {
    DataPlane dp = DataPlane::Start(cp.grpc, "dp-1", CacheFlags(cache));
    ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  }  // killed
  // Two changes: within the log depth, so the restarted data plane gets a delta.
  Admin(cp, "PUT", "/api/providers/p0", ProviderBody(10));
  Admin(cp, "DELETE", "/api/providers/p1");
  {
    DataPlane dp = DataPlane::Start(cp.grpc, "dp-1", CacheFlags(cache));
    ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
    EXPECT_EQ(dp.Metric("switchyard_config_snapshots_applied_total"), 0);
    EXPECT_EQ(dp.Metric("switchyard_config_updates_applied_total"), 1);
  }
  // Twenty changes, a delete among them: beyond the depth of 5, so a snapshot.
  Admin(cp, "DELETE", "/api/providers/p2");
  for (int i = 0; i < 19; ++i) Admin(cp, "PUT", "/api/providers/p0", ProviderBody(100 + i));
  {
    DataPlane dp = DataPlane::Start(cp.grpc, "dp-1", CacheFlags(cache));
    ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
    EXPECT_EQ(dp.Metric("switchyard_config_snapshots_applied_total"), 1);
    EXPECT_EQ(DataPlaneTable(dp.Config()).count("p2"), 0u);
  }
}

TEST_F(DistributionTest, ThousandRapidChangesArriveInOrderWithoutLoss) {
  ControlPlane cp = StartControlPlane();
  DataPlane dp = DataPlane::Start(cp.grpc, "dp-1");
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  constexpr int kWriters = 4;
  constexpr int kChanges = 1000;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < kChanges; i += kWriters) {
        const std::string name = "/api/providers/p" + std::to_string(i % 10);
        // Now and then a provider is deleted; the other changes replace or create it.
        const HttpResult r = (i % 70 == 69) ? Admin(cp, "DELETE", name)
                                            : Admin(cp, "PUT", name, ProviderBody(i));
        if (r.status != 200 && r.status != 201 && r.status != 404) ++failures;
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(failures, 0);
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); }, std::chrono::seconds(30)))
      << dp.Config().dump();
  // The data plane applied revisions in strictly increasing order.
  int64_t previous = -1;
  int applied = 0;
  for (const std::string& line : dp.process.Lines()) {
    const size_t at = line.find("msg=\"routing table applied\" revision=");
    if (at == std::string::npos) continue;
    const int64_t revision = std::stoll(line.substr(line.find("revision=", at) + 9));
    EXPECT_GT(revision, previous) << line;
    previous = revision;
    ++applied;
  }
  EXPECT_GT(applied, 1);
  EXPECT_EQ(dp.Metric("switchyard_config_updates_rejected_total"), 0);
}

// Issue 8 (n): with six admin writers in parallel and a few hundred providers, data planes
// NACKed deltas ("table hash differs"), fell back to snapshots and lagged far behind. Deltas
// must stay consistent and data planes catch up in bounded time.
TEST_F(DistributionTest, DeltasStayConsistentUnderParallelWritersWithHundredsOfProviders) {
  ControlPlane cp = StartControlPlane();
  constexpr int kProviders = 300;
  for (int i = 0; i < kProviders; ++i) {
    ASSERT_EQ(Admin(cp, "PUT", "/api/providers/p" + std::to_string(i), ProviderBody(0)).status,
              201);
  }
  std::vector<DataPlane> fleet;
  for (int i = 0; i < 2; ++i) fleet.push_back(DataPlane::Start(cp.grpc, "dp-" + std::to_string(i)));
  for (DataPlane& dp : fleet) ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); }));

  constexpr int kWriters = 6;
  constexpr int kWritesEach = 150;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kWritesEach; ++i) {
        const int target = (w * 131 + i * 17) % kProviders;
        const std::string name = "/api/providers/p" + std::to_string(target);
        const HttpResult r = (i % 25 == 24) ? Admin(cp, "DELETE", name)
                                            : Admin(cp, "PUT", name, ProviderBody(w * 1000 + i));
        if (r.status != 200 && r.status != 201 && r.status != 404) ++failures;
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(failures, 0);
  for (DataPlane& dp : fleet) {
    ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); }, std::chrono::seconds(10)))
        << dp.process.Log();
    EXPECT_EQ(dp.Metric("switchyard_config_updates_rejected_total"), 0) << dp.process.Log();
    EXPECT_EQ(dp.Metric("switchyard_config_snapshots_applied_total"), 1);
  }
}

TEST_F(DistributionTest, TwoControlPlanesServeOneConvergedFleet) {
  ControlPlane a = StartControlPlane({"--replica-id=cp-a"});
  ControlPlane b = StartControlPlane({"--replica-id=cp-b"});
  std::vector<DataPlane> planes;
  planes.push_back(DataPlane::Start(a.grpc, "dp-a1"));
  planes.push_back(DataPlane::Start(a.grpc, "dp-a2"));
  planes.push_back(DataPlane::Start(b.grpc, "dp-b1"));
  planes.push_back(DataPlane::Start(b.grpc, "dp-b2"));
  for (int i = 0; i < 40; ++i) {
    const ControlPlane& writer = i % 2 == 0 ? a : b;
    ASSERT_LT(Admin(writer, "PUT", "/api/providers/p" + std::to_string(i % 5), ProviderBody(i))
                  .status,
              300);
  }
  for (const DataPlane& dp : planes) {
    ASSERT_TRUE(Eventually([&] { return InSync(a, dp) && InSync(b, dp); })) << dp.Config();
  }
  const std::string hash = planes[0].Config()["table_hash"];
  for (const DataPlane& dp : planes) EXPECT_EQ(dp.Config()["table_hash"], hash);
  // Either replica reports the same fleet: four data planes, all in sync.
  for (const ControlPlane* cp : {&a, &b}) {
    ASSERT_TRUE(Eventually([&] {
      json fleet = Fleet(*cp);
      if (fleet["total"] != 4) return false;
      for (const json& plane : fleet["data_planes"]) {
        if (plane["state"] != "in_sync") return false;
      }
      return true;
    })) << Fleet(*cp).dump();
  }
  json fleet = Fleet(a);
  EXPECT_EQ(fleet["data_planes"][0]["replica"], "cp-a");
  EXPECT_EQ(fleet["data_planes"][2]["replica"], "cp-b");
}

TEST_F(DistributionTest, DataPlanesOutliveAKilledControlPlaneAndReconverge) {
  const int grpc_port = FreePort();
  const std::vector<std::string> fixed = {"--grpc-listen=127.0.0.1:" + std::to_string(grpc_port)};
  auto cp = std::make_unique<ControlPlane>(StartControlPlane(fixed));
  ASSERT_EQ(Admin(*cp, "PUT", "/api/providers/openai", OpenAiBody(1)).status, 201);
  DataPlane dp = DataPlane::Start(cp->grpc, "dp-1");
  ASSERT_TRUE(Eventually([&] { return InSync(*cp, dp); })) << dp.process.Log();
  json before = dp.Config();

  cp->process.Signal(SIGKILL);
  cp->process.Wait();
  ASSERT_TRUE(Eventually([&] { return dp.Metric("switchyard_config_connected") == 0; }));
  // Still serving the last table.
  EXPECT_EQ(HttpCall("GET", dp.admin, "/readyz").status, 200);
  EXPECT_EQ(dp.Config()["table_hash"], before["table_hash"]);

  cp = std::make_unique<ControlPlane>(StartControlPlane(fixed));
  ASSERT_EQ(Admin(*cp, "PUT", "/api/providers/openai", OpenAiBody(2)).status, 200);
  ASSERT_TRUE(Eventually([&] { return InSync(*cp, dp); })) << dp.process.Log();
  EXPECT_NE(dp.Config()["table_hash"], before["table_hash"]);
  EXPECT_GE(dp.Metric("switchyard_config_reconnects_total"), 1);
}

// Issue 8 (c): after a control-plane restart the data planes' own backoff stacked on gRPC's
// and a PUT took 11 s to arrive. Default reconnect settings here (not the fixture's short
// --reconnect-max-ms).
TEST_F(DistributionTest, DataPlanesWatchAgainWithinASecondOfARestartedControlPlane) {
  const int grpc_port = FreePort();
  const std::vector<std::string> fixed = {"--grpc-listen=127.0.0.1:" + std::to_string(grpc_port)};
  auto cp = std::make_unique<ControlPlane>(StartControlPlane(fixed));
  ASSERT_EQ(Admin(*cp, "PUT", "/api/providers/openai", OpenAiBody(1)).status, 201);
  std::vector<DataPlane> fleet;
  for (int i = 0; i < 3; ++i) {
    fleet.push_back(
        DataPlane::Start(cp->grpc, "dp-" + std::to_string(i), {"--reconnect-max-ms=30000"}));
  }
  for (DataPlane& dp : fleet) ASSERT_TRUE(Eventually([&] { return InSync(*cp, dp); }));

  cp->process.Signal(SIGKILL);
  cp->process.Wait();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the scenario: 3 s down
  cp = std::make_unique<ControlPlane>(StartControlPlane(fixed));
  ASSERT_EQ(Admin(*cp, "PUT", "/api/providers/openai", OpenAiBody(2)).status, 200);
  const auto put = std::chrono::steady_clock::now();
  for (DataPlane& dp : fleet) {
    ASSERT_TRUE(Eventually([&] { return InSync(*cp, dp); }, std::chrono::seconds(2)))
        << dp.process.Log();
  }
  EXPECT_LE(std::chrono::steady_clock::now() - put, std::chrono::seconds(2));
}

// Issue 8 (j): a hung database (every server process stopped, connections open) hung the
// control plane. Writes now answer 503 within --db-timeout-ms and /health at once.
TEST_F(DistributionTest, AHungDatabaseMeans503WithinTheTimeoutAndHealthAnswersAtOnce) {
  ControlPlane cp = StartControlPlane({"--db-timeout-ms=1000"});
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(1)).status, 201);
  postgres_->Freeze();
  struct ThawAtExit {
    PostgresServer* server;
    ~ThawAtExit() { server->Thaw(); }
  } thaw{postgres_.get()};

  auto start = std::chrono::steady_clock::now();
  HttpResult write = Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(2));
  EXPECT_EQ(write.status, 503) << write.body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));

  start = std::chrono::steady_clock::now();
  HttpResult health = HttpCall("GET", cp.rest, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("unavailable"), std::string::npos) << health.body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));

  postgres_->Thaw();
  ASSERT_TRUE(Eventually([&] {
    return Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(3)).status == 200;
  })) << cp.process.Log();
}

TEST_F(DistributionTest, PostgresDownMeans503WhileStreamsKeepServing) {
  ControlPlane cp = StartControlPlane();
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(1)).status, 201);
  DataPlane dp = DataPlane::Start(cp.grpc, "dp-1");
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  json before = dp.Config();

  postgres_->Stop();
  HttpResult down = Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(2));
  EXPECT_EQ(down.status, 503) << down.body;
  auto stub = v1::ProviderAdmin::NewStub(
      grpc::CreateChannel(cp.grpc, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  v1::GetProviderRequest get;
  get.set_name("openai");
  v1::ProviderResponse response;
  EXPECT_EQ(stub->GetProvider(&context, get, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A data plane connecting now still gets the control plane's last state.
  DataPlane late = DataPlane::Start(cp.grpc, "dp-late");
  ASSERT_TRUE(Eventually([&] { return late.Config().value("table_hash", "") == before["table_hash"]; }))
      << late.process.Log();
  EXPECT_EQ(dp.Config()["table_hash"], before["table_hash"]);

  postgres_->Restart();
  ASSERT_TRUE(Eventually(
      [&] { return Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(3)).status == 200; }));
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp) && InSync(cp, late); }))
      << dp.process.Log() << cp.process.Log();
}

// Issue 8 (a): one provider that a data plane cannot compile used to freeze the whole fleet
// (every later revision NACKed). Now it is isolated: served as 503, shown in /config, the
// metrics and /api/fleet, while the rest of the revision (and later ones) apply.
TEST_F(DistributionTest, AProviderThatDoesNotCompileIsIsolatedNotFatal) {
  ControlPlane cp = StartControlPlane();
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(1)).status, 201);
  DataPlane dp = DataPlane::Start(cp.grpc, "dp-1");
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  json before = dp.Config();

  // A change whose stored hash does not match its config, as a damaged row would be.
  {
    pqxx::connection connection(postgres_->dsn());
    pqxx::work tx(connection);
    const int64_t revision =
        tx.exec1("UPDATE config_revision SET revision = revision + 1 RETURNING revision")[0]
            .as<int64_t>();
    const std::string config =
        R"({"name": "broken", "custom_provider_config": {"base_provider_type": "openai"}})";
    const std::string hash(64, 'b');
    tx.exec_params("INSERT INTO providers (name, config, config_hash, revision) "
                   "VALUES ('broken', $1::jsonb, $2, $3)",
                   config, hash, revision);
    tx.exec_params("INSERT INTO provider_changes (revision, provider, op, config, config_hash) "
                   "VALUES ($1, 'broken', 'upsert', $2::jsonb, $3)",
                   revision, config, hash);
    tx.exec_params("SELECT pg_notify('switchyard_changes', $1)", std::to_string(revision));
    tx.commit();
  }
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  EXPECT_EQ(dp.Metric("switchyard_config_updates_rejected_total"), 0);
  EXPECT_EQ(dp.Metric("switchyard_config_providers_isolated"), 1);
  json config = dp.Config();
  EXPECT_EQ(config["providers_isolated"], 1);
  json isolated;
  for (const json& provider : config["providers"]) {
    if (provider["name"] == "broken") isolated = provider;
  }
  EXPECT_EQ(isolated["state"], "isolated");
  EXPECT_NE(isolated["reason"].get<std::string>().find("config_hash"), std::string::npos);
  ASSERT_TRUE(Eventually([&] {
    json fleet = Fleet(cp);
    return fleet["data_planes"][0]["state"] == "in_sync" &&
           fleet["data_planes"][0]["isolated_providers"].size() == 1 &&
           fleet["data_planes"][0]["isolated_providers"][0].get<std::string>().find("broken") !=
               std::string::npos;
  })) << Fleet(cp).dump();

  // Requests to it answer 503 naming the reason; the others are served.
  const json chat = {{"model", "broken/m"}, {"messages", json::array()}};
  HttpResult refused = HttpCall("POST", dp.http, "/v1/chat/completions", chat.dump());
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("broken"), std::string::npos);

  // A provider added afterwards still arrives.
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/later", ProviderBody(7)).status, 201);
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  EXPECT_TRUE(DataPlaneTable(dp.Config()).count("later"));

  // Repairing the provider through the API serves it again.
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/broken",
                  R"({"custom_provider_config": {"base_provider_type": "openai"}})").status, 200);
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  EXPECT_EQ(dp.Metric("switchyard_config_providers_isolated"), 0);
}

TEST_F(DistributionTest, ColdStartFromTheDiskCacheWithoutAControlPlane) {
  const std::string cache = TempDir();
  std::string hash;
  std::string virtual_key;
  {
    ControlPlane cp = StartControlPlane();
    ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai",
                    R"({"keys": [{"name": "k", "value": "sk-literal-cache-secret"}]})").status,
              201);
    // Issue 19: governance objects are part of the cached table too.
    HttpResult key = Admin(cp, "POST", "/api/governance/virtual-keys", R"({"name": "cached"})");
    ASSERT_EQ(key.status, 201) << key.body;
    virtual_key = JsonOf(key)["value"];
    DataPlane dp = DataPlane::Start(cp.grpc, "dp-1", CacheFlags(cache));
    ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
    hash = dp.Config()["table_hash"];
  }
  struct stat info {};
  ASSERT_EQ(stat((cache + "/last-good.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // Issue 12 point 3: sealed, the literal key is nowhere in the file.
  std::ifstream file(cache + "/last-good.json");
  const std::string stored((std::istreambuf_iterator<char>(file)), {});
  EXPECT_TRUE(stored.starts_with("sy1:")) << stored.substr(0, 40);
  EXPECT_EQ(stored.find("sk-literal-cache-secret"), std::string::npos);
  EXPECT_EQ(stored.find("openai"), std::string::npos);

  // No control plane at that address any more.
  std::vector<std::string> flags = CacheFlags(cache);
  flags.push_back("--require-virtual-key");
  DataPlane dp = DataPlane::Start("127.0.0.1:" + std::to_string(FreePort()), "dp-1", flags);
  ASSERT_TRUE(Eventually([&] { return HttpCall("GET", dp.admin, "/readyz").status == 200; }))
      << dp.process.Log();
  json config = dp.Config();
  EXPECT_EQ(config["table_hash"], hash);
  EXPECT_EQ(config["from_cache"], true);
  EXPECT_EQ(config["connected"], false);
  EXPECT_EQ(dp.Metric("switchyard_config_loaded_from_cache"), 1);
  // The cached virtual key still opens the door (the request then fails on its unknown
  // provider, not on authentication); a wrong one does not.
  const std::string chat = R"({"model": "nope/x", "messages": [{"role": "user", "content": "hi"}]})";
  EXPECT_EQ(HttpCall("POST", dp.http, "/v1/chat/completions", chat, {{"x-bf-vk", virtual_key}}).status, 400);
  EXPECT_EQ(HttpCall("POST", dp.http, "/v1/chat/completions", chat, {{"x-bf-vk", "sk-bf-wrong"}}).status, 401);

  // Without a cache, the same situation is not ready.
  DataPlane empty = DataPlane::Start("127.0.0.1:" + std::to_string(FreePort()), "dp-2");
  EXPECT_EQ(HttpCall("GET", empty.admin, "/readyz").status, 503);
}

// Issue 12 point 1: mutual TLS on the config stream: a data plane without a client
// certificate, with one from another CA, or in plaintext is refused; with the right one it
// converges; a rotated server certificate is served without a restart.
TEST_F(DistributionTest, MutualTlsRefusesStrangersAndRotatesCertificates) {
  const std::string dir = std::filesystem::path(TempDir()).parent_path().string();
  const TestCert ca = MakeTestCa(dir, "ca");
  const TestCert other_ca = MakeTestCa(dir, "other-ca");
  const TestCert server = MakeTestCert(dir, "server", ca);
  const TestCert client = MakeTestCert(dir, "dp", ca);
  const TestCert stranger = MakeTestCert(dir, "stranger", other_ca);
  const TestCert next_server = MakeTestCert(dir, "next-server", other_ca);
  const std::string live_cert = dir + "/live.pem";
  const std::string live_key = dir + "/live.key";
  std::filesystem::copy_file(server.cert, live_cert);
  std::filesystem::copy_file(server.key, live_key);
  ControlPlane cp = StartControlPlane({"--tls-cert=" + live_cert, "--tls-key=" + live_key,
                                      "--client-ca=" + ca.cert, "--tls-reload-interval-s=1"});
  const std::string rest_port = cp.rest.substr(cp.rest.rfind(':') + 1);
  EXPECT_EQ(HttpCall("GET", cp.rest, "/health").status, 0);  // REST is TLS too: no plaintext
  cp.rest = "https://" + cp.rest;
  ASSERT_EQ(HttpCall("GET", cp.rest, "/health").status, 200);
  // The certificate a client sees on the REST port (openssl s_client).
  auto served_subject = [&] {
    std::string subject;
    FILE* pipe = popen(("echo | openssl s_client -connect 127.0.0.1:" + rest_port +
                        " 2>/dev/null | openssl x509 -noout -subject 2>/dev/null").c_str(), "r");
    char line[256];
    while (pipe != nullptr && fgets(line, sizeof(line), pipe) != nullptr) subject += line;
    if (pipe != nullptr) pclose(pipe);
    return subject;
  };
  EXPECT_NE(served_subject().find("CN = server"), std::string::npos) << served_subject();
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai", OpenAiBody(1)).status, 201);

  auto tls_flags = [&](const std::string& trusted, const TestCert* cert) {
    std::vector<std::string> flags = {"--control-plane-ca=" + trusted,
                                      "--tls-reload-interval-s=1"};
    if (cert != nullptr) {
      flags.push_back("--control-plane-cert=" + cert->cert);
      flags.push_back("--control-plane-key=" + cert->key);
    }
    return flags;
  };
  DataPlane good = DataPlane::Start(cp.grpc, "dp-good", tls_flags(ca.cert, &client));
  DataPlane no_cert = DataPlane::Start(cp.grpc, "dp-no-cert", tls_flags(ca.cert, nullptr));
  DataPlane wrong_ca = DataPlane::Start(cp.grpc, "dp-stranger", tls_flags(ca.cert, &stranger));
  DataPlane plaintext = DataPlane::Start(cp.grpc, "dp-plain");
  ASSERT_TRUE(Eventually([&] { return InSync(cp, good); })) << good.process.Log();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (const DataPlane* refused : {&no_cert, &wrong_ca, &plaintext}) {
    EXPECT_EQ(HttpCall("GET", refused->admin, "/readyz").status, 503) << refused->process.Log();
  }
  EXPECT_EQ(Fleet(cp)["total"], 1);

  // Rotation: a data plane that trusts only the other CA is refused until the control plane's
  // files hold a certificate from it, then converges; nothing restarts.
  DataPlane next = DataPlane::Start(cp.grpc, "dp-next", tls_flags(other_ca.cert, &client));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(HttpCall("GET", next.admin, "/readyz").status, 503);
  std::filesystem::copy_file(next_server.key, live_key, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(next_server.cert, live_cert, std::filesystem::copy_options::overwrite_existing);
  EXPECT_TRUE(Eventually([&] { return InSync(cp, next); }, std::chrono::seconds(30)))
      << next.process.Log() << cp.process.Log();
  EXPECT_TRUE(Eventually([&] { return served_subject().find("CN = next-server") != std::string::npos; },
                         std::chrono::seconds(10)))
      << served_subject();

  // A data plane's own client certificate rotates too: refused while its files hold the
  // stranger's certificate, converging once they hold one from the CA the control plane trusts.
  const std::string own_cert = dir + "/own.pem";
  const std::string own_key = dir + "/own.key";
  std::filesystem::copy_file(stranger.cert, own_cert);
  std::filesystem::copy_file(stranger.key, own_key);
  const TestCert own{own_cert, own_key};
  DataPlane rotating = DataPlane::Start(cp.grpc, "dp-rotating", tls_flags(other_ca.cert, &own));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(HttpCall("GET", rotating.admin, "/readyz").status, 503);
  std::filesystem::copy_file(client.key, own_key, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(client.cert, own_cert, std::filesystem::copy_options::overwrite_existing);
  EXPECT_TRUE(Eventually([&] { return InSync(cp, rotating); }, std::chrono::seconds(30)))
      << rotating.process.Log();
}

// Issue 12 point 2: secrets sealed at rest are opened for distribution: the data plane gets
// the key it needs and re-derives the same hashes.
TEST_F(DistributionTest, SealedSecretsStillReachDataPlanes) {
  ControlPlane cp = ControlPlane::Start(
      postgres_->dsn(), {"--catch-up-interval-ms=200"},
      {{"SWITCHYARD_ADMIN_TOKEN", kAdminToken},
       {"SWITCHYARD_ENCRYPTION_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}});
  ASSERT_TRUE(cp.listening()) << cp.process.Log();
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai",
                  R"({"keys": [{"name": "k", "value": "sk-sealed-distributed"}]})").status,
            201);
  DataPlane dp = DataPlane::Start(cp.grpc, "dp-1");
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  EXPECT_EQ(dp.Config()["providers"][0]["keys"][0]["enabled"], true);
  for (const auto& row : Sql(postgres_->dsn(), "SELECT config::text FROM providers")) {
    EXPECT_EQ(row[0].find("sk-sealed-distributed"), std::string::npos) << row[0];
  }
}

// Issue 12 point 3: without a cache key the data plane writes no cache (it would hold
// secrets in clear), says why, and removes a clear one left by an older version.
TEST_F(DistributionTest, WithoutACacheKeyNoCacheIsWritten) {
  const std::string cache = TempDir();
  std::filesystem::create_directories(cache);
  std::ofstream(cache + "/last-good.json") << R"({"providers":[{"keys":[{"value":"sk-old-clear"}]}]})";
  ControlPlane cp = StartControlPlane();
  ASSERT_EQ(Admin(cp, "PUT", "/api/providers/openai",
                  R"({"keys": [{"name": "k", "value": "sk-literal-cache-secret"}]})").status,
            201);
  DataPlane dp = DataPlane::Start(cp.grpc, "dp-1", {"--cache-dir=" + cache});
  ASSERT_TRUE(Eventually([&] { return InSync(cp, dp); })) << dp.process.Log();
  EXPECT_FALSE(dp.process.WaitForLine("not writing the disk cache").empty());
  EXPECT_FALSE(std::filesystem::exists(cache + "/last-good.json"));
  // A wrong key cannot open a sealed cache: refused like a damaged one.
  DataPlane sealed = DataPlane::Start(cp.grpc, "dp-2", CacheFlags(cache));
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(cache + "/last-good.json"); }));
  const std::string other_key = std::filesystem::path(cache).parent_path().string() + "/other.key";
  std::ofstream(other_key) << "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=\n";
  DataPlane wrong = DataPlane::Start("127.0.0.1:" + std::to_string(FreePort()), "dp-3",
                                     {"--cache-dir=" + cache, "--cache-key-file=" + other_key});
  EXPECT_FALSE(wrong.process.WaitForLine("ignoring the disk cache").empty());
  EXPECT_EQ(HttpCall("GET", wrong.admin, "/readyz").status, 503);
}

TEST_F(DistributionTest, WatchesNeedTheDataPlaneToken) {
  ControlPlane cp = StartControlPlane();
  // No token, and the admin token instead: both refused.
  DataPlane none = DataPlane::Start(cp.grpc, "dp-none", {}, {{"SWITCHYARD_DATA_PLANE_TOKEN", ""}});
  DataPlane admin = DataPlane::Start(cp.grpc, "dp-admin", {},
                                     {{"SWITCHYARD_DATA_PLANE_TOKEN", kAdminToken}});
  EXPECT_FALSE(none.process.WaitForLine("refused the data-plane token").empty());
  EXPECT_FALSE(admin.process.WaitForLine("refused the data-plane token").empty());
  EXPECT_EQ(HttpCall("GET", none.admin, "/readyz").status, 503);
  EXPECT_EQ(HttpCall("GET", admin.admin, "/readyz").status, 503);
  EXPECT_EQ(Fleet(cp)["total"], 0);

  // The raw protocol says UNAUTHENTICATED.
  auto stub = v1::ConfigDistribution::NewStub(
      grpc::CreateChannel(cp.grpc, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto stream = stub->Watch(&context);
  v1::WatchRequest hello;
  hello.mutable_hello()->set_node_id("raw");
  stream->Write(hello);
  v1::ConfigUpdate update;
  EXPECT_FALSE(stream->Read(&update));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // And the data-plane token does not open the admin API.
  EXPECT_EQ(HttpCall("GET", cp.rest, "/api/providers", "",
                     {{"Authorization", std::string("Bearer ") + kDataPlaneToken}}).status,
            401);
}

}  // namespace
}  // namespace switchyard::testing
