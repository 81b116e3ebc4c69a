// Vertex AI (issue 10 point 3): each key's region gives its endpoint, Gemini and Claude models
// go to their publishers' paths with their own bodies, deployments to their endpoints; key
// fields may come from the environment; a key the data plane cannot use isolates the provider
// with a clear reason.
#include "data-plane/providers/vertex/vertex.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/provider_config.h"
#include "data-plane/providers/gemini/openai_gemini.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using nlohmann::json;

const std::string kCredentials = json{{"type", "service_account"},
                                      {"client_email", "gw@p.iam.gserviceaccount.com"},
                                      {"private_key", "-----BEGIN PRIVATE KEY-----\n..."},
                                      {"token_uri", "https://oauth2.googleapis.com/token"}}
                                     .dump();

KeyEnvironment Env(std::map<std::string, std::string> vars = {}) {
  return KeyEnvironment([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

v1::ProviderConfig Vertex(const std::string& region, const std::string& credentials = kCredentials,
                          const std::string& base_url = "") {
  v1::ProviderConfig config;
  config.set_name("vertex");
  auto* key = config.add_keys();
  key->set_name("sa");
  auto* vertex = key->mutable_vertex_key_config();
  vertex->mutable_project_id()->set_value("proj");
  vertex->mutable_project_number()->set_value("1234");
  vertex->mutable_region()->set_value(region);
  vertex->mutable_auth_credentials()->set_value(credentials);
  (*vertex->mutable_deployments())["my-tuned"] = "987";
  config.mutable_network_config()->set_base_url(base_url);
  return *common::Canonicalize(config);
}

struct Built {
  std::shared_ptr<const ProviderEntry> entry;
  UpstreamRequest upstream;
  absl::Status status;
};

Built Build(const v1::ProviderConfig& config, std::string_view model, json body,
            std::string request_type = "chat_completion") {
  Built built;
  built.entry = CompileProvider(config, Env());
  EXPECT_EQ(built.entry->state, ProviderEntry::State::kServed) << built.entry->unserved_reason;
  if (built.entry->state != ProviderEntry::State::kServed) return built;
  InferenceRequest request;
  request.request_type = request_type;
  request.stream = body.value("stream", false);
  request.body.text = body.dump();
  AttemptTarget target;
  target.entry = built.entry.get();
  target.provider = "vertex";
  target.model = model;
  target.key = &built.entry->keys[0];
  target.access_token = "ya29.token";
  built.upstream.endpoint = &built.entry->endpoint;
  built.status = built.entry->adapter->BuildRequest(request, target, &built.upstream);
  return built;
}

const json kChat = {{"model", "vertex/x"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};

std::string HeaderOf(const UpstreamRequest& upstream, const std::string& name) {
  for (const auto& [header, value] : upstream.headers) {
    if (header == name) return value;
  }
  return "";
}

TEST(VertexTest, EachRegionHasItsHostAndGlobalHasNone) {
  Built regional = Build(Vertex("us-east5"), "gemini-2.0-flash", kChat);
  ASSERT_TRUE(regional.status.ok()) << regional.status;
  EXPECT_EQ(regional.upstream.endpoint->host, "us-east5-aiplatform.googleapis.com");
  EXPECT_TRUE(regional.upstream.endpoint->tls);
  EXPECT_EQ(regional.upstream.endpoint->port, 443);
  EXPECT_EQ(regional.upstream.target,
            "/v1/projects/proj/locations/us-east5/publishers/google/models/"
            "gemini-2.0-flash:generateContent");
  EXPECT_EQ(HeaderOf(regional.upstream, "authorization"), "Bearer ya29.token");
  Built global = Build(Vertex("global"), "gemini-2.0-flash", kChat);
  EXPECT_EQ(global.upstream.endpoint->host, "aiplatform.googleapis.com");
  // base_url replaces scheme, host and port; the path stays Vertex's.
  Built private_endpoint = Build(Vertex("europe-west4", kCredentials, "http://127.0.0.1:8081"),
                                 "gemini-2.0-flash", kChat);
  EXPECT_EQ(private_endpoint.upstream.endpoint->host, "127.0.0.1");
  EXPECT_FALSE(private_endpoint.upstream.endpoint->tls);
  EXPECT_TRUE(private_endpoint.upstream.target.starts_with("/v1/projects/proj/locations/europe-west4/"));
}

TEST(VertexTest, ClaudeGoesToTheAnthropicPublisherWithoutModelAndWithItsVersion) {
  json streamed = kChat;
  streamed["stream"] = true;
  Built claude = Build(Vertex("us-east5"), "claude-sonnet-4-5", streamed);
  ASSERT_TRUE(claude.status.ok()) << claude.status;
  EXPECT_EQ(claude.upstream.target,
            "/v1/projects/proj/locations/us-east5/publishers/anthropic/models/"
            "claude-sonnet-4-5:streamRawPredict");
  const json body = json::parse(claude.upstream.body);
  EXPECT_FALSE(body.contains("model"));
  EXPECT_EQ(body["anthropic_version"], "vertex-2023-10-16");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["messages"][0]["role"], "user");
  Built gemini = Build(Vertex("us-east5"), "gemini-2.0-flash", streamed);
  EXPECT_TRUE(gemini.upstream.target.ends_with(":streamGenerateContent?alt=sse"));
  // Claude has no embeddings on Vertex: a clear 501, not a wrong request.
  Built embed = Build(Vertex("us-east5"), "claude-sonnet-4-5", {{"input", "x"}}, "embedding");
  EXPECT_TRUE(absl::IsUnimplemented(embed.status)) << embed.status;
}

TEST(VertexTest, DeploymentsAndEmbeddingsHaveTheirOwnPaths) {
  Built tuned = Build(Vertex("us-central1"), "my-tuned", kChat);
  ASSERT_TRUE(tuned.status.ok()) << tuned.status;
  EXPECT_EQ(tuned.upstream.target,
            "/v1beta1/projects/1234/locations/us-central1/endpoints/987:generateContent");
  Built embed = Build(Vertex("us-central1"), "text-embedding-005",
                      {{"input", {"a", "b"}}, {"dimensions", 8}}, "embedding");
  ASSERT_TRUE(embed.status.ok()) << embed.status;
  EXPECT_TRUE(embed.upstream.target.ends_with("/publishers/google/models/text-embedding-005:predict"));
  EXPECT_EQ(json::parse(embed.upstream.body),
            json({{"instances", {{{"content", "a"}}, {{"content", "b"}}}},
                  {"parameters", {{"outputDimensionality", 8}}}}));
}

TEST(VertexTest, PredictionsBecomeOpenAiEmbeddingsWithSummedTokens) {
  const std::string vertex = R"({"predictions":[
      {"embeddings":{"values":[1.0,-2.0],"statistics":{"token_count":3,"truncated":false}}},
      {"embeddings":{"values":[0.5,0.25],"statistics":{"token_count":4,"truncated":false}}}]})";
  auto out = VertexToOpenAiEmbedding(vertex, R"({"input":["a","b"]})", "text-embedding-005");
  ASSERT_TRUE(out.ok()) << out.status();
  const json answer = json::parse(*out);
  EXPECT_EQ(answer["data"][1]["embedding"], json({0.5, 0.25}));
  EXPECT_EQ(answer["data"][1]["index"], 1);
  EXPECT_EQ(answer["usage"]["prompt_tokens"], 7);
  EXPECT_EQ(answer["model"], "text-embedding-005");
  EXPECT_FALSE(VertexToOpenAiEmbedding(R"({"error":{}})", "{}", "m").ok());
}

TEST(VertexTest, KeysTheDataPlaneCannotUseIsolateTheProviderWithAClearReason) {
  auto adc = CompileProvider(Vertex("us-east5", ""), Env());
  EXPECT_EQ(adc->state, ProviderEntry::State::kBroken);
  EXPECT_NE(adc->unserved_reason.find("application default credentials are not supported"),
            std::string::npos)
      << adc->unserved_reason;
  auto broken = CompileProvider(Vertex("us-east5", R"({"client_email":"x","secret":"s3cr3t"})"), Env());
  EXPECT_EQ(broken->state, ProviderEntry::State::kBroken);
  EXPECT_NE(broken->unserved_reason.find("auth_credentials has no private_key"), std::string::npos)
      << broken->unserved_reason;
  EXPECT_EQ(broken->unserved_reason.find("s3cr3t"), std::string::npos);  // never quoted
  auto no_region = CompileProvider(Vertex(""), Env());
  EXPECT_NE(no_region->unserved_reason.find("vertex_key_config.region is required"),
            std::string::npos);
}

TEST(VertexTest, KeyFieldsResolveFromTheEnvironmentAndAMissingOneDisablesTheKey) {
  v1::ProviderConfig config = Vertex("us-east5");
  auto* vertex = config.mutable_keys(0)->mutable_vertex_key_config();
  vertex->mutable_auth_credentials()->set_value("env.VERTEX_SA");
  vertex->mutable_region()->set_value("env.VERTEX_REGION");
  config = *common::Canonicalize(config);
  auto served = CompileProvider(config, Env({{"VERTEX_SA", kCredentials}, {"VERTEX_REGION", "asia-east1"}}));
  ASSERT_EQ(served->state, ProviderEntry::State::kServed) << served->unserved_reason;
  EXPECT_EQ(served->keys[0].endpoint->host, "asia-east1-aiplatform.googleapis.com");
  EXPECT_TRUE(served->keys[0].enabled);
  auto missing = CompileProvider(config, Env({{"VERTEX_REGION", "asia-east1"}}));
  EXPECT_EQ(missing->state, ProviderEntry::State::kServed);
  EXPECT_FALSE(missing->keys[0].enabled);
  EXPECT_TRUE(missing->keys[0].env_missing);
  EXPECT_EQ(missing->keys[0].env_var, "env.VERTEX_SA");
  EXPECT_EQ(missing->missing_env_keys, 1);
}

}  // namespace
}  // namespace switchyard::dp
