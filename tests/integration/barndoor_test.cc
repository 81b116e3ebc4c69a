// Seed 004 (Barndoor) end to end: shared credentials, Barndoor's provider body, model routes
// with bare aliases, failovers and timeout tiers, on a real control plane (secrets sealed with
// an encryption key) and PostgreSQL, distributed to two real data planes that serve the mock
// provider.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "switchyard/v1/admin.grpc.pb.h"
#include "tests/integration/control_plane_fixture.h"

namespace switchyard::testing {
namespace {

using nlohmann::json;

class BarndoorTest : public FleetTest {
 protected:
  static void SetUpTestSuite() {
    FleetOptions options;
    options.node_prefix = "dp-barndoor-";
    options.control_plane_env["SWITCHYARD_ENCRYPTION_KEY"] =
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    StartFleet(options);
  }
  static void TearDownTestSuite() { StopFleet(); }
  void SetUp() override {
    HttpCall("DELETE", mock_address_, "/_mock/requests");
    // Each test starts from no routes, providers or credentials (routes first: they link).
    for (const char* collection : {"/api/model-routes", "/api/providers", "/api/credentials"}) {
      const json list = JsonOf(Rest("GET", collection));
      for (const char* field : {"model_routes", "providers", "credentials"}) {
        if (!list.contains(field)) continue;
        for (const json& item : list[field]) {
          const std::string id = item.contains("id") ? item["id"] : item["name"];
          Rest("DELETE", std::string(collection) + "/" + id);
        }
      }
    }
  }

  // A 400 whose error names `field`.
  static void ExpectRefused(const std::string& method, const std::string& target,
                            const json& body, const std::string& field, int status = 400) {
    const HttpResult result = Rest(method, target, body.dump());
    EXPECT_EQ(result.status, status) << body.dump() << " -> " << result.body;
    EXPECT_NE(result.body.find(field), std::string::npos) << body.dump() << " -> " << result.body;
  }
  static json Provider(const std::string& name, json network = json::object(),
                       json models = json::array({"*"})) {
    network["base_url"] = "http://" + mock_address_;
    return {{"keys", json::array({{{"name", "k"}, {"value", "sk-" + name + "-key"},
                                   {"models", models}}})},
            {"network_config", network},
            {"custom_provider_config", {{"base_provider_type", "openai"}}}};
  }
  static HttpResult Chat(int plane, const std::string& model,
                         std::vector<std::pair<std::string, std::string>> headers = {},
                         const std::string& path = "/v1/chat/completions") {
    const json body = {{"model", model},
                       {"max_tokens", 16},
                       {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
    return HttpCall("POST", planes_[plane]->http, path, body.dump(), headers);
  }
  // The Authorization headers the mock received, oldest first.
  static std::vector<std::string> Authorizations() {
    std::vector<std::string> out;
    const json log = JsonOf(HttpCall("GET", mock_address_, "/_mock/requests"));
    for (const json& request : log["requests"]) {
      std::string authorization;
      for (const auto& [name, value] : request["headers"].items()) {
        if (name == "authorization" || name == "Authorization") authorization = value;
      }
      out.push_back(authorization);
    }
    return out;
  }
  static std::string Dump() {
    std::string text;
    for (const char* query : {"SELECT config::text FROM providers",
                              "SELECT config::text FROM governance_objects",
                              "SELECT coalesce(config::text, '') FROM provider_changes"}) {
      for (const auto& row : Sql(postgres_->dsn(), query)) text += row[0] + "\n";
    }
    return text;
  }

};

// Point 1: a shared credential, sealed at rest and redacted, used by providers through
// connection_id; its rotation rewrites them in one revision; deleting it while used is 409.
TEST_F(BarndoorTest, CredentialsAreSharedSealedRedactedAndRotatedInOneRevision) {
  const std::string secret = "sk-shared-credential-secret-1";
  const json credential = Write("POST", "/api/credentials",
                                {{"name", "openai-prod"},
                                 {"model_provider", "openai"},
                                 {"auth_type", "api_key"},
                                 {"api_key", secret},
                                 {"base_url", "http://" + mock_address_}},
                                201);
  const std::string id = credential["id"];
  EXPECT_TRUE(id.starts_with("cred-")) << credential.dump();
  EXPECT_EQ(credential["api_key"], "sk-s************************et-1");
  EXPECT_EQ(Rest("GET", "/api/credentials/" + id).body.find(secret), std::string::npos);
  EXPECT_EQ(Rest("GET", "/api/credentials").body.find(secret), std::string::npos);
  EXPECT_EQ(Dump().find(secret), std::string::npos) << "sealed at rest";

  // Two providers share it: Barndoor's body with connection_id, and Bifrost's with the profile.
  const json first = Write("POST", "/api/providers",
                           {{"name", "Shared One"}, {"model_provider", "openai"},
                            {"connection_id", id}},
                           201);
  EXPECT_EQ(first["slug"], "shared-one");
  EXPECT_EQ(first["connection_id"], id);
  Write("PUT", "/api/providers/shared-two",
        {{"custom_provider_config", {{"base_provider_type", "openai"}}},
         {"barndoor", {{"model_provider", "openai"}, {"connection_id", id}}}},
        201);
  for (const char* provider : {"shared-one", "shared-two"}) {
    for (int plane = 0; plane < 2; ++plane) {
      const HttpResult answer = Chat(plane, std::string(provider) + "/gpt-4o-mini");
      EXPECT_EQ(answer.status, 200) << answer.body;
    }
  }
  for (const std::string& authorization : Authorizations()) {
    EXPECT_EQ(authorization, "Bearer " + secret);
  }
  // The provider shows the key redacted, as every provider key.
  EXPECT_EQ(Rest("GET", "/api/providers/shared-one").body.find(secret), std::string::npos);

  // Rotation: a PUT that sends the other secrets back redacted keeps them; both providers
  // change in the credential's revision.
  json rotated = credential;
  rotated["api_key"] = "sk-shared-credential-secret-2";
  const HttpResult put = Rest("PUT", "/api/credentials/" + id, rotated.dump());
  ASSERT_EQ(put.status, 200) << put.body;
  const int64_t revision = std::stoll(put.Header("x-switchyard-revision"));
  WaitForRevision(revision);
  for (const char* provider : {"shared-one", "shared-two"}) {
    const HttpResult got = Rest("GET", std::string("/api/providers/") + provider);
    EXPECT_EQ(std::stoll(got.Header("x-switchyard-revision")), revision) << provider;
  }
  HttpCall("DELETE", mock_address_, "/_mock/requests");
  EXPECT_EQ(Chat(1, "shared-two/gpt-4o-mini").status, 200);
  EXPECT_EQ(Authorizations(), std::vector<std::string>{"Bearer sk-shared-credential-secret-2"});

  // Still used: 409 naming the providers; nothing deleted.
  const HttpResult in_use = Rest("DELETE", "/api/credentials/" + id);
  EXPECT_EQ(in_use.status, 409) << in_use.body;
  EXPECT_NE(in_use.body.find("shared-one"), std::string::npos) << in_use.body;
  EXPECT_NE(in_use.body.find("shared-two"), std::string::npos) << in_use.body;
  EXPECT_EQ(Rest("GET", "/api/credentials/" + id).status, 200);

  // What is refused, naming the field: unsupported auth types by name, incomplete secrets.
  for (const char* unsupported : {"google_adc", "google_impersonation", "aws_role",
                                  "oauth_passthrough"}) {
    ExpectRefused("POST", "/api/credentials",
                  {{"name", "x"}, {"model_provider", "vertex"}, {"auth_type", unsupported}},
                  std::string(unsupported) + "\\\" is not supported");
  }
  ExpectRefused("POST", "/api/credentials",
                {{"name", "x"}, {"model_provider", "bedrock"}, {"auth_type", "aws_keys"},
                 {"credentials", {{"access_key_id", "AKIA"}}}},
                "credentials.secret_access_key");
  ExpectRefused("POST", "/api/credentials",
                {{"name", "x"}, {"model_provider", "anthropic"}, {"auth_type", "aws_keys"},
                 {"api_key", "k"}},
                "auth_type");
  ExpectRefused("POST", "/api/credentials",
                {{"name", "x"}, {"model_provider", "nope"}, {"api_key", "k"}}, "model_provider");
  ExpectRefused("POST", "/api/credentials", {{"name", "x"}, {"model_provider", "openai"}},
                "api_key");

  // Structured credentials: AWS keys become a Bedrock key; a service-account object is kept.
  const json aws = Write("POST", "/api/credentials",
                         {{"name", "aws"}, {"model_provider", "bedrock"}, {"auth_type", "aws_keys"},
                          {"credentials", {{"access_key_id", "AKIABARNDOOR"},
                                           {"secret_access_key", "aws-secret-barndoor"}}},
                          {"settings", {{"region", "eu-west-1"}}}},
                         201);
  EXPECT_EQ(aws["credentials"]["secret_access_key"], "<REDACTED>");
  Write("POST", "/api/providers",
        {{"name", "bedrock"}, {"model_provider", "bedrock"}, {"connection_id", aws["id"]}}, 201);
  const json bedrock = JsonOf(Rest("GET", "/api/providers/bedrock"));
  EXPECT_EQ(bedrock["keys"][0]["bedrock_key_config"]["region"]["value"], "eu-west-1")
      << bedrock.dump();
  EXPECT_EQ(Dump().find("aws-secret-barndoor"), std::string::npos);

  // The gRPC admin API manages the same credentials, redacted the same way.
  auto stub = v1::GovernanceAdmin::NewStub(
      grpc::CreateChannel(control_plane_->grpc, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  v1::ObjectRef ref;
  ref.set_kind("credential");
  ref.set_id(id);
  v1::ObjectResponse got;
  ASSERT_TRUE(stub->GetObject(&context, ref, &got).ok());
  EXPECT_EQ(got.object().credential().name(), "openai-prod");
  EXPECT_EQ(got.object().credential().api_key(), "sk-s************************et-2");
}

// Point 2: Barndoor's body creates the same stored provider Bifrost's API reads, answered in
// Barndoor's shape; `models` makes 1:1 routes; timeouts map onto the network config.
TEST_F(BarndoorTest, BarndoorsBodyMakesTheProviderBothApisSee) {
  const json created = Write("POST", "/api/providers",
                             {{"name", "OpenAI Production (US)"},
                              {"model_provider", "openai"},
                              {"auth_type", "api_key"},
                              {"api_key", "sk-inline-barndoor-key"},
                              {"base_url", "http://" + mock_address_},
                              {"catalog_slug", "openai"},
                              {"models", {"gpt-4o-mini", "gpt-4o"}},
                              {"request_timeout_seconds", 120},
                              {"stream_idle_timeout_seconds", nullptr}},
                             201);
  EXPECT_TRUE(created["id"].get<std::string>().starts_with("prv-")) << created.dump();
  EXPECT_EQ(created["name"], "OpenAI Production (US)");
  EXPECT_EQ(created["slug"], "openai-production-us");
  EXPECT_EQ(created["model_provider"], "openai");
  EXPECT_EQ(created["auth_type"], "api_key");
  EXPECT_EQ(created["connection_id"], nullptr);
  EXPECT_EQ(created["catalog_slug"], "openai");
  EXPECT_EQ(created["request_timeout_seconds"], 120);
  EXPECT_EQ(created["stream_idle_timeout_seconds"], nullptr);
  EXPECT_EQ(created["models"], json({"gpt-4o", "gpt-4o-mini"}));
  EXPECT_EQ(created.dump().find("sk-inline-barndoor-key"), std::string::npos);

  // Bifrost's view of the same provider; Barndoor's by id.
  const json bifrost = JsonOf(Rest("GET", "/api/providers/openai-production-us"));
  EXPECT_EQ(bifrost["network_config"]["default_request_timeout_in_seconds"], 120);
  EXPECT_EQ(bifrost["network_config"]["stream_idle_timeout_in_seconds"], 60);
  EXPECT_EQ(bifrost["custom_provider_config"]["base_provider_type"], "openai");
  ASSERT_EQ(bifrost["keys"].size(), 1u);
  EXPECT_EQ(bifrost["barndoor"]["display_name"], "OpenAI Production (US)");
  const json by_id =
      JsonOf(Rest("GET", "/api/providers/" + created["id"].get<std::string>() + "?view=barndoor"));
  EXPECT_EQ(by_id["slug"], "openai-production-us");
  const json routes = JsonOf(Rest("GET", "/api/model-routes"));
  ASSERT_EQ(routes["model_routes"].size(), 2u) << routes.dump();
  EXPECT_EQ(routes["model_routes"][0]["alias"], "openai-production-us/gpt-4o");

  // A Bifrost GET -> PUT round trip changes nothing; the data planes serve it.
  const HttpResult again = Rest("PUT", "/api/providers/openai-production-us", bifrost.dump());
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(JsonOf(again)["config_hash"], bifrost["config_hash"]);
  EXPECT_EQ(Chat(0, "openai-production-us/gpt-4o-mini").status, 200);
  EXPECT_EQ(Authorizations(), std::vector<std::string>{"Bearer sk-inline-barndoor-key"});

  // A valid provider name is the name; together and deepseek are OpenAI-compatible.
  const json together = Write("POST", "/api/providers",
                              {{"name", "together-ai"}, {"model_provider", "together"},
                               {"api_key", "k-together"}},
                              201);
  EXPECT_EQ(together["slug"], "together-ai");
  EXPECT_EQ(JsonOf(Rest("GET", "/api/providers/together-ai"))["network_config"]["base_url"],
            "https://api.together.xyz");
  Write("POST", "/api/providers",
        {{"name", "DeepSeek"}, {"model_provider", "deepseek"}, {"api_key", "k-deepseek"}}, 201);
  EXPECT_EQ(JsonOf(Rest("GET", "/api/providers/DeepSeek"))["network_config"]["base_url"],
            "https://api.deepseek.com");

  // Refused with the field named; nothing stored.
  const json base = {{"name", "Refused"}, {"model_provider", "openai"}, {"api_key", "k"}};
  auto with = [&](const char* field, const json& value) {
    json body = base;
    body[field] = value;
    return body;
  };
  ExpectRefused("POST", "/api/providers", with("request_timeout_seconds", 0),
                "request_timeout_seconds");
  ExpectRefused("POST", "/api/providers", with("request_timeout_seconds", 3601),
                "request_timeout_seconds");
  ExpectRefused("POST", "/api/providers", with("stream_idle_timeout_seconds", 1801),
                "stream_idle_timeout_seconds");
  ExpectRefused("POST", "/api/providers", with("model_provider", "acme"), "model_provider");
  ExpectRefused("POST", "/api/providers", with("auth_type", "oauth_passthrough"),
                "oauth_passthrough");
  ExpectRefused("POST", "/api/providers", with("connection_id", "cred-nope"), "connection_id");
  ExpectRefused("POST", "/api/providers", with("colour", "blue"), "colour");
  ExpectRefused("POST", "/api/providers",
                {{"name", "Refused"}, {"model_provider", "openai"}}, "api_key");
  ExpectRefused("POST", "/api/providers",
                {{"name", "openai"}, {"model_provider", "anthropic"}, {"api_key", "k"}}, "name");
  ExpectRefused("POST", "/api/providers", with("name", "OpenAI Production (US)"),
                "already exists", 409);
  EXPECT_EQ(Rest("GET", "/api/providers/refused").status, 404);

  // Deleting the provider takes its routes with it.
  Write("DELETE", "/api/providers/openai-production-us", nullptr, 200);
  EXPECT_EQ(JsonOf(Rest("GET", "/api/model-routes"))["model_routes"].size(), 0u);
}

// Points 3 and 4: routes resolve bare aliases on every surface, apply their timeouts over the
// provider's, and fail over under one deadline; bad routes are refused naming the field.
TEST_F(BarndoorTest, ModelRoutesResolveFailOverAndTimeOut) {
  Write("PUT", "/api/providers/main", Provider("main"), 201);
  // Answers 503 to everything; takes 3 s to answer.
  Write("PUT", "/api/providers/broken", Provider("broken", {{"extra_headers", {{"x-mock-status", "503"}}}}),
        201);
  Write("PUT", "/api/providers/slow",
        Provider("slow", {{"extra_headers", {{"x-mock-latency-ms", "3000"}}}}), 201);
  Write("PUT", "/api/providers/narrow", Provider("narrow", json::object(), {"only-this"}), 201);
  const json mini = Write("POST", "/api/model-routes",
                          {{"alias", "main/gpt-4o-mini"}, {"provider", "main"}, {"model", "gpt-4o-mini"}},
                          201);
  EXPECT_TRUE(mini["id"].get<std::string>().starts_with("route-"));
  Write("POST", "/api/model-routes",
        {{"alias", "smart"}, {"provider", "main"}, {"model", "gpt-4o"}}, 201);
  Write("POST", "/api/model-routes",
        {{"alias", "resilient"}, {"provider", "broken"}, {"model", "gpt-4o"},
         {"failover_aliases", {"main/gpt-4o-mini"}}},
        201);
  const json quick = Write("POST", "/api/model-routes",
                           {{"alias", "quick"}, {"provider", "slow"}, {"model", "gpt-4o"},
                            {"request_timeout_seconds", 1}, {"failover_aliases", {"smart"}}},
                           201);
  EXPECT_EQ(quick["request_timeout_seconds"], 1);
  Write("POST", "/api/model-routes",
        {{"alias", "fragile"}, {"provider", "broken"}, {"model", "gpt-4o"}}, 201);

  // The model each answer came from (the mock echoes it), and what the mock was asked.
  auto answered = [](const HttpResult& result) { return JsonOf(result).value("model", ""); };
  HttpResult smart = Chat(0, "smart");
  EXPECT_EQ(smart.status, 200) << smart.body;
  EXPECT_EQ(answered(smart), "gpt-4o");
  // Failover: the broken provider's 503, then the route it fails over to.
  HttpResult resilient = Chat(1, "resilient");
  EXPECT_EQ(resilient.status, 200) << resilient.body;
  EXPECT_EQ(answered(resilient), "gpt-4o-mini");
  // The route's 1 s timeout over the provider's 30 s: the slow answer is abandoned for the
  // failover (without the route's timeout the slow provider would have answered).
  HttpResult timed = Chat(0, "quick");
  EXPECT_EQ(timed.status, 200) << timed.body;
  EXPECT_EQ(answered(timed), "gpt-4o");
  // No failover: the provider's error.
  EXPECT_EQ(Chat(0, "fragile").status, 503);
  // The route's stream idle gap over the provider's (60 s): a stream whose chunks come 1.5 s
  // apart ends with an error event after the first one instead of completing.
  Write("PUT", "/api/providers/gappy",
        Provider("gappy", {{"extra_headers", {{"x-mock-gap-ms", "1500"}, {"x-mock-chunks", "3"}}}}),
        201);
  Write("POST", "/api/model-routes",
        {{"alias", "impatient"}, {"provider", "gappy"}, {"model", "gpt-4o"},
         {"stream_idle_timeout_seconds", 1}},
        201);
  Write("POST", "/api/model-routes", {{"alias", "patient"}, {"provider", "gappy"}, {"model", "gpt-4o"}},
        201);
  auto stream = [&](const std::string& model) {
    const json body = {{"model", model}, {"stream", true},
                       {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
    return HttpCall("POST", planes_[0]->http, "/v1/chat/completions", body.dump());
  };
  const HttpResult cut = stream("impatient");
  EXPECT_EQ(cut.status, 200);
  EXPECT_NE(cut.body.find("nothing for 1000 ms (stream idle timeout)"), std::string::npos) << cut.body;
  EXPECT_EQ(cut.body.find("[DONE]"), std::string::npos) << cut.body;
  const HttpResult whole = stream("patient");
  EXPECT_NE(whole.body.find("[DONE]"), std::string::npos) << whole.body;
  // Bare aliases on the native routes too: Anthropic's and Cohere's clients name bare models.
  const HttpResult anthropic = Chat(1, "smart", {{"anthropic-version", "2023-06-01"}},
                                    "/anthropic/v1/messages");
  EXPECT_EQ(anthropic.status, 200) << anthropic.body;
  EXPECT_EQ(JsonOf(anthropic)["type"], "message") << anthropic.body;
  const HttpResult genai = HttpCall("POST", planes_[0]->http, "/genai/v1beta/models/smart:generateContent",
                                    R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})");
  EXPECT_EQ(genai.status, 200) << genai.body;

  // Unknown aliases: 404 in the surface's envelope.
  const HttpResult unknown = Chat(0, "no-such-alias");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(JsonOf(unknown)["error"]["code"], "model_not_found") << unknown.body;
  const HttpResult unknown_native = Chat(0, "no-such-alias", {{"anthropic-version", "2023-06-01"}},
                                         "/anthropic/v1/messages");
  EXPECT_EQ(unknown_native.status, 404) << unknown_native.body;
  EXPECT_EQ(JsonOf(unknown_native)["type"], "error") << unknown_native.body;
  EXPECT_EQ(unknown_native.body.find("sk-"), std::string::npos);

  // Refused, naming the field; nothing stored.
  const json ok = {{"alias", "x"}, {"provider", "main"}, {"model", "gpt-4o"}};
  auto with = [&](const char* field, const json& value) {
    json body = ok;
    body[field] = value;
    return body;
  };
  ExpectRefused("POST", "/api/model-routes", with("alias", "smart"), "alias");
  ExpectRefused("POST", "/api/model-routes", with("provider", "missing"), "provider");
  ExpectRefused("POST", "/api/model-routes",
                {{"alias", "y"}, {"provider", "narrow"}, {"model", "gpt-4o"}}, "model");
  ExpectRefused("POST", "/api/model-routes", with("request_timeout_seconds", 3601),
                "request_timeout_seconds");
  ExpectRefused("POST", "/api/model-routes", with("stream_idle_timeout_seconds", 0),
                "stream_idle_timeout_seconds");
  ExpectRefused("POST", "/api/model-routes", with("failover_aliases", {"nowhere"}),
                "failover_aliases[0]");
  ExpectRefused("POST", "/api/model-routes", with("alias", "main/other"), "alias");
  // A cycle: smart -> quick -> smart.
  json smart_route;
  const json routes = JsonOf(Rest("GET", "/api/model-routes"));
  for (const json& route : routes["model_routes"]) {
    if (route["alias"] == "smart") smart_route = route;
  }
  smart_route["failover_aliases"] = {"quick"};
  ExpectRefused("PUT", "/api/model-routes/" + smart_route["id"].get<std::string>(), smart_route,
                "failover cycle: smart -> quick -> smart");
  // A route others fail over to cannot go.
  EXPECT_EQ(Rest("DELETE", "/api/model-routes/" + mini["id"].get<std::string>()).status, 409);

  // Every data plane holds the routes in the table hash the control plane expects.
  EXPECT_TRUE(Eventually([&] {
    const json fleet = JsonOf(Rest("GET", "/api/fleet"));
    int in_sync = 0;
    for (const json& plane : fleet["data_planes"]) {
      in_sync += plane["state"] == "in_sync" && plane["table_hash"] == fleet["table_hash"];
    }
    return in_sync == 2;
  })) << Rest("GET", "/api/fleet").body;
}

// Point 5: rotating a credential while two data planes serve a steady load loses no request,
// and each data plane moves to the new secret.
TEST_F(BarndoorTest, CredentialRotationUnderLoadLosesNoRequest) {
  const json credential = Write("POST", "/api/credentials",
                                {{"name", "rotating"}, {"model_provider", "openai"},
                                 {"api_key", "sk-rotation-0"},
                                 {"base_url", "http://" + mock_address_}},
                                201);
  const std::string id = credential["id"];
  Write("POST", "/api/providers",
        {{"name", "rotating"}, {"model_provider", "openai"}, {"connection_id", id},
         {"models", {"gpt-4o-mini"}}},
        201);
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0}, failed{0};
  std::vector<std::thread> load;
  for (int worker = 0; worker < 4; ++worker) {
    load.emplace_back([&, worker] {
      while (!stop) {
        const HttpResult result = Chat(worker % 2, "rotating/gpt-4o-mini");
        ++sent;
        if (result.status != 200) ++failed;
      }
    });
  }
  for (int rotation = 1; rotation <= 5; ++rotation) {
    json body = credential;
    body["api_key"] = "sk-rotation-" + std::to_string(rotation);
    Write("PUT", "/api/credentials/" + id, body, 200);
  }
  HttpCall("DELETE", mock_address_, "/_mock/requests");
  const int before = sent;
  EXPECT_TRUE(Eventually([&] { return sent > before + 20; }));
  stop = true;
  for (std::thread& thread : load) thread.join();
  EXPECT_EQ(failed, 0) << "of " << sent;
  EXPECT_GT(sent, 50);
  // After the last revision both data planes send only the last secret (but for requests
  // already in flight when it was applied: at most one per load thread).
  const std::vector<std::string> seen = Authorizations();
  ASSERT_GT(seen.size(), 20u);
  EXPECT_LE(std::count_if(seen.begin(), seen.end(),
                          [](const std::string& a) { return a != "Bearer sk-rotation-5"; }),
            4);
  for (size_t i = seen.size() - 10; i < seen.size(); ++i) EXPECT_EQ(seen[i], "Bearer sk-rotation-5");
}

}  // namespace
}  // namespace switchyard::testing
