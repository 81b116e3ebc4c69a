// The openai -> anthropic pair translators (ADAPTERS.md §0, §1): request, whole response, and
// the stream translator fed a recorded stream in arbitrary pieces.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data-plane/providers/anthropic/openai_anthropic.h"

namespace switchyard::dp {
namespace {

using nlohmann::json;

json Translate(const json& openai, bool stream = false) {
  auto out = OpenAiToAnthropicRequest(openai.dump(), "claude-sonnet-4-5", stream);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? json::parse(*out) : json();
}

TEST(OpenAiAnthropicTest, RequestMapsRolesImagesToolsAndSettings) {
  const json request = {
      {"model", "anthropic/claude-sonnet-4-5"},
      {"messages",
       {{{"role", "system"}, {"content", "Be brief."}},
        {{"role", "developer"}, {"content", "Use tools."}},
        {{"role", "user"},
         {"content",
          {{{"type", "text"}, {"text", "What is here?"}},
           {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,iVBORw0K"}}}},
           {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/a.jpg"}}}}}}},
        {{"role", "assistant"},
         {"content", nullptr},
         {"tool_calls",
          {{{"id", "call_1"}, {"type", "function"},
            {"function", {{"name", "weather"}, {"arguments", R"({"city":"Paris"})"}}}},
           {{"id", "call_2"}, {"type", "function"},
            {"function", {{"name", "time"}, {"arguments", "{}"}}}}}}},
        {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}},
        {{"role", "tool"}, {"tool_call_id", "call_2"}, {"content", "noon"}}}},
      {"tools",
       {{{"type", "function"},
         {"function", {{"name", "weather"}, {"description", "Weather"},
                       {"parameters", {{"type", "object"}}}}}}}},
      {"tool_choice", "required"},
      {"parallel_tool_calls", false},
      {"temperature", 0.5},
      {"stop", "END"},
      {"user", "u-1"}};
  const json out = Translate(request, /*stream=*/true);
  EXPECT_EQ(out["model"], "claude-sonnet-4-5");
  EXPECT_EQ(out["system"], json::parse(R"([{"type":"text","text":"Be brief."},
                                           {"type":"text","text":"Use tools."}])"));
  ASSERT_EQ(out["messages"].size(), 3u);
  EXPECT_EQ(out["messages"][0]["content"][1]["source"],
            json::parse(R"({"type":"base64","media_type":"image/png","data":"iVBORw0K"})"));
  EXPECT_EQ(out["messages"][0]["content"][2]["source"]["type"], "url");
  EXPECT_EQ(out["messages"][1]["content"][0],
            json::parse(R"({"type":"tool_use","id":"call_1","name":"weather",
                            "input":{"city":"Paris"}})"));
  // Consecutive tool results form one user turn.
  EXPECT_EQ(out["messages"][2]["role"], "user");
  EXPECT_EQ(out["messages"][2]["content"].size(), 2u);
  EXPECT_EQ(out["messages"][2]["content"][1]["tool_use_id"], "call_2");
  EXPECT_EQ(out["max_tokens"], kAnthropicDefaultMaxTokens);
  EXPECT_EQ(out["tools"][0]["input_schema"], json({{"type", "object"}}));
  EXPECT_EQ(out["tool_choice"], json::parse(R"({"type":"any","disable_parallel_tool_use":true})"));
  EXPECT_EQ(out["stop_sequences"], json::array({"END"}));
  EXPECT_EQ(out["metadata"]["user_id"], "u-1");
  EXPECT_EQ(out["temperature"], 0.5);
  EXPECT_EQ(out["stream"], true);

  json named = request;
  named["tool_choice"] = {{"type", "function"}, {"function", {{"name", "weather"}}}};
  named["max_completion_tokens"] = 50;
  named.erase("parallel_tool_calls");
  const json named_out = Translate(named);
  EXPECT_EQ(named_out["tool_choice"], json::parse(R"({"type":"tool","name":"weather"})"));
  EXPECT_EQ(named_out["max_tokens"], 50);
  EXPECT_FALSE(named_out.contains("stream"));
}

TEST(OpenAiAnthropicTest, JsonSchemaResponseFormatBecomesOutputConfigFormat) {
  const json schema = {{"type", "object"},
                       {"properties", {{"city", {{"type", "string"}}}}},
                       {"required", {"city"}},
                       {"additionalProperties", false}};
  const json out = Translate(
      {{"model", "a/b"},
       {"messages", {{{"role", "user"}, {"content", "Where?"}}}},
       {"response_format",
        {{"type", "json_schema"}, {"json_schema", {{"name", "place"}, {"strict", true}, {"schema", schema}}}}}});
  EXPECT_EQ(out["output_config"], (json{{"format", {{"type", "json_schema"}, {"schema", schema}}}}));
  const json text = Translate({{"model", "a/b"},
                               {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                               {"response_format", {{"type", "text"}}}});
  EXPECT_FALSE(text.contains("output_config"));
}

TEST(OpenAiAnthropicTest, RequestsAnthropicCannotTakeAreRefused) {
  const json base = {{"model", "a/b"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  json n = base;
  n["n"] = 2;
  EXPECT_TRUE(absl::IsInvalidArgument(OpenAiToAnthropicRequest(n.dump(), "m", false).status()));
  json schema = base;
  schema["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"name", "x"}}}};
  EXPECT_TRUE(absl::IsInvalidArgument(OpenAiToAnthropicRequest(schema.dump(), "m", false).status()));
  json object = base;
  object["response_format"] = {{"type", "json_object"}};
  EXPECT_TRUE(absl::IsInvalidArgument(OpenAiToAnthropicRequest(object.dump(), "m", false).status()));
  json bad_args = base;
  bad_args["messages"].push_back({{"role", "assistant"},
                                  {"tool_calls", {{{"id", "c"}, {"function",
                                                   {{"name", "f"}, {"arguments", "{not"}}}}}}});
  EXPECT_TRUE(absl::IsInvalidArgument(OpenAiToAnthropicRequest(bad_args.dump(), "m", false).status()));
}

TEST(OpenAiAnthropicTest, ResponseMapsTextToolsFinishAndUsage) {
  const std::string anthropic = R"({
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}],
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 2,
              "output_tokens": 7}})";
  auto out = AnthropicToOpenAiResponse(anthropic);
  ASSERT_TRUE(out.ok()) << out.status();
  const json openai = json::parse(*out);
  EXPECT_EQ(openai["object"], "chat.completion");
  const json& choice = openai["choices"][0];
  EXPECT_EQ(choice["message"]["content"], "Let me check.");
  EXPECT_EQ(choice["message"]["tool_calls"][0]["function"]["arguments"], R"({"city":"Paris"})");
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_EQ(openai["usage"]["prompt_tokens"], 17);
  EXPECT_EQ(openai["usage"]["prompt_tokens_details"]["cached_tokens"], 5);
  EXPECT_EQ(openai["usage"]["total_tokens"], 24);

  for (const auto& [stop, finish] : std::vector<std::pair<std::string, std::string>>{
           {"end_turn", "stop"}, {"stop_sequence", "stop"}, {"max_tokens", "length"},
           {"refusal", "content_filter"}}) {
    const json reply = json::parse(*AnthropicToOpenAiResponse(
        R"({"id":"m","content":[{"type":"text","text":"x"}],"stop_reason":")" + stop + R"("})"));
    EXPECT_EQ(reply["choices"][0]["finish_reason"], finish) << stop;
  }
}

// Events as Anthropic sends them (abridged), including a ping and a tool without arguments.
constexpr char kStream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude\","
    "\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":3,\"output_tokens\":1}}}\n\n"
    "event: ping\ndata: {\"type\":\"ping\"}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Paris\\\"}\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"now\",\"input\":{}}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":20}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

std::vector<json> Chunks(const std::string& client, bool* done) {
  std::vector<json> chunks;
  size_t at = 0;
  *done = false;
  while ((at = client.find("data: ", at)) != std::string::npos) {
    const size_t end = client.find("\n\n", at);
    const std::string data = client.substr(at + 6, end - at - 6);
    if (data == "[DONE]") {
      *done = true;
    } else {
      chunks.push_back(json::parse(data));
    }
    at = end;
  }
  return chunks;
}

TEST(OpenAiAnthropicTest, StreamFollowsTheOpenAiChunkContractWhateverTheSplit) {
  const std::string stream = kStream;
  for (size_t piece : {size_t{1}, size_t{7}, size_t{64}, stream.size()}) {
    SCOPED_TRACE(piece);
    auto translator = NewAnthropicToOpenAiStream(/*include_usage=*/true);
    std::string client;
    for (size_t at = 0; at < stream.size(); at += piece) {
      ASSERT_TRUE(translator->Feed(std::string_view(stream).substr(at, piece), &client).ok());
    }
    ASSERT_TRUE(translator->Finish(&client).ok());
    bool done = false;
    const std::vector<json> chunks = Chunks(client, &done);
    EXPECT_TRUE(done);
    ASSERT_EQ(chunks.size(), 10u) << client;
    EXPECT_EQ(chunks[0]["choices"][0]["delta"], json::parse(R"({"role":"assistant","content":""})"));
    EXPECT_EQ(chunks[1]["choices"][0]["delta"]["content"], "Hel");
    EXPECT_EQ(chunks[2]["choices"][0]["delta"]["content"], "lo");
    // First tool delta: index, id, type, name, empty arguments; then fragments only.
    EXPECT_EQ(chunks[3]["choices"][0]["delta"]["tool_calls"][0],
              json::parse(R"({"index":0,"id":"toolu_1","type":"function",
                              "function":{"name":"weather","arguments":""}})"));
    EXPECT_EQ(chunks[4]["choices"][0]["delta"]["tool_calls"][0],
              json::parse(R"({"index":0,"function":{"arguments":"{\"city\": "}})"));
    EXPECT_EQ(chunks[5]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"],
              "\"Paris\"}");
    // The second call has its own index and, with no fragments, "{}".
    EXPECT_EQ(chunks[6]["choices"][0]["delta"]["tool_calls"][0]["index"], 1);
    EXPECT_EQ(chunks[6]["choices"][0]["delta"]["tool_calls"][0]["id"], "toolu_2");
    EXPECT_EQ(chunks[7]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{}");
    // Finish in its own chunk, then usage with no choices.
    EXPECT_EQ(chunks[8]["choices"][0]["finish_reason"], "tool_calls");
    EXPECT_EQ(chunks[8]["choices"][0]["delta"], json::object());
    EXPECT_EQ(chunks[9]["choices"], json::array());
    EXPECT_EQ(chunks[9]["usage"]["completion_tokens"], 20);
  }
}

TEST(OpenAiAnthropicTest, StreamUsageChunkAndErrorEvents) {
  auto translator = NewAnthropicToOpenAiStream(/*include_usage=*/true);
  std::string client;
  ASSERT_TRUE(translator->Feed(kStream, &client).ok());
  const size_t usage = client.find("\"choices\":[]");
  ASSERT_NE(usage, std::string::npos) << client;
  EXPECT_NE(client.find("\"prompt_tokens\":15", usage), std::string::npos);
  EXPECT_NE(client.find("\"completion_tokens\":20", usage), std::string::npos);
  EXPECT_TRUE(client.ends_with("data: [DONE]\n\n"));

  auto failing = NewAnthropicToOpenAiStream(false);
  std::string out;
  ASSERT_TRUE(failing->Feed("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                            "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n", &out).ok());
  EXPECT_NE(out.find("\"message\":\"Overloaded\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"is_bifrost_error\":false"), std::string::npos) << out;
  // A stream cut before message_stop is an error, not a silent end.
  auto cut = NewAnthropicToOpenAiStream(false);
  std::string partial;
  ASSERT_TRUE(cut->Feed(std::string(kStream).substr(0, 300), &partial).ok());
  EXPECT_FALSE(cut->Finish(&partial).ok());
}

// A delta that repeats the last one's bytes but for its text is written without being read
// (SseStreamTranslator::RepeatText), but its text is still checked: invalid UTF-8 is refused as
// reading it refuses it.
TEST(OpenAiAnthropicTest, ARepeatedDeltaWithInvalidUtf8IsRefused) {
  const std::string head =
      "event: content_block_delta\ndata: "
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")";
  const std::string tail = "\"}}\n\n";
  auto translator = NewAnthropicToOpenAiStream(false);
  std::string out;
  ASSERT_TRUE(translator->Feed(head + "Hello" + tail, &out).ok());
  ASSERT_TRUE(translator->Feed(head + "again" + tail, &out).ok());
  EXPECT_NE(out.find(R"("content":"again")"), std::string::npos) << out;
  const size_t before = out.size();
  EXPECT_FALSE(translator->Feed(head + "bad \xff\xfe bytes" + tail, &out).ok());
  EXPECT_EQ(out.find("bad"), std::string::npos) << out.substr(before);
}

}  // namespace
}  // namespace switchyard::dp
