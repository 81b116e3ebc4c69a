// Cohere both ways (issue 11 point 3, ADAPTERS.md §6): OpenAI requests become v2 chat requests
// and the answers come back as OpenAI's, streams included; Cohere clients' requests become the
// internal form and the answers come back as Cohere's.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data-plane/providers/cohere/cohere_openai.h"
#include "data-plane/providers/cohere/openai_cohere.h"

namespace switchyard::dp {
namespace {

using nlohmann::json;

std::string Feed(StreamTranslator& translator, const std::string& upstream) {
  std::string client;
  EXPECT_TRUE(translator.Feed(upstream, &client).ok());
  EXPECT_TRUE(translator.Finish(&client).ok());
  return client;
}

std::string Event(const json& data) {
  return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n";
}

TEST(OpenAiCohereTest, RequestsMapRolesToolsAndSettings) {
  const json openai = {
      {"model", "cohere/command-r"},
      {"messages", {{{"role", "developer"}, {"content", "Be brief."}},
                    {{"role", "user"}, {"content", "Weather?"}},
                    {{"role", "assistant"}, {"content", nullptr},
                     {"tool_calls", {{{"id", "c1"}, {"type", "function"},
                                      {"function", {{"name", "w"}, {"arguments", "{\"city\":\"Paris\"}"}}}}}}},
                    {{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "sunny"}}}},
      {"tools", {{{"type", "function"}, {"function", {{"name", "w"}, {"strict", true}}}},
                 {{"type", "function"}, {"function", {{"name", "t"}}}}}},
      {"tool_choice", {{"type", "function"}, {"function", {{"name", "w"}}}}},
      {"top_p", 0.9},
      {"max_completion_tokens", 50},
      {"stop", "END"},
      {"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", {{"type", "object"}}}}}}}};
  auto body = OpenAiToCohereRequest(openai.dump(), "command-r", true);
  ASSERT_TRUE(body.ok()) << body.status();
  const json out = json::parse(*body);
  EXPECT_EQ(out["model"], "command-r");
  EXPECT_EQ(out["messages"][0], json({{"role", "system"}, {"content", "Be brief."}}));
  EXPECT_FALSE(out["messages"][2].contains("content"));  // null content left out
  EXPECT_EQ(out["messages"][2]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}");
  EXPECT_EQ(out["messages"][3], json({{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "sunny"}}));
  ASSERT_EQ(out["tools"].size(), 1u);  // narrowed to the named function
  EXPECT_FALSE(out["tools"][0]["function"].contains("strict"));
  EXPECT_EQ(out["strict_tools"], true);
  EXPECT_EQ(out["tool_choice"], "REQUIRED");
  EXPECT_EQ(out["p"], 0.9);
  EXPECT_EQ(out["max_tokens"], 50);
  EXPECT_EQ(out["stop_sequences"], json({"END"}));
  EXPECT_EQ(out["response_format"], json({{"type", "json_object"}, {"json_schema", {{"type", "object"}}}}));
  EXPECT_EQ(out["stream"], true);
  EXPECT_FALSE(OpenAiToCohereRequest(R"({"n":2,"messages":[]})", "m", false).ok());
}

TEST(OpenAiCohereTest, ResponsesMapFinishReasonsUsageAndToolCalls) {
  auto answer = CohereToOpenAiResponse(
      R"({"id":"r1","finish_reason":"TOOL_CALL","message":{"role":"assistant","tool_plan":"p",
          "tool_calls":[{"id":"c1","type":"function","function":{"name":"w","arguments":""}}]},
          "usage":{"billed_units":{"input_tokens":1,"output_tokens":1},
                   "tokens":{"input_tokens":7,"output_tokens":3},"cached_tokens":2}})",
      "command-r");
  ASSERT_TRUE(answer.ok()) << answer.status();
  const json out = json::parse(*answer);
  EXPECT_EQ(out["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_TRUE(out["choices"][0]["message"]["content"].is_null());
  EXPECT_EQ(out["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], "{}");
  EXPECT_EQ(out["usage"]["prompt_tokens"], 7);  // tokens preferred over billed_units
  EXPECT_EQ(out["usage"]["total_tokens"], 10);
  EXPECT_EQ(out["usage"]["prompt_tokens_details"]["cached_tokens"], 2);
  auto length = CohereToOpenAiResponse(
      R"({"id":"r","finish_reason":"MAX_TOKENS","message":{"content":[{"type":"text","text":"a"}]}})", "m");
  EXPECT_EQ(json::parse(*length)["choices"][0]["finish_reason"], "length");
  EXPECT_FALSE(CohereToOpenAiResponse(R"({"finish_reason":"ERROR","message":{}})", "m").ok());
}

TEST(OpenAiCohereTest, StreamsGiveEachCallItsIndexAndArgumentlessCallsValidJson) {
  const std::string cohere =
      Event({{"type", "message-start"}, {"id", "s1"}, {"delta", {{"message", {{"role", "assistant"}}}}}}) +
      Event({{"type", "content-delta"}, {"index", 0}, {"delta", {{"message", {{"content", {{"text", "Hi"}}}}}}}}) +
      Event({{"type", "tool-call-start"}, {"index", 1},
             {"delta", {{"message", {{"tool_calls", {{"id", "c1"}, {"type", "function"},
                                                     {"function", {{"name", "w"}, {"arguments", ""}}}}}}}}}}) +
      Event({{"type", "tool-call-delta"}, {"index", 1},
             {"delta", {{"message", {{"tool_calls", {{"function", {{"arguments", "{}"}}}}}}}}}}) +
      Event({{"type", "tool-call-end"}, {"index", 1}}) +
      Event({{"type", "tool-call-start"}, {"index", 2},
             {"delta", {{"message", {{"tool_calls", {{"id", "c2"}, {"type", "function"},
                                                     {"function", {{"name", "t"}, {"arguments", ""}}}}}}}}}}) +
      Event({{"type", "tool-call-end"}, {"index", 2}}) +
      Event({{"type", "message-end"},
             {"delta", {{"finish_reason", "TOOL_CALL"},
                        {"usage", {{"tokens", {{"input_tokens", 4}, {"output_tokens", 6}}}}}}}});
  auto translator = NewCohereToOpenAiStream("command-r", /*include_usage=*/true);
  const std::string client = Feed(*translator, cohere);
  std::vector<json> chunks;
  size_t at = 0;
  while ((at = client.find("data: ", at)) != std::string::npos) {
    const size_t end = client.find("\n\n", at);
    const std::string data = client.substr(at + 6, end - at - 6);
    if (data != "[DONE]") chunks.push_back(json::parse(data));
    at = end;
  }
  ASSERT_EQ(chunks.size(), 8u) << client;
  EXPECT_EQ(chunks[0]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(chunks[1]["choices"][0]["delta"]["content"], "Hi");
  EXPECT_EQ(chunks[2]["choices"][0]["delta"]["tool_calls"][0]["index"], 0);
  EXPECT_EQ(chunks[4]["choices"][0]["delta"]["tool_calls"][0]["index"], 1);
  EXPECT_EQ(chunks[5]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{}");
  EXPECT_EQ(chunks[6]["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(chunks[7]["choices"], json::array());
  EXPECT_EQ(chunks[7]["usage"]["total_tokens"], 10);
  EXPECT_TRUE(client.ends_with("data: [DONE]\n\n"));
  // A stream cut before message-end is an error, not a silent end.
  auto cut = NewCohereToOpenAiStream("m", false);
  std::string ignored;
  ASSERT_TRUE(cut->Feed(Event({{"type", "message-start"}, {"id", "x"}}), &ignored).ok());
  EXPECT_FALSE(cut->Finish(&ignored).ok());
}

TEST(CohereOpenAiTest, CohereRequestsBecomeTheInternalForm) {
  const json cohere = {
      {"model", "x"}, {"stream", true}, {"p", 0.5}, {"k", 3}, {"stop_sequences", {"Z"}},
      {"tool_choice", "REQUIRED"},
      {"messages", {{{"role", "user"}, {"content", {{{"type", "text"}, {"text", "hi"}}}}},
                    {{"role", "tool"}, {"tool_call_id", "c"},
                     {"content", {{{"type", "document"}, {"document", {{"data", {{"t", 1}}}}}}}}}}}};
  auto body = CohereToOpenAiRequest(cohere.dump(), "gpt-x");
  ASSERT_TRUE(body.ok()) << body.status();
  const json out = json::parse(body->text);
  EXPECT_EQ(out["model"], "gpt-x");
  EXPECT_EQ(out["top_p"], 0.5);
  EXPECT_FALSE(out.contains("k"));
  EXPECT_EQ(out["stop"], json({"Z"}));
  EXPECT_EQ(out["tool_choice"], "required");
  EXPECT_EQ(out["messages"][1]["content"], "{\"t\":1}");
  EXPECT_EQ(out["stream_options"]["include_usage"], true);
  EXPECT_FALSE(CohereToOpenAiRequest(R"({"messages":[],"documents":[{"data":"x"}]})", "m").ok());
  EXPECT_FALSE(CohereToOpenAiEmbeddingRequest(R"({"texts":["a"],"embedding_types":["int8"]})", "m").ok());
}

TEST(CohereOpenAiTest, InternalStreamsBecomeCohereEvents) {
  const std::string openai =
      R"(data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})" "\n\n"
      R"(data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}]})" "\n\n"
      R"(data: {"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"w","arguments":"{\"a\""}}]}}]})" "\n\n"
      R"(data: {"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]})" "\n\n"
      R"(data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})" "\n\n"
      R"(data: {"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}})" "\n\n"
      "data: [DONE]\n\n";
  auto translator = NewOpenAiToCohereStream();
  const std::string client = Feed(*translator, openai);
  std::vector<std::string> types;
  size_t at = 0;
  while ((at = client.find("event: ", at)) != std::string::npos) {
    types.push_back(client.substr(at + 7, client.find('\n', at) - at - 7));
    ++at;
  }
  EXPECT_EQ(types, (std::vector<std::string>{"message-start", "content-start", "content-delta",
                                             "content-end", "tool-call-start", "tool-call-delta",
                                             "tool-call-end", "message-end"}));
  EXPECT_NE(client.find(R"("finish_reason":"TOOL_CALL")"), std::string::npos) << client;
  EXPECT_NE(client.find(R"("output_tokens":2)"), std::string::npos) << client;
}

}  // namespace
}  // namespace switchyard::dp
