// Golden files for the pair translators (STYLE.md):
// data-plane/providers/<family>/testdata/<pair>/<case>.{in,out}, <pair> named client_provider:
//   anthropic/openai_anthropic   OpenAI clients, an anthropic provider;
//   anthropic/anthropic_openai   Anthropic clients (native route), an OpenAI-compatible provider;
//   gemini/openai_gemini         OpenAI clients, a gemini provider;
//   gemini/gemini_openai         GenAI clients (native route), an OpenAI-compatible provider;
//   cohere/openai_cohere         OpenAI clients, a cohere provider;
//   cohere/cohere_openai         Cohere clients (native route), an OpenAI-compatible provider;
//   bedrock/openai_bedrock       OpenAI clients, a bedrock provider (requests and responses;
//                                its binary event streams are tested in bedrock_test.cc);
//   azure/openai_azure           OpenAI clients, an azure provider (stream normalisation).
// <case> starts with its kind: request_ (client body in, upstream body out), response_
// (provider body in, client body out), stream_ (provider SSE in, client SSE out; "usage" in
// the name sets stream_options.include_usage). Bodies compare as JSON text in the order the
// translator wrote it (pretty-printed, keys never sorted: order is part of the answer); streams
// byte for byte,
// fed whole, byte by byte, in 7-byte pieces and event by event (where every event carrying
// text or argument bytes must produce client bytes at once: nothing is buffered, ADAPTERS.md
// §9 item 3 — except function-call arguments toward Gemini's format, whose calls are whole).
// SWITCHYARD_UPDATE_GOLDEN=1 rewrites the .out files (review the diff).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "data-plane/providers/anthropic/anthropic_openai.h"
#include "data-plane/providers/anthropic/openai_anthropic.h"
#include "data-plane/providers/azure/azure.h"
#include "data-plane/providers/bedrock/openai_bedrock.h"
#include "data-plane/providers/cohere/cohere_openai.h"
#include "data-plane/providers/cohere/openai_cohere.h"
#include "data-plane/providers/gemini/gemini_openai.h"
#include "data-plane/providers/gemini/openai_gemini.h"

namespace switchyard::dp {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // golden files show the key order

const fs::path kProviders = fs::path(SWITCHYARD_SOURCE_DIR) / "data-plane/providers";

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string Pretty(const absl::StatusOr<std::string>& out) {
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? json::parse(*out).dump(2) : "";
}

std::string Translate(const std::string& pair, const std::string& name, const std::string& in) {
  if (name.starts_with("request_")) {
    if (pair == "openai_anthropic") {
      const bool stream = json::parse(in).value("stream", false);
      return Pretty(OpenAiToAnthropicRequest(in, "claude-sonnet-4-5", stream));
    }
    if (pair == "openai_gemini") return Pretty(OpenAiToGeminiRequest(in));
    if (pair == "openai_bedrock") return Pretty(OpenAiToConverseRequest(in));
    if (pair == "openai_cohere") {
      return Pretty(OpenAiToCohereRequest(in, "command-r", json::parse(in).value("stream", false)));
    }
    auto out = pair == "cohere_openai"   ? CohereToOpenAiRequest(in, "gpt-4o-mini")
               : pair == "gemini_openai"
                   ? GeminiToOpenAiRequest(in, "gpt-4o-mini", name.find("stream") != std::string::npos)
                   : AnthropicToOpenAiRequest(in, "gpt-4o-mini");
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? json::parse(out->text).dump(2) : "";
  }
  if (name.starts_with("response_")) {
    if (pair == "openai_anthropic") return Pretty(AnthropicToOpenAiResponse(in));
    if (pair == "openai_gemini") return Pretty(GeminiToOpenAiResponse(in, "gemini-2.5-flash"));
    if (pair == "gemini_openai") return Pretty(OpenAiToGeminiResponse(in));
    if (pair == "openai_cohere") return Pretty(CohereToOpenAiResponse(in, "command-r"));
    if (pair == "cohere_openai") return Pretty(OpenAiToCohereResponse(in));
    if (pair == "openai_bedrock") {
      return Pretty(ConverseToOpenAiResponse(in, "anthropic.claude-3-5-sonnet-20240620-v1:0"));
    }
    return Pretty(OpenAiToAnthropicResponse(in));
  }
  ADD_FAILURE() << "unknown case kind: " << name;
  return "";
}

std::unique_ptr<StreamTranslator> NewStream(const std::string& pair, const std::string& name) {
  const bool usage = name.find("usage") != std::string::npos;
  if (pair == "openai_anthropic") return NewAnthropicToOpenAiStream(usage);
  if (pair == "openai_gemini") return NewGeminiToOpenAiStream("gemini-2.5-flash", usage);
  if (pair == "gemini_openai") return NewOpenAiToGeminiStream(name.find("array") == std::string::npos);
  if (pair == "openai_cohere") return NewCohereToOpenAiStream("command-r", usage);
  if (pair == "cohere_openai") return NewOpenAiToCohereStream();
  if (pair == "openai_azure") {
    static const AzureAdapter kAzure;
    return kAzure.NewStreamTranslator(InferenceRequest{}, AttemptTarget{});
  }
  return NewOpenAiToAnthropicStream();
}

// Error envelopes carry a fresh event_id: compared as "*".
std::string Normalized(std::string text) {
  static const std::regex kEventId(R"re("event_id":"[0-9a-f-]+")re");
  return std::regex_replace(text, kEventId, R"("event_id":"*")");
}

// The client bytes for `in` fed in pieces of `piece` bytes (0: whole).
std::string Stream(const std::string& pair, const std::string& name, const std::string& in,
                   size_t piece) {
  std::unique_ptr<StreamTranslator> translator = NewStream(pair, name);
  std::string out;
  for (size_t at = 0; at < in.size(); at += piece == 0 ? in.size() : piece) {
    const absl::Status status = translator->Feed(std::string_view(in).substr(at, piece == 0 ? in.size() : piece), &out);
    EXPECT_TRUE(status.ok()) << status;
  }
  const absl::Status finished = translator->Finish(&out);
  EXPECT_TRUE(finished.ok()) << finished;
  return Normalized(out);
}

// Where the upstream event that starts at `at` ends (after its blank line).
size_t EventEnd(const std::string& in, size_t at) {
  const size_t crlf = in.find("\r\n\r\n", at);
  const size_t lf = in.find("\n\n", at);
  return std::min(crlf == std::string::npos ? in.size() : crlf + 4,
                  lf == std::string::npos ? in.size() : lf + 2);
}

// The stream with an `id:` line of its own before each event. The reader ignores ids, so the
// client bytes stay the same, and no event is another's bytes but for its text: every event
// is read (SseStreamTranslator::RepeatText takes none), so the golden file says that the
// events RepeatText does take are written as reading them writes.
std::string WithEventIds(const std::string& in) {
  std::string out;
  int id = 0;
  for (size_t at = 0; at < in.size();) {
    const size_t end = EventEnd(in, at);
    out += "id: " + std::to_string(++id) + "\n" + in.substr(at, end - at);
    at = end;
  }
  return out;
}

// Upstream events one at a time: the output so far stays a prefix of `golden`, and grows on
// every event that carries text or argument bytes.
void ExpectEventByEvent(const std::string& pair, const std::string& name, const std::string& in,
                        const std::string& golden) {
  static const std::regex kCarriesBytes(R"re("(text|partial_json|arguments|content)":"[^"])re");
  std::unique_ptr<StreamTranslator> translator = NewStream(pair, name);
  std::string out;
  size_t at = 0;
  while (at < in.size()) {
    const size_t end = EventEnd(in, at);
    const std::string event = in.substr(at, end - at);
    const size_t before = out.size();
    ASSERT_TRUE(translator->Feed(event, &out).ok());
    const std::string so_far = Normalized(out);
    EXPECT_EQ(golden.compare(0, so_far.size(), so_far), 0) << name << ": not a prefix after " << event;
    // (Gemini's stream sends each function call whole: argument fragments wait for the finish.)
    const bool whole_calls = pair == "gemini_openai" && event.find("\"arguments\"") != std::string::npos;
    if (std::regex_search(event, kCarriesBytes) && !whole_calls) {
      EXPECT_GT(out.size(), before) << name << ": nothing sent for " << event;
    }
    at = end;
  }
}

TEST(GoldenTest, EveryCaseMatchesItsGoldenFile) {
  const bool update = std::getenv("SWITCHYARD_UPDATE_GOLDEN") != nullptr;
  int cases = 0;
  for (const std::string path : {"anthropic/testdata/openai_anthropic",
                                 "anthropic/testdata/anthropic_openai",
                                 "gemini/testdata/openai_gemini",
                                 "gemini/testdata/gemini_openai",
                                 "cohere/testdata/openai_cohere",
                                 "cohere/testdata/cohere_openai",
                                 "bedrock/testdata/openai_bedrock",
                                 "azure/testdata/openai_azure"}) {
    const std::string pair = fs::path(path).filename();
    std::vector<fs::path> inputs;
    for (const auto& file : fs::directory_iterator(kProviders / path)) {
      if (file.path().extension() == ".in") inputs.push_back(file.path());
    }
    std::sort(inputs.begin(), inputs.end());
    for (const fs::path& input : inputs) {
      SCOPED_TRACE(input.string());
      const std::string name = input.stem().string();
      const std::string in = Read(input);
      fs::path golden_path = input;
      golden_path.replace_extension(".out");
      const bool stream = name.starts_with("stream_");
      const std::string actual = stream ? Stream(pair, name, in, 0) : Translate(pair, name, in) + "\n";
      if (update) std::ofstream(golden_path, std::ios::binary) << actual;
      const std::string golden = Read(golden_path);
      ASSERT_FALSE(golden.empty()) << golden_path << " is missing";
      EXPECT_EQ(actual, golden);
      if (stream) {
        EXPECT_EQ(Stream(pair, name, in, 1), golden) << "fed byte by byte";
        EXPECT_EQ(Stream(pair, name, in, 7), golden) << "fed in 7-byte pieces";
        EXPECT_EQ(Stream(pair, name, WithEventIds(in), 0), golden) << "every event read";
        ExpectEventByEvent(pair, name, in, golden);
      }
      ++cases;
    }
  }
  EXPECT_GE(cases, 30);
}

}  // namespace
}  // namespace switchyard::dp
