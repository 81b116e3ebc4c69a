// The anthropic -> openai pair (Anthropic clients on the native route, providers of other
// families) beyond its golden files: what it refuses, stop reasons, a stream cut short; the
// bridge around it (surface.h); and the anthropic-beta filter (ADAPTERS.md §7).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data-plane/providers/anthropic/anthropic.h"
#include "data-plane/providers/anthropic/anthropic_openai.h"
#include "data-plane/providers/surface.h"

namespace switchyard::dp {
namespace {

using nlohmann::json;

absl::Status Refusal(const json& body) {
  return AnthropicToOpenAiRequest(body.dump(), "m").status();
}

json WithContent(json content) {
  return {{"model", "openai/m"}, {"max_tokens", 8},
          {"messages", {{{"role", "user"}, {"content", std::move(content)}}}}};
}

TEST(AnthropicOpenAiTest, WhatOtherFamiliesCannotTakeIsA400NamingIt) {
  const absl::Status document = Refusal(WithContent(
      {{{"type", "document"}, {"source", {{"type", "text"}, {"data", "x"}}}}}));
  EXPECT_TRUE(absl::IsInvalidArgument(document));
  EXPECT_NE(document.message().find("document"), std::string::npos);
  json server_tool = WithContent("hi");
  server_tool["tools"] = {{{"type", "web_search_20250305"}, {"name", "web_search"}}};
  const absl::Status tool = Refusal(server_tool);
  EXPECT_TRUE(absl::IsInvalidArgument(tool));
  EXPECT_NE(tool.message().find("web_search_20250305"), std::string::npos);
  EXPECT_TRUE(absl::IsInvalidArgument(Refusal(WithContent(
      {{{"type", "tool_result"}, {"tool_use_id", "t"},
        {"content", {{{"type", "image"}, {"source", {{"type", "url"}, {"url", "https://x/y.png"}}}}}}}}))));
  json role = WithContent("hi");
  role["messages"][0]["role"] = "robot";
  EXPECT_TRUE(absl::IsInvalidArgument(Refusal(role)));
  EXPECT_TRUE(absl::IsInvalidArgument(AnthropicToOpenAiRequest("[1]", "m").status()));
  json choice = WithContent("hi");
  choice["tool_choice"] = {{"type", "sometimes"}};
  EXPECT_TRUE(absl::IsInvalidArgument(Refusal(choice)));
}

TEST(AnthropicOpenAiTest, ModelIsFirstAndRewritable) {
  auto body = AnthropicToOpenAiRequest(WithContent("hi").dump(), "gpt-4o-mini");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->text.substr(body->model_offset, body->model_length), "\"gpt-4o-mini\"");
  EXPECT_FALSE(body->stream);
  const json parsed = json::parse(body->text);
  EXPECT_EQ(parsed["messages"][0], (json{{"role", "user"}, {"content", "hi"}}));
  EXPECT_FALSE(parsed.contains("stream_options"));
}

TEST(AnthropicOpenAiTest, FinishReasonsBecomeStopReasons) {
  for (const auto& [finish, stop] : std::vector<std::pair<std::string, std::string>>{
           {"stop", "end_turn"}, {"length", "max_tokens"}, {"tool_calls", "tool_use"},
           {"content_filter", "refusal"}}) {
    const json response = {{"id", "c"}, {"model", "m"},
                           {"choices", {{{"index", 0},
                                         {"message", {{"role", "assistant"}, {"content", "x"}}},
                                         {"finish_reason", finish}}}}};
    auto out = OpenAiToAnthropicResponse(response.dump());
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(json::parse(*out)["stop_reason"], stop) << finish;
  }
  // Arguments a provider got wrong are not papered over.
  const json bad = {{"choices", {{{"message", {{"role", "assistant"},
                                                {"tool_calls", {{{"id", "c"}, {"function",
                                                  {{"name", "f"}, {"arguments", "{oops"}}}}}}}},
                                  {"finish_reason", "tool_calls"}}}}};
  EXPECT_FALSE(OpenAiToAnthropicResponse(bad.dump()).ok());
}

TEST(AnthropicOpenAiTest, AStreamCutBeforeItsFinishIsAnError) {
  auto stream = NewOpenAiToAnthropicStream();
  std::string out;
  ASSERT_TRUE(stream->Feed("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", &out).ok());
  EXPECT_NE(out.find("text_delta"), std::string::npos);
  EXPECT_TRUE(absl::IsUnavailable(stream->Finish(&out)));
  // A finish without [DONE] still ends the message properly.
  auto finished = NewOpenAiToAnthropicStream();
  std::string tail;
  ASSERT_TRUE(finished->Feed("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", &tail).ok());
  ASSERT_TRUE(finished->Finish(&tail).ok());
  EXPECT_NE(tail.find("event: message_stop"), std::string::npos);
}

TEST(AnthropicOpenAiTest, TheBridgeCarriesMessagesOnlyAndEncodesStreamErrorsPerSurface) {
  InferenceRequest native;
  native.surface = ApiSurface::kAnthropic;
  native.request_type = "count_tokens";
  native.body.text = WithContent("hi").dump();
  EXPECT_TRUE(absl::IsUnimplemented(ToInternalRequest(native, "m").status()));
  native.request_type = "chat_completion_stream";
  native.stream = true;
  json streamed = WithContent("hi");
  streamed["stream"] = true;
  native.body.text = streamed.dump();
  native.control_headers = {{"x-bf-eh-x-trace", "1"}};
  auto internal = ToInternalRequest(native, "m");
  ASSERT_TRUE(internal.ok()) << internal.status();
  EXPECT_EQ(internal->surface, ApiSurface::kOpenAi);
  EXPECT_EQ(internal->control_headers, native.control_headers);
  EXPECT_EQ(json::parse(internal->body.text)["stream_options"], (json{{"include_usage", true}}));

  const common::ApiError error = common::MakeApiError(502, "upstream_error", "x", "cut");
  EXPECT_EQ(EncodeStreamError(ApiSurface::kAnthropic, error),
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
            "\"message\":\"cut\"}}\n\n");  // Anthropic's own key order
  EXPECT_TRUE(EncodeStreamError(ApiSurface::kOpenAi, error).starts_with("data: {"));
}

TEST(AnthropicBetaTest, OverridesDropAndOneVersionPerBetaIsSent) {
  google::protobuf::Map<std::string, bool> overrides;
  EXPECT_EQ(FilterAnthropicBeta(" a-1 ,, b-2,a-1", overrides), "a-1,b-2");
  EXPECT_EQ(FilterAnthropicBeta("structured-outputs-2025-11-13,structured-outputs-2025-09-01,"
                                "context-1m-2025-08-07",
                                overrides),
            "structured-outputs-2025-11-13,context-1m-2025-08-07");
  overrides["context-1m-"] = false;
  overrides["made-up-"] = false;
  overrides["made-up-but-this-"] = true;  // the longest prefix decides
  EXPECT_EQ(FilterAnthropicBeta("context-1m-2025-08-07,made-up-1,made-up-but-this-2,other-3",
                                overrides),
            "made-up-but-this-2,other-3");
  EXPECT_EQ(FilterAnthropicBeta("context-1m-2025-08-07", overrides), "");
}

}  // namespace
}  // namespace switchyard::dp

namespace switchyard::dp {
namespace {

// Raw send-back applies to translated answers as to pass-through ones: raw_request is the
// Messages body sent, raw_response the provider's Messages answer.
TEST(AnthropicAdapterTest, RawSendBackCarriesWhatWasSentAndReceived) {
  InferenceRequest request;
  request.request_type = "chat_completion";
  request.body.text = R"({"model":"anthropic/claude-x","messages":[{"role":"user","content":"hi"}]})";
  AttemptTarget target;
  target.provider = "anthropic";
  target.model = "claude-x";
  target.raw_request = true;
  target.raw_response = true;
  const std::string upstream =
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"yo"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}})";
  auto out = AnthropicAdapter().TranslateResponse(request, target, upstream);
  ASSERT_TRUE(out.ok()) << out.status();
  const json answer = json::parse(*out);
  EXPECT_EQ(answer["choices"][0]["message"]["content"], "yo");
  EXPECT_EQ(answer["extra_fields"]["provider"], "anthropic");
  EXPECT_EQ(answer["extra_fields"]["raw_request"]["model"], "claude-x");
  EXPECT_EQ(answer["extra_fields"]["raw_request"]["max_tokens"], kAnthropicDefaultMaxTokens);
  EXPECT_EQ(answer["extra_fields"]["raw_response"], json::parse(upstream));
  // Without the flags the answer carries no extra_fields.
  target.raw_request = target.raw_response = false;
  auto plain = AnthropicAdapter().TranslateResponse(request, target, upstream);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(json::parse(*plain).contains("extra_fields"));
}

}  // namespace
}  // namespace switchyard::dp
