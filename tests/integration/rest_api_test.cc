// The REST admin API end to end: a real control-plane process on a real PostgreSQL.
#include <gtest/gtest.h>
#include <fstream>
#include <filesystem>

#include <string>

#include "tests/integration/control_plane_fixture.h"

namespace switchyard::testing {
namespace {

using nlohmann::json;

constexpr char kOpenAi[] = R"({
  "provider": "openai",
  "keys": [{"name": "openai-key-1", "value": "sk-proj-abcdefghijklmnop1234", "models": ["*"],
            "weight": 1.0}]
})";

class RestApiTest : public ControlPlaneTest {
 protected:
  // Asserts Bifrost's error envelope with `status` and returns it.
  static json ExpectError(const HttpResult& result, int status) {
    EXPECT_EQ(result.status, status) << result.body;
    json body = Json(result);
    EXPECT_EQ(body.value("status_code", 0), status) << result.body;
    EXPECT_EQ(body.value("is_bifrost_error", false), true);
    EXPECT_TRUE(body.contains("event_id"));
    EXPECT_TRUE(body["error"].is_object()) << result.body;
    EXPECT_FALSE(body["error"].value("message", "").empty());
    EXPECT_FALSE(body["error"].value("type", "").empty());
    EXPECT_FALSE(body["error"].value("code", "").empty());
    return body;
  }

  static std::string StoredConfig(const std::string& name) {
    auto rows = Sql(postgres()->dsn(), "SELECT config::text FROM providers WHERE name = '" +
                                           name + "'");
    return rows.empty() ? "" : rows[0][0];
  }
};

TEST_F(RestApiTest, HealthReportsTheDatabaseWithoutAToken) {
  HttpResult result = HttpCall("GET", control_plane()->rest, "/health");
  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(Json(result)["status"], "ok");
  EXPECT_EQ(Json(result)["components"]["database"], "ok");
}

TEST_F(RestApiTest, CreateGetListDelete) {
  HttpResult created = Rest("POST", "/api/providers", kOpenAi);
  ASSERT_EQ(created.status, 201) << created.body;
  json body = Json(created);
  EXPECT_EQ(body["name"], "openai");
  EXPECT_EQ(created.Header("etag"), "\"" + body["config_hash"].get<std::string>() + "\"");
  EXPECT_EQ(created.Header("location"), "/api/providers/openai");
  EXPECT_EQ(body["config_hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(body["provider_status"], "active");
  // Defaults filled in.
  EXPECT_EQ(body["network_config"]["default_request_timeout_in_seconds"], 30);
  EXPECT_EQ(body["network_config"]["max_retries"], 0);
  EXPECT_EQ(body["network_config"]["retry_backoff_initial"], 500);
  EXPECT_EQ(body["network_config"]["retry_backoff_max"], 5000);
  EXPECT_EQ(body["concurrency_and_buffer_size"]["concurrency"], 1000);
  EXPECT_EQ(body["concurrency_and_buffer_size"]["buffer_size"], 5000);
  EXPECT_EQ(body["keys"][0]["enabled"], true);
  EXPECT_EQ(body["proxy_config"]["type"], "none");

  HttpResult got = Rest("GET", "/api/providers/openai");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(Json(got), body);
  EXPECT_EQ(got.Header("etag"), created.Header("etag"));

  ASSERT_EQ(Rest("POST", "/api/providers", R"({"provider": "groq"})").status, 201);
  HttpResult list = Rest("GET", "/api/providers");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(Json(list)["total"], 2);
  EXPECT_EQ(Json(list)["providers"][0]["name"], "groq");
  EXPECT_EQ(Json(list)["providers"][1]["name"], "openai");

  HttpResult deleted = Rest("DELETE", "/api/providers/openai");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(Json(deleted)["name"], "openai");
  ExpectError(Rest("GET", "/api/providers/openai"), 404);
  EXPECT_EQ(Json(Rest("GET", "/api/providers"))["total"], 1);
}

TEST_F(RestApiTest, SecretsAreRedactedInEveryResponse) {
  const std::string body = R"({
    "provider": "openai",
    "keys": [
      {"name": "long", "value": "sk-proj-abcdefghijklmnop1234"},
      {"name": "short", "value": "dummy"},
      {"name": "env", "value": "env.OPENAI_API_KEY"},
      {"name": "object", "value": {"value": "sk-object-secret-0987", "from_env": false}}
    ],
    "proxy_config": {"type": "http", "url": "http://proxy:3128", "username": "u",
                     "password": "hunter2-proxy-password"}
  })";
  HttpResult created = Rest("POST", "/api/providers", body);
  ASSERT_EQ(created.status, 201) << created.body;
  for (const HttpResult& result : {created, Rest("GET", "/api/providers/openai"),
                                   Rest("GET", "/api/providers")}) {
    EXPECT_EQ(result.body.find("abcdefghijklmnop"), std::string::npos) << result.body;
    EXPECT_EQ(result.body.find("dummy"), std::string::npos) << result.body;
    EXPECT_EQ(result.body.find("object-secret"), std::string::npos) << result.body;
    EXPECT_EQ(result.body.find("hunter2"), std::string::npos) << result.body;
  }
  json keys = Json(created)["keys"];
  EXPECT_EQ(keys[0]["name"], "env");
  EXPECT_EQ(keys[0]["value"]["value"], "env.OPENAI_API_KEY");
  EXPECT_EQ(keys[0]["value"]["env_var"], "env.OPENAI_API_KEY");
  EXPECT_EQ(keys[0]["value"]["from_env"], true);
  EXPECT_EQ(keys[1]["name"], "long");
  EXPECT_EQ(keys[1]["value"]["value"], "sk-p************************1234");
  EXPECT_EQ(keys[2]["value"]["value"], "sk-o************************0987");
  EXPECT_EQ(keys[3]["name"], "short");
  EXPECT_EQ(keys[3]["value"]["value"], "*****");
  EXPECT_EQ(Json(created)["proxy_config"]["password"], "<REDACTED>");
  // The store keeps the real secret.
  EXPECT_NE(StoredConfig("openai").find("sk-proj-abcdefghijklmnop1234"), std::string::npos);
  // And the log never shows one.
  const std::string log = control_plane()->process.Log();
  EXPECT_EQ(log.find("abcdefghijklmnop"), std::string::npos);
  EXPECT_EQ(log.find("hunter2"), std::string::npos);
}

TEST_F(RestApiTest, GetEditPutRoundTripKeepsStoredSecrets) {
  ASSERT_EQ(Rest("POST", "/api/providers", kOpenAi).status, 201);
  HttpResult got = Rest("GET", "/api/providers/openai");
  const std::string hash = Json(got)["config_hash"];

  // Unchanged GET body PUT back: same hash, nothing written.
  HttpResult same = Rest("PUT", "/api/providers/openai", got.body);
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(Json(same)["config_hash"], hash);
  EXPECT_EQ(same.Header("x-switchyard-revision"), got.Header("x-switchyard-revision"));

  json edited = Json(got);
  edited["keys"][0]["weight"] = 0.5;
  HttpResult put = Rest("PUT", "/api/providers/openai", edited.dump());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_NE(Json(put)["config_hash"], hash);
  EXPECT_EQ(Json(put)["keys"][0]["weight"], 0.5);
  EXPECT_NE(StoredConfig("openai").find("sk-proj-abcdefghijklmnop1234"), std::string::npos);

  // A redacted value that matches no stored key is refused, not stored.
  json foreign = edited;
  foreign["keys"][0]["name"] = "another-key";
  foreign["keys"][0]["id"] = "another-id";
  json error = ExpectError(Rest("PUT", "/api/providers/openai", foreign.dump()), 400);
  EXPECT_EQ(error["error"]["param"], "keys[0].value");
}

// Issue 12 point 3: every kind of secret is redacted in answers and survives GET -> PUT:
// sensitive extra_headers, the proxy password, and the secret fields of the Azure,
// Vertex and Bedrock key configs.
TEST_F(RestApiTest, EveryRedactedFieldRoundTrips) {
  const std::vector<std::pair<std::string, std::string>> providers = {
      {"openai", R"({"keys": [{"name": "k", "value": "env.OPENAI_API_KEY"}],
        "network_config": {"extra_headers": {"Authorization": "Bearer header-secret-0001",
                                             "x-upstream-token": "header-secret-0002",
                                             "x-team": "search"}},
        "proxy_config": {"type": "http", "url": "http://proxy:3128", "username": "pu",
                         "password": "proxy-secret-0004"}})"},
      {"azure", R"({"keys": [{"name": "e", "azure_key_config": {"endpoint": "https://r.openai.azure.com",
        "client_id": "app", "client_secret": "azure-secret-0005", "tenant_id": "t"}}]})"},
      {"vertex", R"({"keys": [{"name": "sa", "vertex_key_config": {"project_id": "p", "region": "r",
        "auth_credentials": "{\"private_key\": \"vertex-secret-0006\"}"}}]})"},
      {"bedrock", R"({"keys": [{"name": "iam", "bedrock_key_config": {"region": "us-east-1",
        "access_key": "AKIASECRET0007", "secret_key": "bedrock-secret-0008",
        "session_token": "bedrock-secret-0009"}}]})"}};
  for (const auto& [name, body] : providers) {
    SCOPED_TRACE(name);
    HttpResult created = Rest("PUT", "/api/providers/" + name, body);
    ASSERT_EQ(created.status, 201) << created.body;
    HttpResult got = Rest("GET", "/api/providers/" + name);
    for (const HttpResult* answer : {&created, &got}) {
      EXPECT_EQ(answer->body.find("secret-00"), std::string::npos) << answer->body;
      EXPECT_EQ(answer->body.find("SECRET0007"), std::string::npos) << answer->body;
    }
    const std::string hash = Json(got)["config_hash"];
    HttpResult same = Rest("PUT", "/api/providers/" + name, got.body);
    ASSERT_EQ(same.status, 200) << same.body;
    EXPECT_EQ(Json(same)["config_hash"], hash);  // every secret restored, nothing changed
  }
  json openai = Json(Rest("GET", "/api/providers/openai"));
  EXPECT_EQ(openai["network_config"]["extra_headers"]["x-team"], "search");
  EXPECT_EQ(openai["network_config"]["extra_headers"]["authorization"],
            "Bear************************0001");
  // (Credentials inside a proxy URL are refused at validation; URLs stored before that are
  // redacted too: RedactSecretsTest.SensitiveHeadersAndProxyUrlPasswordsAreSecrets.)
  EXPECT_NE(StoredConfig("openai").find("header-secret-0001"), std::string::npos);
  EXPECT_NE(StoredConfig("bedrock").find("bedrock-secret-0009"), std::string::npos);
}

// Issue 12 point 2: with a key every stored secret rests sealed (AES-256-GCM) in providers and
// provider_changes; rows written in clear before are sealed at start; --reencrypt rotates;
// hashes never change. A database of its own: the suite's control plane has no key.
TEST_F(RestApiTest, SecretsRestSealedAndKeysRotate) {
  Sql(postgres()->dsn(), "DROP DATABASE IF EXISTS sealed");
  Sql(postgres()->dsn(), "CREATE DATABASE sealed");
  const std::string dsn = postgres()->dsn() + " dbname=sealed";
  const std::string key_a = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
  const std::string key_b = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
  auto dump = [&] {
    std::string text;
    for (const char* query : {"SELECT config::text FROM providers",
                              "SELECT config::text FROM governance_objects",
                              "SELECT coalesce(config::text, '') FROM provider_changes"}) {
      for (const auto& row : Sql(dsn, query)) text += row[0] + "\n";
    }
    return text;
  };
  const std::map<std::string, std::string> admin = {{"SWITCHYARD_ADMIN_TOKEN", kAdminToken}};
  std::string hash;
  {  // No key: clear, and /health says so.
    ControlPlane cp = ControlPlane::Start(dsn, {}, admin);
    ASSERT_TRUE(cp.listening()) << cp.process.Log();
    EXPECT_EQ(JsonOf(HttpCall("GET", cp.rest, "/health"))["secrets_at_rest"], "clear");
    EXPECT_FALSE(cp.process.WaitForLine("secrets are stored in clear").empty());
    HttpResult put = Admin(cp, "PUT", "/api/providers/openai",
                           R"({"keys": [{"name": "k", "value": "sk-clear-before-key-1234"}]})");
    ASSERT_EQ(put.status, 201) << put.body;
    hash = JsonOf(put)["config_hash"];
    // A shared credential's secret (seed 004) is sealed like a provider key.
    HttpResult credential = Admin(cp, "POST", "/api/credentials",
                                  R"({"name": "c", "model_provider": "openai",
                                      "api_key": "sk-cred-clear-5678"})");
    ASSERT_EQ(credential.status, 201) << credential.body;
    EXPECT_NE(dump().find("sk-clear-before-key-1234"), std::string::npos);
    EXPECT_NE(dump().find("sk-cred-clear-5678"), std::string::npos);
  }
  {  // Key A: the old rows are sealed at start, new ones as written; answers unchanged.
    std::map<std::string, std::string> env = admin;
    env["SWITCHYARD_ENCRYPTION_KEY"] = key_a;
    ControlPlane cp = ControlPlane::Start(dsn, {}, env);
    ASSERT_TRUE(cp.listening()) << cp.process.Log();
    EXPECT_EQ(JsonOf(HttpCall("GET", cp.rest, "/health"))["secrets_at_rest"], "encrypted");
    json got = JsonOf(Admin(cp, "GET", "/api/providers/openai"));
    EXPECT_EQ(got["config_hash"], hash);
    EXPECT_EQ(got["keys"][0]["value"]["value"], "sk-c************************1234");
    ASSERT_EQ(Admin(cp, "PUT", "/api/providers/bedrock",
                    R"({"keys": [{"name": "iam", "bedrock_key_config": {"region": "us-east-1",
                        "access_key": "AKIAATREST", "secret_key": "bedrock-secret-at-rest"}}],
                        "network_config": {"extra_headers": {"authorization": "Bearer hdr-at-rest"}}})")
                  .status,
              201);
    const std::string sealed = dump();
    EXPECT_EQ(sealed.find("sk-clear-before-key-1234"), std::string::npos) << sealed;
    EXPECT_EQ(sealed.find("sk-cred-clear-5678"), std::string::npos) << sealed;
    EXPECT_EQ(sealed.find("bedrock-secret-at-rest"), std::string::npos) << sealed;
    EXPECT_EQ(sealed.find("hdr-at-rest"), std::string::npos) << sealed;
    EXPECT_NE(sealed.find("sy1:"), std::string::npos);
    // GET -> PUT round trip still restores the (sealed) stored secrets.
    HttpResult same = Admin(cp, "PUT", "/api/providers/openai", got.dump());
    EXPECT_EQ(same.status, 200) << same.body;
    EXPECT_EQ(JsonOf(same)["config_hash"], hash);
  }
  // Rotation: B first, A still given; then B alone reads everything.
  const std::string keys = (std::filesystem::temp_directory_path() / "switchyard-keys").string();
  std::ofstream(keys) << key_b << "\n" << key_a << "\n";
  Process reencrypt = Process::Start(SWITCHYARD_CONTROL_PLANE_BIN,
                                     {"--postgres-dsn=" + dsn, "--reencrypt",
                                      "--encryption-key-file=" + keys},
                                     {{"SWITCHYARD_ADMIN_TOKEN", ""},  // needs none
                                      {"SWITCHYARD_POSTGRES_DSN", ""}});
  EXPECT_EQ(reencrypt.Wait(), 0) << reencrypt.Log();
  EXPECT_EQ(dump().find("sk-clear-before"), std::string::npos);
  {
    std::map<std::string, std::string> env = admin;
    env["SWITCHYARD_ENCRYPTION_KEY"] = key_b;
    ControlPlane cp = ControlPlane::Start(dsn, {}, env);
    ASSERT_TRUE(cp.listening()) << cp.process.Log();
    json got = JsonOf(Admin(cp, "GET", "/api/providers/openai"));
    EXPECT_EQ(got["keys"][0]["value"]["value"], "sk-c************************1234") << got.dump();
    EXPECT_EQ(got["config_hash"], hash);
    EXPECT_EQ(JsonOf(Admin(cp, "GET", "/api/providers/bedrock"))["keys"][0]["bedrock_key_config"]
                  ["secret_key"]["value"],
              "bedr************************rest");
    // Re-sealed under B: it opens without A.
    const json credentials = JsonOf(Admin(cp, "GET", "/api/credentials"));
    EXPECT_EQ(credentials["credentials"][0]["api_key"], "sk-c************************5678")
        << credentials.dump();
  }
  std::filesystem::remove(keys);
}

TEST_F(RestApiTest, PutIsAFullReplacement) {
  ASSERT_EQ(Rest("POST", "/api/providers", R"({
    "provider": "openai",
    "keys": [{"name": "k", "value": "env.OPENAI_API_KEY"}],
    "network_config": {"max_retries": 5, "extra_headers": {"x-team": "a"},
                       "default_request_timeout_in_seconds": 60},
    "send_back_raw_response": true,
    "concurrency_and_buffer_size": {"concurrency": 10, "buffer_size": 20}
  })").status, 201);
  HttpResult put = Rest("PUT", "/api/providers/openai",
                        R"({"keys": [{"name": "k", "value": "env.OPENAI_API_KEY"}]})");
  ASSERT_EQ(put.status, 200) << put.body;
  json body = Json(Rest("GET", "/api/providers/openai"));
  EXPECT_EQ(body["network_config"]["max_retries"], 0);
  EXPECT_EQ(body["network_config"]["default_request_timeout_in_seconds"], 30);
  EXPECT_TRUE(body["network_config"]["extra_headers"].empty());
  EXPECT_EQ(body["send_back_raw_response"], false);
  EXPECT_EQ(body["concurrency_and_buffer_size"]["concurrency"], 1000);
}

TEST_F(RestApiTest, PutCreatesAMissingProviderWith201) {
  HttpResult created = Rest("PUT", "/api/providers/groq", R"({"keys": []})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Json(created)["name"], "groq");
  HttpResult replaced = Rest("PUT", "/api/providers/groq", R"({"description": "fast"})");
  EXPECT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(Json(replaced)["description"], "fast");
}

TEST_F(RestApiTest, IfMatchGuardsPutAndDelete) {
  HttpResult created = Rest("POST", "/api/providers", kOpenAi);
  const std::string etag = created.Header("etag");
  const std::string stale = "\"" + std::string(64, '0') + "\"";

  ExpectError(Rest("PUT", "/api/providers/openai", R"({"description": "x"})",
                   {{"If-Match", stale}}),
              412);
  EXPECT_EQ(Rest("GET", "/api/providers/openai").Header("etag"), etag);  // unchanged
  ExpectError(Rest("DELETE", "/api/providers/openai", "", {{"If-Match", stale}}), 412);
  EXPECT_EQ(Rest("GET", "/api/providers/openai").status, 200);

  HttpResult put = Rest("PUT", "/api/providers/openai", created.body, {{"If-Match", etag}});
  EXPECT_EQ(put.status, 200) << put.body;
  ExpectError(Rest("PUT", "/api/providers/groq", "{}", {{"If-Match", "*"}}), 412);
  EXPECT_EQ(Rest("GET", "/api/providers/groq").status, 404);
  EXPECT_EQ(Rest("DELETE", "/api/providers/openai", "", {{"If-Match", etag}}).status, 200);
}

TEST_F(RestApiTest, DuplicateCreateIs409AndChangesNothing) {
  HttpResult created = Rest("POST", "/api/providers", kOpenAi);
  ASSERT_EQ(created.status, 201);
  ExpectError(Rest("POST", "/api/providers", R"({"provider": "openai", "description": "x"})"),
              409);
  EXPECT_EQ(Rest("GET", "/api/providers/openai").Header("etag"), created.Header("etag"));
}

TEST_F(RestApiTest, UnknownProviderIs404) {
  ExpectError(Rest("GET", "/api/providers/nope"), 404);
  ExpectError(Rest("DELETE", "/api/providers/nope"), 404);
  ExpectError(Rest("GET", "/api/nothing-here"), 404);
}

TEST_F(RestApiTest, AdminTokenIsRequired) {
  ExpectError(HttpCall("GET", control_plane()->rest, "/api/providers"), 401);
  ExpectError(HttpCall("POST", control_plane()->rest, "/api/providers", kOpenAi,
                       {{"Authorization", "Bearer wrong"}}),
              401);
  ExpectError(HttpCall("GET", control_plane()->rest, "/api/providers", "",
                       {{"Authorization", std::string("Basic ") + kAdminToken}}),
              401);
  EXPECT_EQ(Rest("GET", "/api/providers/openai").status, 404);  // nothing was created
}

TEST_F(RestApiTest, BadBodiesAre400WithTheFieldNamed) {
  struct Case {
    const char* body;
    const char* param;
  };
  const Case cases[] = {
      {R"({"provider": "openai", "keys": [{"value": "k", "weight": -1}]})", "keys[0].weight"},
      {R"({"provider": "openai", "keys": [{"value": "k", "weight": "heavy"}]})", "keys[0].weight"},
      {R"({"provider": "openai", "keys": [{"name": "a", "value": "k"}, {"name": "a", "value": "j"}]})",
       "keys"},
      {R"({"provider": "openai", "keys": [{"name": "a"}]})", "keys[0].value"},
      {R"({"provider": "openai", "keys": [{"value": "env.9BAD"}]})", "keys[0].value"},
      {R"({"provider": "openai", "concurrency_and_buffer_size": {"concurrency": 0}})",
       "concurrency_and_buffer_size.concurrency"},
      {R"({"provider": "openai", "concurrency_and_buffer_size": {"buffer_size": -5}})",
       "concurrency_and_buffer_size.buffer_size"},
      {R"({"provider": "openai", "concurrency_and_buffer_size": {"concurrency": 10, "buffer_size": 5}})",
       "concurrency_and_buffer_size.concurrency"},
      {R"({"provider": "openai", "network_config": {"retry_backoff_initial": 6000, "retry_backoff_max": 5000}})",
       "network_config.retry_backoff_initial"},
      {R"({"provider": "openai", "network_config": {"max_retries": -1}})",
       "network_config.max_retries"},
      {R"({"provider": "openai", "network_config": {"default_request_timeout_in_seconds": 0}})",
       "network_config.default_request_timeout_in_seconds"},
      {R"({"provider": "openai", "network_config": {"stream_idle_timeout_in_seconds": 0}})",
       "network_config.stream_idle_timeout_in_seconds"},
      {R"({"provider": "openai", "network_config": {"stream_idle_timeout_in_seconds": 1801}})",
       "network_config.stream_idle_timeout_in_seconds"},
      {R"({"provider": "openai", "network_config": {"base_url": "not a url"}})",
       "network_config.base_url"},
      {R"({"provider": "openai", "network_config": {"extra_headers": {"cookie": "a=b"}}})",
       "network_config.extra_headers.cookie"},
      {R"({"provider": "openai", "network_config": {"ca_cert_pem": "not a pem"}})",
       "network_config.ca_cert_pem"},
      {R"({"provider": "openai", "network_config": {"max_retry": 3}})", "network_config.max_retry"},
      {R"({"provider": "openai", "proxy_config": {"type": "http"}})", "proxy_config.url"},
      {R"({"provider": "openai", "proxy_config": {"type": "socks5"}})", "proxy_config.url"},
      {R"({"provider": "openai", "proxy_config": {"type": "ftp"}})", "proxy_config.type"},
      {R"({"provider": "ollama"})", "network_config.base_url"},
      {R"({"provider": "sgl"})", "network_config.base_url"},
      {R"({"provider": "my-llm"})", "custom_provider_config.base_provider_type"},
      {R"({"provider": "my-llm", "custom_provider_config": {"base_provider_type": "nope"}})",
       "custom_provider_config.base_provider_type"},
      {R"({"provider": "openai", "custom_provider_config": {"base_provider_type": "anthropic"}})",
       "custom_provider_config"},
      // Issue 8 (d): a custom provider may not take a standard provider's name.
      {R"({"provider": "openai", "custom_provider_config": {"base_provider_type": "openai"}})",
       "custom_provider_config"},
      // Issue 8 (a): a base URL every data plane could not compile.
      {R"({"provider": "openai", "network_config": {"base_url": "http://127.0.0.1:99999"}})",
       "network_config.base_url"},
      {R"({"provider": "openai", "network_config": {"base_url": "http://127.0.0.1:0"}})",
       "network_config.base_url"},
      {R"({"provider": "openai", "network_config": {"base_url": "http://h.example/v1?x=1"}})",
       "network_config.base_url"},
      {R"({"provider": "openai", "network_config": {"base_url": "http://h.example/v1#top"}})",
       "network_config.base_url"},
      {R"({"provider": "openai", "network_config": {"base_url": "http://user:pw@h.example"}})",
       "network_config.base_url"},
      {R"({"provider": "openai", "network_config": {"base_url": "ftp://h.example"}})",
       "network_config.base_url"},
      {R"({"provider": "openai", "network_config": {"base_url": "http://h.example:port"}})",
       "network_config.base_url"},
      // Issue 8 (m): numbers that overflow a double, and NUL in strings.
      {R"({"provider": "openai", "network_config": {"max_retries": 1e999999}})",
       "network_config.max_retries"},
      {R"({"provider": "openai", "keys": [{"value": "k"}, {"value": "j", "weight": -1e999999}]})",
       "keys[1].weight"},
      {R"({"provider": "openai", "concurrency_and_buffer_size": {"concurrency": 1e400}})",
       "concurrency_and_buffer_size.concurrency"},
      {R"({"provider": "openai", "description": "a\u0000b"})", "description"},
      {R"({"provider": "openai", "keys": [{"value": "sk-\u0000"}]})", "keys[0].value"},
      {R"({"provider": "my-llm", "custom_provider_config": {"base_provider_type": "openai", "allowed_requests": {"chat": true}}})",
       "custom_provider_config.allowed_requests.chat"},
      {R"({"provider": "my-llm", "custom_provider_config": {"base_provider_type": "openai", "request_path_overrides": {"chat_completion": "no-slash"}}})",
       "custom_provider_config.request_path_overrides.chat_completion"},
      {R"({"provider": "bad/name"})", "name"},
      {R"({"keys": []})", "name"},
      {R"({"provider": "openai", "surprise": 1})", "surprise"},
      {R"([1, 2])", nullptr},
      {R"({"provider": "openai", "keys": "k"})", "keys"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    json error = ExpectError(Rest("POST", "/api/providers", c.body), 400);
    if (c.param != nullptr) {
      EXPECT_EQ(error["error"]["param"], c.param);
    }
  }
  EXPECT_EQ(Json(Rest("GET", "/api/providers"))["total"], 0);  // nothing half-written
  ExpectError(Rest("POST", "/api/providers", "{not json"), 400);
  ExpectError(Rest("POST", "/api/providers", ""), 400);
  ExpectError(Rest("PUT", "/api/providers/openai", R"({"provider": "groq"})"), 400);
  EXPECT_EQ(Sql(postgres()->dsn(), "SELECT count(*) FROM provider_changes")[0][0], "0");
}

TEST_F(RestApiTest, OversizedBodyIs413) {
  const std::string huge = R"({"provider": "openai", "description": ")" +
                           std::string(2 * 1024 * 1024, 'a') + "\"}";
  ExpectError(Rest("POST", "/api/providers", huge), 413);
  EXPECT_EQ(Rest("GET", "/api/providers/openai").status, 404);
}

TEST_F(RestApiTest, MalformedHttpIsAnsweredAndTheServerKeepsServing) {
  EXPECT_NE(RawHttp(control_plane()->rest, "GARBAGE\r\n\r\n").find("400"), std::string::npos);
  EXPECT_NE(RawHttp(control_plane()->rest, "GET /health HTTP/1.1\r\nHost: x\r\n" +
                                               std::string(20000, 'x') + ": y\r\n\r\n")
                .find("431"),
            std::string::npos);
  EXPECT_EQ(HttpCall("GET", control_plane()->rest, "/health").status, 200);
}

TEST_F(RestApiTest, AllowedRequestsFollowSeed003) {
  const std::string base =
      R"("keys": [{"value": "env.PROVIDER_API_KEY", "models": [], "weight": 1.0}])";
  // Omitted: everything allowed, so no restriction is shown.
  HttpResult omitted = Rest("POST", "/api/providers", R"({"provider": "openai-all", )" + base +
      R"(, "custom_provider_config": {"base_provider_type": "openai"}})");
  ASSERT_EQ(omitted.status, 201) << omitted.body;
  EXPECT_FALSE(Json(omitted)["custom_provider_config"].contains("allowed_requests"));
  // Partial: only the fields set true.
  HttpResult partial = Rest("POST", "/api/providers", R"({"provider": "openai-dev", )" + base +
      R"(, "custom_provider_config": {"base_provider_type": "openai",
         "allowed_requests": {"chat_completion": true, "chat_completion_stream": false}}})");
  ASSERT_EQ(partial.status, 201) << partial.body;
  json allowed = Json(partial)["custom_provider_config"]["allowed_requests"];
  EXPECT_EQ(allowed.size(), 25u);
  for (const auto& [type, on] : allowed.items()) {
    EXPECT_EQ(on.get<bool>(), type == "chat_completion") << type;
  }
  // {}: nothing allowed.
  HttpResult none = Rest("POST", "/api/providers", R"({"provider": "openai-none", )" + base +
      R"(, "custom_provider_config": {"base_provider_type": "openai", "allowed_requests": {}}})");
  ASSERT_EQ(none.status, 201) << none.body;
  json none_allowed = Json(none)["custom_provider_config"]["allowed_requests"];
  EXPECT_EQ(none_allowed.size(), 25u);
  for (const auto& [type, on] : none_allowed.items()) {
    EXPECT_FALSE(on.get<bool>()) << type;
  }
  // models [] means all models.
  EXPECT_EQ(Json(none)["keys"][0]["models"], json::array({"*"}));
}

TEST_F(RestApiTest, OmittedKeyNamesAreGeneratedStably) {
  const std::string body = R"({"keys": [{"value": "env.A"}, {"value": "env.B"}],
    "custom_provider_config": {"base_provider_type": "openai"}})";
  HttpResult first = Rest("PUT", "/api/providers/openai-production", body);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(Json(first)["keys"][0]["name"], "key-1");
  EXPECT_EQ(Json(first)["keys"][1]["name"], "key-2");
  HttpResult second = Rest("PUT", "/api/providers/openai-production", body);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(Json(second)["config_hash"], Json(first)["config_hash"]);
  EXPECT_EQ(Json(second)["keys"][0]["id"], Json(first)["keys"][0]["id"]);
}

TEST_F(RestApiTest, SeedCurlsWorkAsDocumented) {
  // Every /api/providers body of seeds 002 and 003, in order; repeated names are deleted
  // first, as a reader trying the examples one by one would.
  const std::vector<std::pair<std::string, std::string>> posts = {
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}]})"},
      {"anthropic", R"({"provider": "anthropic", "keys": [{"name": "anthropic-key-1", "value": "env.ANTHROPIC_API_KEY", "models": ["*"], "weight": 1.0}]})"},
      {"vllm-local", R"({"provider": "vllm-local", "keys": [{"name": "vllm-key-1", "value": "dummy", "models": ["*"], "weight": 1.0}], "network_config": {"base_url": "http://vllm-endpoint:8000", "default_request_timeout_in_seconds": 60}, "custom_provider_config": {"base_provider_type": "openai", "allowed_requests": {"chat_completion": true, "chat_completion_stream": true}}})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY_1", "models": ["*"], "weight": 0.7}, {"name": "openai-key-2", "value": "env.OPENAI_API_KEY_2", "models": ["*"], "weight": 0.3}]})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["gpt-4o", "gpt-4o-mini"], "weight": 1.0}, {"name": "openai-key-2", "value": "env.OPENAI_API_KEY_PREMIUM", "models": ["o1-preview", "o1-mini"], "weight": 1.0}]})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}], "network_config": {"base_url": "http://localhost:8000/v1"}})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}], "network_config": {"max_retries": 5, "retry_backoff_initial": 1, "retry_backoff_max": 10000}})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}], "concurrency_and_buffer_size": {"concurrency": 100, "buffer_size": 500}})"},
      {"anthropic", R"({"provider": "anthropic", "keys": [{"name": "openai-key-1", "value": "env.ANTHROPIC_API_KEY", "models": ["*"], "weight": 1.0}], "concurrency_and_buffer_size": {"concurrency": 25, "buffer_size": 100}})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}], "network_config": {"extra_headers": {"x-custom-org": "my-organization", "x-environment": "production"}}})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}], "proxy_config": {"type": "http", "url": "http://localhost:8000"}})"},
      {"anthropic", R"({"provider": "anthropic", "keys": [{"name": "anthropic-key-1", "value": "env.ANTHROPIC_API_KEY", "models": ["*"], "weight": 1.0}], "proxy_config": {"type": "socks5", "url": "http://localhost:8000", "username": "user", "password": "password"}})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}], "send_back_raw_response": true})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}], "send_back_raw_request": true})"},
      {"openai", R"({"provider": "openai", "keys": [{"name": "openai-key-1", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}], "store_raw_request_response": true})"},
      {"openai-production", R"({"provider": "openai-production", "keys": [{"value": "env.PROVIDER_API_KEY", "models": [], "weight": 1.0}], "custom_provider_config": {"base_provider_type": "openai", "allowed_requests": {"chat_completion": true, "chat_completion_stream": true, "embedding": true, "speech": true, "speech_stream": true}}})"},
      {"openai-support", R"({"provider": "openai-support", "keys": [{"value": "env.PROVIDER_API_KEY", "models": [], "weight": 1.0}], "custom_provider_config": {"base_provider_type": "openai", "allowed_requests": {"chat_completion": true, "chat_completion_stream": false}}})"},
  };
  for (const auto& [name, body] : posts) {
    SCOPED_TRACE(body);
    Rest("DELETE", "/api/providers/" + name);
    HttpResult result = Rest("POST", "/api/providers", body);
    EXPECT_EQ(result.status, 201) << result.body;
    EXPECT_EQ(Json(result)["name"], name);
  }
  // Seed 002's beta-header PUT, which names no keys.
  HttpResult vertex = Rest("PUT", "/api/providers/vertex", R"({"network_config":
      {"beta_header_overrides": {"redact-thinking-": true, "fast-mode-": false}}})");
  ASSERT_EQ(vertex.status, 201) << vertex.body;
  EXPECT_EQ(Json(vertex)["network_config"]["beta_header_overrides"]["fast-mode-"], false);
}

TEST_F(RestApiTest, ConfigHashIgnoresSpellingButNotBehaviour) {
  // Same behaviour spelled differently: explicit defaults, key order, models order.
  HttpResult a = Rest("PUT", "/api/providers/openai", R"({"keys": [
      {"name": "b", "value": "env.B", "models": ["m2", "m1"]},
      {"name": "a", "value": "env.A"}]})");
  ASSERT_EQ(a.status, 201) << a.body;
  HttpResult b = Rest("PUT", "/api/providers/openai", R"({
      "network_config": {"max_retries": 0, "default_request_timeout_in_seconds": 30},
      "keys": [{"name": "a", "value": {"env_var": "env.A", "from_env": true}, "models": ["*"],
                "weight": 1.0, "enabled": true},
               {"name": "b", "value": "env.B", "models": ["m1", "m2"]}]})");
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(Json(a)["config_hash"], Json(b)["config_hash"]);
  HttpResult c = Rest("PUT", "/api/providers/openai", R"({"keys": [
      {"name": "b", "value": "env.B", "models": ["m2", "m1"]},
      {"name": "a", "value": "env.A", "enabled": false}]})");
  EXPECT_NE(Json(c)["config_hash"], Json(a)["config_hash"]);
}

}  // namespace
}  // namespace switchyard::testing
