// The openai -> gemini pair beyond its golden files: what it refuses, and embeddings (one
// input, a batch, base64 served by the gateway).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data-plane/providers/gemini/gemini_openai.h"
#include "data-plane/providers/gemini/openai_gemini.h"

namespace switchyard::dp {
namespace {

using nlohmann::json;

json Chat(json messages) { return {{"model", "gemini/m"}, {"messages", std::move(messages)}}; }

TEST(OpenAiGeminiTest, WhatGeminiCannotTakeIsA400) {
  // A tool result must answer a call made earlier in the conversation (its name comes from it).
  EXPECT_TRUE(absl::IsInvalidArgument(
      OpenAiToGeminiRequest(Chat({{{"role", "tool"}, {"tool_call_id", "nope"}, {"content", "x"}}}).dump())
          .status()));
  // Gemini needs an image's MIME type.
  EXPECT_TRUE(absl::IsInvalidArgument(
      OpenAiToGeminiRequest(
          Chat({{{"role", "user"},
                 {"content", {{{"type", "image_url"}, {"image_url", {{"url", "https://x.test/pic"}}}}}}}})
              .dump())
          .status()));
  json args = Chat({{{"role", "assistant"},
                     {"tool_calls", {{{"id", "c"}, {"function", {{"name", "f"}, {"arguments", "[1]"}}}}}}}});
  EXPECT_TRUE(absl::IsInvalidArgument(OpenAiToGeminiRequest(args.dump()).status()));
  json format = Chat({{{"role", "user"}, {"content", "hi"}}});
  format["response_format"] = {{"type", "yaml"}};
  EXPECT_TRUE(absl::IsInvalidArgument(OpenAiToGeminiRequest(format.dump()).status()));
}

TEST(OpenAiGeminiTest, EmbeddingsOneInputOrABatch) {
  auto one = OpenAiToGeminiEmbedding(R"({"model":"gemini/e","input":"hi","dimensions":8})", "e");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_FALSE(one->batch);
  EXPECT_EQ(json::parse(one->body),
            json::parse(R"({"content":{"parts":[{"text":"hi"}]},"outputDimensionality":8})"));
  auto many = OpenAiToGeminiEmbedding(R"({"model":"gemini/e","input":["a","b"]})", "e");
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_TRUE(many->batch);
  EXPECT_EQ(json::parse(many->body)["requests"][1],
            json::parse(R"({"model":"models/e","content":{"parts":[{"text":"b"}]}})"));
  EXPECT_TRUE(absl::IsInvalidArgument(
      OpenAiToGeminiEmbedding(R"({"model":"gemini/e","input":[[1,2,3]]})", "e").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      OpenAiToGeminiEmbedding(R"({"model":"gemini/e","input":[]})", "e").status()));
}

TEST(OpenAiGeminiTest, EmbeddingAnswersInFloatsOrBase64) {
  const std::string batch = R"({"embeddings":[{"values":[0.5,-0.25,1.0]},{"values":[1.0]}]})";
  auto floats = GeminiToOpenAiEmbedding(batch, R"({"input":["a","b"]})", "e");
  ASSERT_TRUE(floats.ok()) << floats.status();
  const json list = json::parse(*floats);
  EXPECT_EQ(list["object"], "list");
  EXPECT_EQ(list["data"][0]["embedding"], json::parse("[0.5,-0.25,1.0]"));
  EXPECT_EQ(list["data"][1]["index"], 1);
  // Little-endian float32, base64: what OpenAI's SDKs decode.
  auto base64 = GeminiToOpenAiEmbedding(batch, R"({"input":["a","b"],"encoding_format":"base64"})", "e");
  ASSERT_TRUE(base64.ok()) << base64.status();
  EXPECT_EQ(json::parse(*base64)["data"][0]["embedding"], "AAAAPwAAgL4AAIA/");
  EXPECT_FALSE(GeminiToOpenAiEmbedding(R"({"nothing":1})", "{}", "e").ok());
}

// GenAI clients: streamGenerateContent without alt=sse answers a JSON array, typed as JSON; a
// functionResponse must answer an earlier call.
TEST(GeminiOpenAiTest, ArrayStreamsAreJsonAndResponsesNeedACall) {
  EXPECT_EQ(NewOpenAiToGeminiStream(false)->content_type(), "application/json");
  EXPECT_EQ(NewOpenAiToGeminiStream(true)->content_type(), "text/event-stream");
  const absl::Status orphan =
      GeminiToOpenAiRequest(
          R"({"contents":[{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}}]}]})",
          "m", false)
          .status();
  EXPECT_TRUE(absl::IsInvalidArgument(orphan));
  EXPECT_NE(orphan.message().find("\"f\""), std::string::npos);
  EXPECT_TRUE(absl::IsInvalidArgument(
      GeminiToOpenAiRequest(R"({"contents":[{"role":"user","parts":[{"executableCode":{}}]}]})", "m", false)
          .status()));
}

// The text event's fast path (simdjson On Demand) refuses what the general path refuses: bytes
// after the event's object are not JSON.
TEST(GeminiOpenAiStreamTest, AnEventWithBytesAfterItsObjectIsRefused) {
  const std::string good =
      R"(data: {"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"},"index": 0}]})"
      "\r\n\r\n";
  std::unique_ptr<StreamTranslator> fine = NewGeminiToOpenAiStream("m", false);
  std::string out;
  ASSERT_TRUE(fine->Feed(good, &out).ok());
  EXPECT_NE(out.find(R"("content":"Hi")"), std::string::npos) << out;

  std::string bad = good;
  bad.insert(bad.find("\r\n"), " trailing");
  std::unique_ptr<StreamTranslator> refused = NewGeminiToOpenAiStream("m", false);
  out.clear();
  EXPECT_FALSE(refused->Feed(bad, &out).ok()) << out;
  EXPECT_EQ(out.find("Hi"), std::string::npos) << out;
}

// An event that repeats the one before but for its text is written without parsing it (issue
// 18 point 4), but only when that text is valid: invalid UTF-8 there is refused as it is in any
// other event, and nothing of it is sent.
TEST(GeminiOpenAiStreamTest, ARepeatedEventWithInvalidUtf8IsRefused) {
  const std::string head =
      R"(data: {"candidates": [{"content": {"role": "model","parts": [{"text": ")";
  const std::string tail = R"("}]},"index": 0}],"modelVersion": "v","responseId": "r"})"
                           "\r\n\r\n";
  std::unique_ptr<StreamTranslator> translator = NewGeminiToOpenAiStream("m", false);
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
