// The gRPC admin API end to end, plus the standard health and reflection services.
#include <gtest/gtest.h>
#include <thread>
#include <fstream>
#include <filesystem>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "tests/integration/control_plane_fixture.h"
#include "tests/support/jwt_signer.h"

namespace switchyard::testing {
namespace {

using v1::ProviderConfig;
using switchyard::testing::TestJwtKey;
using v1::ProviderResponse;

class GrpcApiTest : public ControlPlaneTest {
 protected:
  void SetUp() override {
    ControlPlaneTest::SetUp();
    stub_ = AdminStub();
  }

  grpc::Status Create(const ProviderConfig& config, ProviderResponse* response) {
    grpc::ClientContext context;
    Authorize(&context);
    v1::CreateProviderRequest request;
    *request.mutable_provider() = config;
    return stub_->CreateProvider(&context, request, response);
  }

  grpc::Status Update(const std::string& name, const ProviderConfig& config,
                      const std::string& expected_hash, ProviderResponse* response) {
    grpc::ClientContext context;
    Authorize(&context);
    v1::UpdateProviderRequest request;
    request.set_name(name);
    *request.mutable_provider() = config;
    request.set_expected_config_hash(expected_hash);
    return stub_->UpdateProvider(&context, request, response);
  }

  grpc::Status Get(const std::string& name, ProviderResponse* response) {
    grpc::ClientContext context;
    Authorize(&context);
    v1::GetProviderRequest request;
    request.set_name(name);
    return stub_->GetProvider(&context, request, response);
  }

  grpc::Status Delete(const std::string& name, const std::string& expected_hash) {
    grpc::ClientContext context;
    Authorize(&context);
    v1::DeleteProviderRequest request;
    request.set_name(name);
    request.set_expected_config_hash(expected_hash);
    v1::DeleteProviderResponse response;
    return stub_->DeleteProvider(&context, request, &response);
  }

  static ProviderConfig OpenAi() {
    ProviderConfig config;
    config.set_name("openai");
    auto* key = config.add_keys();
    key->set_name("primary");
    key->mutable_value()->set_value("sk-grpc-secret-value-1234");
    return config;
  }

  std::unique_ptr<v1::ProviderAdmin::Stub> stub_;
};

TEST_F(GrpcApiTest, CrudWithTheSameRulesAsRest) {
  ProviderResponse created;
  ASSERT_TRUE(Create(OpenAi(), &created).ok());
  EXPECT_EQ(created.provider().name(), "openai");
  EXPECT_EQ(created.provider().keys(0).value().value(), "sk-g************************1234");
  EXPECT_EQ(created.provider().network_config().default_request_timeout_in_seconds(), 30);
  EXPECT_GT(created.revision(), 0);

  // The same config over REST hashes the same.
  HttpResult rest = Rest("GET", "/api/providers/openai");
  EXPECT_EQ(Json(rest)["config_hash"], created.provider().config_hash());

  ProviderResponse got;
  ASSERT_TRUE(Get("openai", &got).ok());
  EXPECT_EQ(got.provider().config_hash(), created.provider().config_hash());

  grpc::ClientContext list_context;
  Authorize(&list_context);
  v1::ListProvidersResponse list;
  ASSERT_TRUE(stub_->ListProviders(&list_context, {}, &list).ok());
  EXPECT_EQ(list.total(), 1);

  // Full replacement with the redacted value sent back keeps the secret.
  ProviderConfig edited = got.provider();
  edited.mutable_network_config()->set_max_retries(3);
  ProviderResponse updated;
  ASSERT_TRUE(Update("openai", edited, got.provider().config_hash(), &updated).ok());
  EXPECT_FALSE(updated.created());
  EXPECT_EQ(updated.provider().network_config().max_retries(), 3);
  auto stored = Sql(postgres()->dsn(), "SELECT config::text FROM providers");
  EXPECT_NE(stored[0][0].find("sk-grpc-secret-value-1234"), std::string::npos);

  ProviderResponse created_by_update;
  ASSERT_TRUE(Update("groq", ProviderConfig(), "", &created_by_update).ok());
  EXPECT_TRUE(created_by_update.created());

  ASSERT_TRUE(Delete("openai", updated.provider().config_hash()).ok());
  EXPECT_EQ(Get("openai", &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcApiTest, ErrorsUseCanonicalCodes) {
  ProviderResponse response;
  ASSERT_TRUE(Create(OpenAi(), &response).ok());
  EXPECT_EQ(Create(OpenAi(), &response).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  ProviderConfig bad = OpenAi();
  bad.set_name("groq");
  bad.mutable_keys(0)->set_weight(-2);
  grpc::Status invalid = Create(bad, &response);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(invalid.error_message().find("keys[0].weight"), std::string::npos);

  EXPECT_EQ(Get("nope", &response).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Delete("nope", "").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Update("openai", OpenAi(), std::string(64, 'f'), &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Delete("openai", std::string(64, 'f')).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  ProviderConfig renamed = OpenAi();
  renamed.set_name("other");
  EXPECT_EQ(Update("openai", renamed, "", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Issue 8 (d): a custom provider may not take a standard name, over gRPC as over REST.
TEST_F(GrpcApiTest, ACustomProviderMayNotTakeAStandardName) {
  ProviderConfig custom = OpenAi();
  custom.mutable_custom_provider_config()->set_base_provider_type("openai");
  ProviderResponse response;
  grpc::Status status = Create(custom, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("custom_provider_config"), std::string::npos);
  EXPECT_EQ(Get("openai", &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

// Issue 8 (m): a huge name used to be echoed into the status trailer; the call never
// answered and every later call on the channel hung.
TEST_F(GrpcApiTest, HugeNamesAreRefusedWithoutEchoAndTheChannelStaysUsable) {
  const std::string huge(100000, 'n');
  ProviderResponse response;
  for (int i = 0; i < 3; ++i) {
    grpc::Status get = Get(huge, &response);
    EXPECT_EQ(get.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_LT(get.error_message().size(), 1024u);
    grpc::Status del = Delete(huge, "");
    EXPECT_EQ(del.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(del.error_message().find("nnnnnnnnnn"), std::string::npos);
    EXPECT_EQ(Update(huge, OpenAi(), "", &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  ASSERT_TRUE(Create(OpenAi(), &response).ok());  // same channel, still answering
  EXPECT_EQ(Update("openai", OpenAi(), std::string(100000, 'f'), &response)
                .error_message()
                .find("ffffffffff"),
            std::string::npos);
}

TEST_F(GrpcApiTest, CallsWithoutTheAdminTokenAreUnauthenticated) {
  grpc::ClientContext none;
  v1::ProviderResponse response;
  v1::GetProviderRequest request;
  request.set_name("openai");
  EXPECT_EQ(stub_->GetProvider(&none, request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  grpc::ClientContext wrong;
  Authorize(&wrong, "not-the-token");
  v1::CreateProviderRequest create;
  *create.mutable_provider() = OpenAi();
  EXPECT_EQ(stub_->CreateProvider(&wrong, create, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Rest("GET", "/api/providers/openai").status, 404);
}

TEST_F(GrpcApiTest, HealthAndReflectionAreOn) {
  auto channel =
      grpc::CreateChannel(control_plane()->grpc, grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckResponse status;
  ASSERT_TRUE(health->Check(&health_context, {}, &status).ok());
  EXPECT_EQ(status.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext reflection_context;
  auto stream = reflection->ServerReflectionInfo(&reflection_context);
  grpc::reflection::v1alpha::ServerReflectionRequest list;
  list.set_list_services("");
  ASSERT_TRUE(stream->Write(list));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse services;
  ASSERT_TRUE(stream->Read(&services));
  std::vector<std::string> names;
  for (const auto& service : services.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "switchyard.v1.ProviderAdmin"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "grpc.health.v1.Health"), names.end());
  while (stream->Read(&services)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
}

// Issue 12 point 4: admin JWTs on REST and gRPC alike: a viewer reads and cannot write, an
// admin writes and is recorded as the change's actor (static tokens as token-<n>), bad tokens
// are refused, and a rotated JWKS file is picked up without a restart.
TEST_F(GrpcApiTest, AdminJwtsAuthorizeByRoleOnBothApis) {
  const TestJwtKey first = TestJwtKey::Ec("k1");
  const std::string jwks =
      (std::filesystem::temp_directory_path() / "switchyard-jwks.json").string();
  std::ofstream(jwks) << Jwks({&first});
  ControlPlane cp = ControlPlane::Start(
      postgres()->dsn(),
      {"--admin-jwks-file=" + jwks, "--admin-jwt-issuer=https://idp.example",
       "--admin-jwt-audience=switchyard-admin", "--admin-jwt-role-claim=roles"},
      {{"SWITCHYARD_ADMIN_TOKEN", kAdminToken}});
  ASSERT_TRUE(cp.listening()) << cp.process.Log();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto token = [&](const TestJwtKey& key, const std::string& sub, nlohmann::json roles,
                   const std::string& issuer = "https://idp.example", int64_t exp = 600) {
    nlohmann::json claims{{"iss", issuer}, {"aud", "switchyard-admin"}, {"sub", sub},
                          {"iat", now}, {"exp", now + exp}};
    if (!roles.is_null()) claims["roles"] = roles;
    return "Bearer " + key.Sign(claims);
  };
  const std::string body = R"({"keys": [{"name": "k", "value": "env.OPENAI_API_KEY"}]})";
  auto rest = [&](const std::string& method, const std::string& authorization) {
    return HttpCall(method, cp.rest, "/api/providers/openai", method == "PUT" ? body : "",
                    {{"Authorization", authorization}});
  };
  // REST: roles decide; the envelope is Bifrost's.
  const std::string viewer = token(first, "victor", {"viewer"});
  HttpResult refused = rest("PUT", viewer);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(JsonOf(refused)["error"]["type"], "permission_error");
  EXPECT_EQ(rest("PUT", token(first, "alice", {"admin"})).status, 201);
  EXPECT_EQ(rest("GET", viewer).status, 200);
  EXPECT_EQ(rest("PUT", token(first, "nobody", nullptr)).status, 403);  // no role at all
  EXPECT_EQ(rest("GET", token(first, "alice", {"admin"}, "https://evil.example")).status, 401);
  EXPECT_EQ(rest("GET", token(first, "alice", {"admin"}, "https://idp.example", -600)).status,
            401);
  EXPECT_EQ(rest("DELETE", "Bearer " + std::string(kAdminToken)).status, 200);
  auto actors = Sql(postgres()->dsn(), "SELECT actor FROM provider_changes ORDER BY revision");
  ASSERT_EQ(actors.size(), 2u);
  EXPECT_EQ(actors[0][0], "jwt:alice");
  EXPECT_EQ(actors[1][0], "token-1");
  EXPECT_FALSE(cp.process.WaitForLine("jwt:alice").empty());  // logged too

  // gRPC: the same rules.
  auto stub = v1::ProviderAdmin::NewStub(
      grpc::CreateChannel(cp.grpc, grpc::InsecureChannelCredentials()));
  v1::CreateProviderRequest create;
  create.mutable_provider()->set_name("groq");
  create.mutable_provider()->add_keys()->mutable_value()->set_value("env.GROQ_API_KEY");
  v1::ProviderResponse response;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", viewer);
    EXPECT_EQ(stub->CreateProvider(&context, create, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", token(first, "bob", {"viewer", "admin"}));
    EXPECT_TRUE(stub->CreateProvider(&context, create, &response).ok());
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer not.a.jwt");
    v1::ListProvidersResponse list;
    EXPECT_EQ(stub->ListProviders(&context, v1::ListProvidersRequest(), &list).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }

  // Key rotation: the file changes, the new key is accepted and the old one no longer is.
  const TestJwtKey second = TestJwtKey::Rsa("k2");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::ofstream(jwks) << Jwks({&second});
  auto list = [&](const std::string& authorization) {
    return HttpCall("GET", cp.rest, "/api/providers", "", {{"Authorization", authorization}});
  };
  EXPECT_TRUE(Eventually([&] { return list(token(second, "carol", {"viewer"})).status == 200; }))
      << list(token(second, "carol", {"viewer"})).body;
  EXPECT_EQ(list(token(first, "alice", {"admin"})).status, 401);
  std::filesystem::remove(jwks);
}

}  // namespace
}  // namespace switchyard::testing
