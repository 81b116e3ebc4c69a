// Bedrock's event streams (issue 11 point 1, ADAPTERS.md §4 and §9 item 4): frames decode from
// bytes in any split with both CRCs checked; ConverseStream becomes OpenAI chunks without
// losing one, [DONE] only after the metadata event; exceptions and cut streams are errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data-plane/providers/bedrock/bedrock.h"
#include "data-plane/providers/bedrock/event_stream.h"
#include "data-plane/providers/bedrock/openai_bedrock.h"
#include "common/provider_config.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using nlohmann::json;

std::string Frame(const std::string& type, const json& payload) {
  return EncodeEventMessage({{":message-type", "event"}, {":event-type", type},
                             {":content-type", "application/json"}},
                            payload.dump());
}

std::string Converse() {
  std::string out = Frame("messageStart", {{"role", "assistant"}});
  for (int i = 0; i < 5; ++i) {
    out += Frame("contentBlockDelta", {{"contentBlockIndex", 0},
                                       {"delta", {{"text", "t" + std::to_string(i)}}}, {"p", "xyz"}});
  }
  out += Frame("contentBlockStop", {{"contentBlockIndex", 0}});
  out += Frame("contentBlockStart", {{"contentBlockIndex", 1},
                                     {"start", {{"toolUse", {{"toolUseId", "tu1"}, {"name", "get_time"}}}}}});
  out += Frame("contentBlockStop", {{"contentBlockIndex", 1}});
  out += Frame("messageStop", {{"stopReason", "tool_use"}});
  out += Frame("metadata", {{"usage", {{"inputTokens", 3}, {"outputTokens", 4}, {"cacheReadInputTokens", 2}}}});
  return out;
}

std::string Translate(const std::string& bytes, size_t piece, absl::Status* status) {
  auto translator = NewConverseToOpenAiStream("m", /*include_usage=*/true);
  std::string out;
  for (size_t at = 0; at < bytes.size() && status->ok(); at += piece) {
    *status = translator->Feed(std::string_view(bytes).substr(at, piece), &out);
  }
  if (status->ok()) *status = translator->Finish(&out);
  return out;
}

TEST(EventStreamTest, DecodesFramesSplitAnywhereAndChecksBothCrcs) {
  const std::string bytes = Frame("messageStart", {{"role", "assistant"}}) +
                            Frame("messageStop", {{"stopReason", "end_turn"}});
  EventStreamDecoder decoder;
  std::vector<std::string> types;
  for (char c : bytes) {
    decoder.Append(std::string_view(&c, 1));
    EventMessage message;
    absl::StatusOr<bool> next = decoder.Next(&message);
    ASSERT_TRUE(next.ok()) << next.status();
    if (*next) types.push_back(std::string(message.Header(":event-type")));
  }
  EXPECT_EQ(types, (std::vector<std::string>{"messageStart", "messageStop"}));
  EXPECT_FALSE(decoder.has_partial());

  std::string bad_message = bytes;
  bad_message[20] ^= 1;  // a header byte: the message CRC fails
  EventStreamDecoder second;
  second.Append(bad_message);
  EventMessage message;
  EXPECT_FALSE(second.Next(&message).ok());
  std::string bad_prelude = bytes;
  bad_prelude[3] ^= 1;  // the length: the prelude CRC fails
  EventStreamDecoder third;
  third.Append(bad_prelude);
  EXPECT_FALSE(third.Next(&message).ok());
}

TEST(ConverseStreamTest, NoChunkIsLostAndDoneFollowsTheMetadata) {
  absl::Status status;
  const std::string whole = Translate(Converse(), Converse().size(), &status);
  ASSERT_TRUE(status.ok()) << status;
  for (const size_t piece : {1u, 5u, 64u}) {  // any split gives the same bytes
    absl::Status split_status;
    EXPECT_EQ(Translate(Converse(), piece, &split_status), whole) << piece;
  }
  std::string text;
  int chunks = 0;
  for (size_t at = 0; (at = whole.find("data: ", at)) != std::string::npos; ++at) {
    const size_t end = whole.find("\n\n", at);
    const std::string data = whole.substr(at + 6, end - at - 6);
    if (data == "[DONE]") break;
    const json chunk = json::parse(data);
    ++chunks;
    if (!chunk["choices"].empty()) text += chunk["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(text, "t0t1t2t3t4");
  EXPECT_EQ(chunks, 10);  // role, 5 texts, tool start, "{}", finish, usage
  EXPECT_NE(whole.find(R"("arguments":"{}")"), std::string::npos);  // §9 item 5
  EXPECT_NE(whole.find(R"("finish_reason":"tool_calls")"), std::string::npos);
  EXPECT_NE(whole.find(R"("prompt_tokens":5)"), std::string::npos);  // input + cache read
  EXPECT_TRUE(whole.ends_with("data: [DONE]\n\n"));
}

TEST(ConverseStreamTest, ExceptionsAndCutStreamsAreErrors) {
  const std::string exception =
      Frame("messageStart", {{"role", "assistant"}}) +
      EncodeEventMessage({{":message-type", "exception"}, {":exception-type", "throttlingException"}},
                         R"({"message":"Too many requests"})");
  absl::Status status;
  const std::string out = Translate(exception, exception.size(), &status);
  EXPECT_TRUE(status.ok());
  EXPECT_NE(out.find(R"("type":"throttlingException")"), std::string::npos) << out;
  EXPECT_NE(out.find("Too many requests"), std::string::npos);
  EXPECT_EQ(out.find("[DONE]"), std::string::npos);

  const std::string cut = Frame("messageStart", {{"role", "assistant"}}) +
                          Frame("contentBlockDelta", {{"contentBlockIndex", 0}, {"delta", {{"text", "a"}}}});
  Translate(cut, cut.size(), &status);
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
}

TEST(BedrockTest, ModelIdsComeFromDeploymentsAndTheArn) {
  ResolvedKey key;
  key.deployments = {{"claude", "us.anthropic.claude-3-5-sonnet-20240620-v1:0"}};
  EXPECT_EQ(BedrockModelId(key, "claude"), "us.anthropic.claude-3-5-sonnet-20240620-v1:0");
  EXPECT_EQ(BedrockModelId(key, "amazon.nova-lite-v1:0"), "amazon.nova-lite-v1:0");
  key.config_fields = {{"arn", "arn:aws:bedrock:us-east-1:123456789012:inference-profile"}};
  EXPECT_EQ(BedrockModelId(key, "claude"),
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0");
}

TEST(BedrockTest, EachKeysRegionNamesItsEndpointUnlessBaseUrlReplacesIt) {
  v1::ProviderConfig config;
  config.set_name("bedrock");
  auto* key = config.add_keys()->mutable_bedrock_key_config();
  key->mutable_region()->set_value("eu-west-1");
  key->mutable_access_key()->set_value("AKID");
  key->mutable_secret_key()->set_value("secret");
  const KeyEnvironment env([](const std::string&) { return std::nullopt; });
  auto entry = CompileProvider(*common::Canonicalize(config), env);
  ASSERT_EQ(entry->state, ProviderEntry::State::kServed) << entry->unserved_reason;
  EXPECT_EQ(entry->keys[0].endpoint->host, "bedrock-runtime.eu-west-1.amazonaws.com");
  EXPECT_TRUE(entry->keys[0].endpoint->tls);
  config.mutable_network_config()->set_base_url("http://127.0.0.1:9000");
  entry = CompileProvider(*common::Canonicalize(config), env);
  EXPECT_EQ(entry->keys[0].endpoint->host, "127.0.0.1");
  EXPECT_EQ(entry->keys[0].endpoint->port, 9000);
  // Half a key pair, or no credentials at all, isolates the provider with the reason.
  key->clear_secret_key();
  entry = CompileProvider(*common::Canonicalize(config), env);
  EXPECT_EQ(entry->state, ProviderEntry::State::kBroken);
  EXPECT_NE(entry->unserved_reason.find("access_key and secret_key go together"), std::string::npos);
}

TEST(BedrockTest, EmbeddingsAndRefusals) {
  EXPECT_FALSE(OpenAiToBedrockEmbedding(R"({"input":["a","b"]})", "amazon.titan-embed-text-v2:0").ok());
  auto cohere = OpenAiToBedrockEmbedding(R"({"input":["a","b"]})", "cohere.embed-english-v3");
  ASSERT_TRUE(cohere.ok());
  EXPECT_EQ(json::parse(*cohere)["texts"], json({"a", "b"}));
  EXPECT_TRUE(absl::IsUnimplemented(OpenAiToBedrockEmbedding(R"({"input":"a"})", "meta.llama3").status()));
  // ADAPTERS.md §9 item 11: an image URL is refused, never dropped; a data URL is inlined.
  auto url = OpenAiToConverseRequest(
      R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/cat.png"}}]}]})");
  EXPECT_TRUE(absl::IsInvalidArgument(url.status())) << url.status();
  auto inline_image = OpenAiToConverseRequest(
      R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/webp;base64,UklG"}}]}]})");
  ASSERT_TRUE(inline_image.ok()) << inline_image.status();
  EXPECT_EQ(json::parse(*inline_image)["messages"][0]["content"][0]["image"],
            json({{"format", "webp"}, {"source", {{"bytes", "UklG"}}}}));
  // Converse needs the user to speak first; response_format has no Converse form.
  EXPECT_FALSE(OpenAiToConverseRequest(R"({"messages":[{"role":"assistant","content":"hi"}]})").ok());
  EXPECT_FALSE(OpenAiToConverseRequest(
      R"({"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}})").ok());
}

}  // namespace
}  // namespace switchyard::dp
