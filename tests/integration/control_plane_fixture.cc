#include "tests/integration/control_plane_fixture.h"

#include <pqxx/pqxx>
#include <thread>

namespace switchyard::testing {
std::string AddressIn(const std::string& line) {
  const size_t at = line.find("addr=");
  if (at == std::string::npos) return "";
  const size_t end = line.find(' ', at);
  return line.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
}

HttpResult Admin(const ControlPlane& cp, const std::string& method, const std::string& target,
                 const std::string& body) {
  return HttpCall(method, cp.rest, target, body,
                  {{"Authorization", std::string("Bearer ") + kAdminToken}});
}

std::unique_ptr<PostgresServer> ControlPlaneTest::postgres_;
std::unique_ptr<ControlPlane> ControlPlaneTest::control_plane_;

DataPlane DataPlane::Start(const std::string& control_plane, const std::string& node_id,
                           const std::vector<std::string>& args,
                           std::map<std::string, std::string> env) {
  std::vector<std::string> all = {"--control-plane=" + control_plane, "--node-id=" + node_id,
                                  "--http-listen=127.0.0.1:0", "--admin-listen=127.0.0.1:0",
                                  "--reconnect-max-ms=300"};
  all.insert(all.end(), args.begin(), args.end());
  if (env.find("SWITCHYARD_DATA_PLANE_TOKEN") == env.end()) {
    env["SWITCHYARD_DATA_PLANE_TOKEN"] = kDataPlaneToken;
  }
  DataPlane dp{Process::Start(SWITCHYARD_DATA_PLANE_BIN, all, env), "", ""};
  dp.admin = AddressIn(dp.process.WaitForLine("msg=listening api=admin"));
  dp.http = AddressIn(dp.process.WaitForLine("msg=listening api=http"));
  return dp;
}

nlohmann::json DataPlane::Config() const {
  return JsonOf(HttpCall("GET", admin, "/config"));
}

double DataPlane::Metric(const std::string& name) const {
  const std::string text = HttpCall("GET", admin, "/metrics").body;
  size_t at = 0;
  while ((at = text.find(name + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + name.size() + 1));
    at += name.size();
  }
  return -1;
}

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

ControlPlane ControlPlane::Start(const std::string& dsn, const std::vector<std::string>& args,
                                 std::map<std::string, std::string> env) {
  std::vector<std::string> all = {"--postgres-dsn=" + dsn, "--grpc-listen=127.0.0.1:0",
                                  "--http-listen=127.0.0.1:0"};
  all.insert(all.end(), args.begin(), args.end());
  if (env.find("SWITCHYARD_ADMIN_TOKEN") == env.end()) env["SWITCHYARD_ADMIN_TOKEN"] = "";
  if (env.find("SWITCHYARD_DATA_PLANE_TOKEN") == env.end()) {
    env["SWITCHYARD_DATA_PLANE_TOKEN"] = kDataPlaneToken;
  }
  env["SWITCHYARD_POSTGRES_DSN"] = "";
  ControlPlane cp{Process::Start(SWITCHYARD_CONTROL_PLANE_BIN, all, env), "", ""};
  cp.rest = AddressIn(cp.process.WaitForLine("msg=listening api=rest"));
  cp.grpc = AddressIn(cp.process.WaitForLine("msg=listening api=grpc"));
  return cp;
}

std::vector<std::vector<std::string>> Sql(const std::string& dsn, const std::string& query) {
  pqxx::connection connection(dsn);
  pqxx::nontransaction tx(connection);
  std::vector<std::vector<std::string>> rows;
  for (const pqxx::row& row : tx.exec(query)) {
    std::vector<std::string> values;
    for (const pqxx::field& field : row) {
      values.push_back(field.is_null() ? "" : field.as<std::string>());
    }
    rows.push_back(std::move(values));
  }
  return rows;
}

void ControlPlaneTest::SetUpTestSuite() {
  postgres_ = PostgresServer::Start();
  control_plane_ = std::make_unique<ControlPlane>(ControlPlane::Start(postgres_->dsn()));
  ASSERT_TRUE(control_plane_->listening()) << control_plane_->process.Log();
}

void ControlPlaneTest::TearDownTestSuite() {
  control_plane_.reset();
  postgres_.reset();
}

void ControlPlaneTest::SetUp() {
  ASSERT_TRUE(control_plane_ && control_plane_->listening());
  Sql(postgres_->dsn(), "TRUNCATE providers, provider_changes");
}

HttpResult ControlPlaneTest::Rest(const std::string& method, const std::string& target,
                                  const std::string& body,
                                  std::vector<std::pair<std::string, std::string>> headers) {
  headers.emplace_back("Authorization", std::string("Bearer ") + kAdminToken);
  return HttpCall(method, control_plane_->rest, target, body, headers);
}

nlohmann::json JsonOf(const HttpResult& result) {
  return nlohmann::json::parse(result.body, nullptr, /*allow_exceptions=*/false);
}

std::unique_ptr<v1::ProviderAdmin::Stub> ControlPlaneTest::AdminStub() {
  return v1::ProviderAdmin::NewStub(
      grpc::CreateChannel(control_plane_->grpc, grpc::InsecureChannelCredentials()));
}

void ControlPlaneTest::Authorize(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata("authorization", "Bearer " + token);
}

void FleetTest::StartFleet(const FleetOptions& options) {
  postgres_ = PostgresServer::Start();
  control_plane_ = std::make_unique<ControlPlane>(ControlPlane::Start(
      postgres_->dsn(), {"--catch-up-interval-ms=200"}, options.control_plane_env));
  ASSERT_TRUE(control_plane_->listening()) << control_plane_->process.Log();
  mock_ = std::make_unique<Process>(Process::Start(SWITCHYARD_MOCK_PROVIDER_BIN, {}));
  mock_address_ = AddressIn(mock_->WaitForLine("msg=listening"));
  for (int i = 0; i < options.planes; ++i) {
    planes_.push_back(std::make_unique<DataPlane>(DataPlane::Start(
        control_plane_->grpc, options.node_prefix + std::to_string(i),
        options.plane_args ? options.plane_args(i) : std::vector<std::string>{},
        options.plane_env)));
    ASSERT_FALSE(planes_.back()->http.empty()) << planes_.back()->process.Log();
  }
}

void FleetTest::StopFleet() {
  planes_.clear();
  mock_.reset();
  control_plane_.reset();
  postgres_.reset();
}

HttpResult FleetTest::Rest(const std::string& method, const std::string& target,
                           const std::string& body,
                           std::vector<std::pair<std::string, std::string>> headers) {
  headers.emplace_back("Authorization", std::string("Bearer ") + kAdminToken);
  return HttpCall(method, control_plane_->rest, target, body, headers);
}

nlohmann::json FleetTest::Write(const std::string& method, const std::string& target,
                                const nlohmann::json& body, int status) {
  HttpResult result = Rest(method, target, body.is_null() ? "" : body.dump());
  EXPECT_EQ(result.status, status) << method << " " << target << " " << body.dump() << " -> "
                                   << result.body;
  const std::string revision = result.Header("x-switchyard-revision");
  if (!revision.empty()) WaitForRevision(std::stoll(revision));
  return JsonOf(result);
}

void FleetTest::WaitForRevision(int64_t revision) {
  for (const auto& plane : planes_) {
    ASSERT_TRUE(Eventually([&] {
      const nlohmann::json config = plane->Config();
      return config.is_object() && config.value("revision", int64_t{0}) >= revision;
    })) << plane->Config().dump();
  }
}

}  // namespace switchyard::testing
