// The admin web console in a real browser: tests/console/console.test.mjs drives Debian's
// headless Chromium (puppeteer-core, installed by make deps) against a real control plane,
// data plane and mock provider. Screenshots of each page land in the build folder
// (console-screenshots/).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/control_plane_fixture.h"
#include "tests/support/jwt_signer.h"
#include "tests/support/process.h"

namespace switchyard::testing {
namespace {

using nlohmann::json;

TEST(ConsoleTest, DrivenInHeadlessChromium) {
  const std::string dir = SWITCHYARD_CONSOLE_TEST_DIR;
  ASSERT_TRUE(std::filesystem::exists(dir + "/node_modules/puppeteer-core"))
      << "tests/console/node_modules is missing: run make deps";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "Debian's chromium: run make deps";

  // Admin token and JWTs (a viewer's for the read-only view).
  const TestJwtKey key = TestJwtKey::Ec("console");
  const std::string jwks = ::testing::TempDir() + "switchyard-console-jwks.json";
  std::ofstream(jwks) << Jwks({&key});
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string viewer = key.Sign({{"iss", "https://idp.example"},
                                       {"aud", "switchyard-admin"},
                                       {"sub", "vera"},
                                       {"roles", {"viewer"}},
                                       {"iat", now},
                                       {"exp", now + 3600}});

  std::unique_ptr<PostgresServer> postgres = PostgresServer::Start();
  ControlPlane control_plane = ControlPlane::Start(
      postgres->dsn(), {"--admin-jwks-file=" + jwks, "--admin-jwt-issuer=https://idp.example",
                        "--admin-jwt-audience=switchyard-admin", "--admin-jwt-role-claim=roles"});
  ASSERT_TRUE(control_plane.listening()) << control_plane.process.Log();
  Process mock = Process::Start(SWITCHYARD_MOCK_PROVIDER_BIN, {});
  const std::string mock_address = AddressIn(mock.WaitForLine("msg=listening"));
  DataPlane data_plane = DataPlane::Start(control_plane.grpc, "dp-console");
  ASSERT_LT(Admin(control_plane, "PUT", "/api/providers/openai",
                  json{{"keys", json::array({{{"name", "k"}, {"value", "sk-openai-console"}}})},
                       {"network_config", {{"base_url", "http://" + mock_address}}}}
                      .dump())
                .status,
            300);

  const std::string shots = SWITCHYARD_SCREENSHOT_DIR;
  const std::string out = ::testing::TempDir() + "switchyard-console-" + std::to_string(getpid()) + ".out";
  const int code = std::system(
      ("cd " + dir + " && SWITCHYARD_CONSOLE=" + control_plane.rest +
       " SWITCHYARD_DATA_PLANE=" + data_plane.http + " SWITCHYARD_MOCK=" + mock_address +
       " SWITCHYARD_TOKEN=" + kAdminToken + " SWITCHYARD_VIEWER_JWT=" + viewer +
       " SWITCHYARD_SCREENSHOTS=" + shots +
       " node --test --test-concurrency=1 --test-timeout=120000 console.test.mjs > " + out + " 2>&1")
          .c_str());
  std::ifstream in(out);
  const std::string output((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(code, 0) << output;
  for (const char* page : {"sign-in", "providers", "provider-create", "provider-conflict", "fleet",
                           "logs", "log-detail", "virtual-keys", "credentials", "model-routes",
                           "providers-narrow", "provider-viewer"}) {
    EXPECT_TRUE(std::filesystem::exists(shots + "/" + page + ".png")) << page;
  }
}

}  // namespace
}  // namespace switchyard::testing
