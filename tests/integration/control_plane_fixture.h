// Test fixtures for the control plane: a real PostgreSQL server and real
// switchyard-control-plane processes, reached over real sockets.
//
// ControlPlaneTest shares one PostgreSQL server and one control plane (admin token
// kAdminToken) across a suite and empties the provider tables before each test.
#ifndef SWITCHYARD_TESTS_INTEGRATION_CONTROL_PLANE_FIXTURE_H_
#define SWITCHYARD_TESTS_INTEGRATION_CONTROL_PLANE_FIXTURE_H_

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "switchyard/v1/admin.grpc.pb.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"

namespace switchyard::testing {

inline constexpr char kAdminToken[] = "test-admin-token";

// One control-plane process with the addresses it reported.
struct ControlPlane {
  Process process;
  std::string rest;  // host:port
  std::string grpc;  // host:port

  // Starts the binary with --postgres-dsn, ports chosen by the OS, and `args`; waits until
  // both APIs listen. `env` defaults to SWITCHYARD_ADMIN_TOKEN=kAdminToken.
  static ControlPlane Start(const std::string& dsn, const std::vector<std::string>& args = {},
                            std::map<std::string, std::string> env = {
                                {"SWITCHYARD_ADMIN_TOKEN", kAdminToken}});
  // A started process that failed to listen has empty addresses.
  bool listening() const { return !rest.empty() && !grpc.empty(); }
};

// "ts=... msg=listening api=rest addr=127.0.0.1:4321" -> "127.0.0.1:4321" ("" when absent).
std::string AddressIn(const std::string& log_line);

// A REST call to a control plane with the admin token.
HttpResult Admin(const ControlPlane& cp, const std::string& method, const std::string& target,
                 const std::string& body = "");

// The JSON body of a response (discarded value when it is not JSON).
nlohmann::json JsonOf(const HttpResult& result);

// One data-plane process; `admin` is its admin listener (host:port).
struct DataPlane {
  Process process;
  std::string admin;  // admin listener, host:port
  std::string http;   // inference listener, host:port

  // Starts the binary against `control_plane` (host:port) with ports chosen by the OS and
  // a short reconnect backoff; waits until the admin listener is up.
  static DataPlane Start(const std::string& control_plane, const std::string& node_id,
                         const std::vector<std::string>& args = {},
                         std::map<std::string, std::string> env = {});
  nlohmann::json Config() const;  // GET /config (discarded value when unreachable)
  double Metric(const std::string& name) const;  // from /metrics; -1 when absent
};

// Polls `condition` every 5 ms until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(15));

inline constexpr char kDataPlaneToken[] = "test-data-plane-token";

// Runs one SQL statement on the database; returns the rows as text.
std::vector<std::vector<std::string>> Sql(const std::string& dsn, const std::string& query);

class ControlPlaneTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // REST call with the admin token.
  static HttpResult Rest(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         std::vector<std::pair<std::string, std::string>> headers = {});
  static nlohmann::json Json(const HttpResult& result) { return JsonOf(result); }

  static std::unique_ptr<switchyard::v1::ProviderAdmin::Stub> AdminStub();
  static void Authorize(grpc::ClientContext* context, const std::string& token = kAdminToken);

  static PostgresServer* postgres() { return postgres_.get(); }
  static ControlPlane* control_plane() { return control_plane_.get(); }

 private:
  static std::unique_ptr<PostgresServer> postgres_;
  static std::unique_ptr<ControlPlane> control_plane_;
};

// A suite with one PostgreSQL, one control plane, the mock provider and `planes` data planes
// ("<prefix>0", "<prefix>1", ...), shared by its tests; writes wait for every data plane.
class FleetTest : public ::testing::Test {
 protected:
  struct FleetOptions {
    int planes = 2;
    std::string node_prefix = "dp-";
    std::map<std::string, std::string> control_plane_env = {
        {"SWITCHYARD_ADMIN_TOKEN", kAdminToken}};
    std::map<std::string, std::string> plane_env;
    std::function<std::vector<std::string>(int)> plane_args;  // by index; may be empty
  };
  static void StartFleet(const FleetOptions& options);
  static void StopFleet();

  // REST call to the control plane with the admin token.
  static HttpResult Rest(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         std::vector<std::pair<std::string, std::string>> headers = {});
  // Writes, expects `status`, and waits until every data plane applied the write's revision.
  static nlohmann::json Write(const std::string& method, const std::string& target,
                              const nlohmann::json& body, int status);
  static void WaitForRevision(int64_t revision);

  static inline std::unique_ptr<PostgresServer> postgres_;
  static inline std::unique_ptr<ControlPlane> control_plane_;
  static inline std::unique_ptr<Process> mock_;
  static inline std::string mock_address_;
  static inline std::vector<std::unique_ptr<DataPlane>> planes_;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_INTEGRATION_CONTROL_PLANE_FIXTURE_H_
