// mock_provider: a fake LLM provider speaking the OpenAI API, for tests, `make run` and the
// benchmarks. It is the only thing we mock: it stands for what is outside the product.
//
//   mock_provider [--listen=127.0.0.1:0] [--threads=2] [--latency-ms=0] [--record=true]
//   prints "msg=listening addr=HOST:PORT" when ready.
//
// Inference (any POST path): answers like OpenAI; …/v1/messages answers like Anthropic (and
// …/v1/messages/count_tokens counts; …/models/{m}:generateContent, :streamGenerateContent,
// :embedContent and :batchEmbedContents answer like Gemini, SSE frames ending in CRLF CRLF). /…/chat/completions, /…/completions and /…/responses get
// a completion naming the received model; /…/embeddings an embedding list; "stream": true gets
// server-sent events ending with "data: [DONE]" (Anthropic's: message_stop). A request offering
// tools gets tool calls (see CallsFor). Errors (x-mock-status or scripted, 529 included) come
// in the dialect of the path.
// Per-request control through headers (a data plane forwards them as x-bf-eh-<name>):
//   x-mock-latency-ms       wait before answering
//   x-mock-status           answer this status with an OpenAI-style error body
//   x-mock-retry-after      Retry-After header on that error
//   x-mock-chunks           number of stream chunks (default 3)
//   x-mock-gap-ms           wait between stream chunks
//   x-mock-fail-after       close the connection after this many stream chunks
// Scripted answers: POST /_mock/script {"responses":[{"status":500,"retry_after":"1",
//   "body":"..."}, ...]} queues answers used, in order, by the next inference requests.
// Vertex AI (…/projects/{p}/locations/{r}/publishers/…): :generateContent and
//   :streamGenerateContent answer like Gemini, :rawPredict and :streamRawPredict like Anthropic
//   (the body must carry anthropic_version vertex-2023-10-16 and no model), :predict embeds;
//   each wants "Authorization: Bearer" with a live token of this mock's token endpoint.
// Amazon Bedrock (/model/{id}/converse, /converse-stream, /invoke): SigV4 verified for real
//   (mock_aws.h; the secret of access key X is "secret-X") or a Bedrock API key (Bearer);
//   Converse answers and tool calls, ConverseStream in AWS's event-stream framing
//   (x-mock-bad-crc breaks a frame's CRC), Titan and Cohere embeddings; errors {"message"}.
// Cohere v2 (…/v2/chat, …/v2/embed): answers, streams (Cohere's events, no [DONE]), tool calls
//   and errors ({"message"}) as Cohere does.
// Model lists (GET …/models): OpenAI's, Anthropic's (anthropic-version), Gemini's
//   (…/v1beta/models) or Cohere's (page_size) shape, two models a page; a base URL path
//   /_slow/{ms} delays the answer; scripted answers apply.
// Azure OpenAI (/openai/deployments/{d}/…): answers like OpenAI; wants api-version and an
//   api-key or an Entra token of POST /{tenant}/oauth2/v2.0/token; streams begin with Azure's
//   prompt-filter chunk (choices: []) and carry a content-filter chunk without a delta.
// Google auth (mock_google_auth.h): GET /_mock/service_account?client_email=E&lifetime=S
//   issues a service-account key file whose token_uri is this mock's POST /token; GET
//   /_mock/token_exchanges?client_email=E counts its granted and refused exchanges.
// ElevenLabs (/v1/text-to-speech/{voice}[/stream], /v1/speech-to-text; xi-api-key).
// Replicate (/v1/models/{o}/{n}/predictions, /v1/predictions/{id}) and Runway
//   (/v1/text_to_image, /v1/tasks/{id}): jobs that finish after two reads.
// OpenAI's audio (speech: bytes or stream_format sse; transcriptions/translations:
//   multipart, stream), images (generations, stream with partial images; edits), files
//   (upload, list, retrieve, delete, content) and batches (create, list, retrieve, cancel),
//   files and batches kept in memory by id.
// Observation: GET /_mock/requests (what was received: method, path, headers, body);
//   GET /_mock/stats ({"total":N,"by_authorization":{...}}); DELETE /_mock/requests resets
//   the log, the stats and the script. POST /_mock/revoke_tokens revokes every access token
//   issued so far (Google's and Entra's), as a rotation or revocation upstream does.
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/mock_aws.h"
#include "tests/fakes/mock_google_auth.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

struct Scripted {
  int status = 200;
  std::string retry_after;
  std::string body;
};

struct State {
  std::mutex mu;
  bool record = true;
  int default_latency_ms = 0;
  std::deque<json> requests;
  std::map<std::string, int64_t> by_authorization;
  int64_t total = 0;
  int64_t streams_aborted = 0;  // streams whose client went away before the end
  std::deque<Scripted> script;
  // OpenAI's files and batches, by id.
  std::map<std::string, json> files;
  std::map<std::string, std::string> file_contents;
  std::map<std::string, json> batches;
  std::map<std::string, json> jobs;  // replicate's predictions and runway's tasks, by id
  int64_t next_id = 1;
};

State state;

int HeaderInt(const http::request<http::string_body>& request, const char* name, int fallback) {
  auto it = request.find(name);
  if (it == request.end()) return fallback;
  try {
    return std::stoi(std::string(it->value()));
  } catch (...) {
    return fallback;
  }
}

std::string Header(const http::request<http::string_body>& request, const char* name) {
  auto it = request.find(name);
  return it == request.end() ? "" : std::string(it->value());
}

// Anthropic's Messages API (POST …/v1/messages): the same answers in Anthropic's dialect.
mock::MockGoogleAuth google_auth;

// Vertex AI: …/projects/{p}/locations/{r}/publishers/{google|anthropic}/models/{m}:{method}.
bool IsVertex(const std::string& path) {
  return path.find("/projects/") != std::string::npos &&
         path.find("/locations/") != std::string::npos;
}
bool IsRawPredict(const std::string& path) {
  return path.ends_with(":rawPredict") || path.ends_with(":streamRawPredict");
}
bool IsAnthropic(const std::string& path) {
  return path.ends_with("/v1/messages") || IsRawPredict(path);
}
// Vertex embeddings: …/models/{m}:predict {instances:[{content}]}.
json VertexPredictions(const json& body) {
  json predictions = json::array();
  const json instances = body.is_object() ? body.value("instances", json::array()) : json::array();
  for (const json& instance : instances) {
    const std::string text = instance.is_object() ? instance.value("content", "") : "";
    predictions.push_back(
        {{"embeddings",
          {{"values", {0.5, -0.25, 1.0}},
           {"statistics",
            {{"token_count", std::count(text.begin(), text.end(), ' ') + 1}, {"truncated", false}}}}}});
  }
  return {{"predictions", predictions}};
}
// Azure OpenAI: /openai/deployments/{deployment}/{operation}?api-version=….
bool IsAzure(const std::string& path) { return path.starts_with("/openai/deployments/"); }
// A query parameter of a request target ("" when absent).
std::string QueryParam(const std::string& target, const std::string& name) {
  const size_t question = target.find('?');
  if (question == std::string::npos) return "";
  const std::string query = "&" + target.substr(question + 1);
  const size_t at = query.find("&" + name + "=");
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 2;
  return query.substr(start, query.find('&', start) - start);
}

// Google's Gemini API (POST …/models/{model}:generateContent | :streamGenerateContent).
bool IsGemini(const std::string& path) {
  return path.find(":generateContent") != std::string::npos ||
         path.find(":streamGenerateContent") != std::string::npos ||
         path.find(":embedContent") != std::string::npos ||
         path.find(":batchEmbedContents") != std::string::npos;
}
// Gemini embeddings: three values per text (a batch answers one per request).
json GeminiEmbeddings(const std::string& path, const json& body) {
  const json values = {0.5, -0.25, 1.0};
  if (path.find(":embedContent") != std::string::npos) return {{"embedding", {{"values", values}}}};
  json embeddings = json::array();
  const json requests = body.is_object() ? body.value("requests", json::array()) : json::array();
  for (size_t i = 0; i < requests.size(); ++i) embeddings.push_back({{"values", values}});
  return {{"embeddings", embeddings}};
}
std::string GeminiModel(const std::string& path) {
  const size_t start = path.find("/models/");
  const size_t colon = path.find(':', start);
  return start == std::string::npos ? "" : path.substr(start + 8, colon - start - 8);
}
json GeminiResponse(const std::string& model, json parts, bool finished) {
  json candidate{{"content", {{"role", "model"}, {"parts", std::move(parts)}}}, {"index", 0}};
  if (finished) candidate["finishReason"] = "STOP";
  return {{"candidates", json::array({candidate})},
          {"usageMetadata", {{"promptTokenCount", 5}, {"candidatesTokenCount", 4},
                             {"totalTokenCount", 9}}},
          {"modelVersion", model},
          {"responseId", "gemini-mock"}};
}
// Gemini's SSE frames end with CRLF CRLF.
std::string GeminiEvent(const json& data) { return "data: " + data.dump() + "\r\n\r\n"; }

json AnthropicMessage(const std::string& model) {
  return {{"id", "msg_mock"},
          {"type", "message"},
          {"role", "assistant"},
          {"model", model},
          {"content", json::array({{{"type", "text"}, {"text", "Hello from the mock"}}})},
          {"stop_reason", "end_turn"},
          {"usage", {{"input_tokens", 5}, {"output_tokens", 4}}}};
}

std::string AnthropicEvent(const json& data) {
  return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n";
}

// OpenAI's embeddings: one per input (a string or an array).
json OpenAiEmbeddings(const std::string& model, const json& body) {
  const json input = body.is_object() ? body.value("input", json()) : json();
  const size_t count = input.is_array() ? input.size() : 1;
  json data = json::array();
  for (size_t i = 0; i < count; ++i) {
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", {0.1, 0.2, 0.3}}});
  }
  return {{"object", "list"},
          {"model", model},
          {"data", data},
          {"usage", {{"prompt_tokens", 3}, {"total_tokens", 3}}}};
}

json Completion(const std::string& path, const std::string& model) {
  if (IsAnthropic(path)) return AnthropicMessage(model);
  if (IsGemini(path)) {
    return GeminiResponse(model, json::array({{{"text", "Hello from the mock"}}}), true);
  }
  return {{"id", "chatcmpl-mock"},
          {"object", "chat.completion"},
          {"created", 1700000000},
          {"model", model},
          {"choices", json::array({{{"index", 0},
                                    {"message", {{"role", "assistant"}, {"content", "Hello from the mock"}}},
                                    {"finish_reason", "stop"}}})},
          {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 4}, {"total_tokens", 9}}}};
}

// How OpenAI ends a stream: the finish_reason in its own chunk, with stream_options.include_usage
// a usage chunk with no choices, then [DONE].
std::string OpenAiStreamEnd(const std::string& model, bool include_usage, int chunks) {
  json finish{{"id", "chatcmpl-mock"},
              {"object", "chat.completion.chunk"},
              {"created", 1700000000},
              {"model", model},
              {"choices", json::array({{{"index", 0}, {"delta", json::object()},
                                        {"finish_reason", "stop"}}})}};
  std::string out = "data: " + finish.dump() + "\n\n";
  if (include_usage) {
    json usage{{"id", "chatcmpl-mock"},
               {"object", "chat.completion.chunk"},
               {"created", 1700000000},
               {"model", model},
               {"choices", json::array()},
               {"usage", {{"prompt_tokens", 5}, {"completion_tokens", chunks},
                          {"total_tokens", 5 + chunks}}}};
    out += "data: " + usage.dump() + "\n\n";
  }
  return out + "data: [DONE]\n\n";
}

std::string Chunk(const std::string& path, const std::string& model, int index) {
  if (IsGemini(path)) {
    return GeminiEvent(
        GeminiResponse(model, json::array({{{"text", "tok" + std::to_string(index)}}}), false));
  }
  if (IsAnthropic(path)) {
    return AnthropicEvent({{"type", "content_block_delta"},
                           {"index", 0},
                           {"delta", {{"type", "text_delta"}, {"text", "tok" + std::to_string(index)}}}});
  }
  json chunk{{"id", "chatcmpl-mock"},
             {"object", "chat.completion.chunk"},
             {"created", 1700000000},
             {"model", model},
             {"choices", json::array({{{"index", 0},
                                       {"delta", {{"content", "tok" + std::to_string(index)}}},
                                       {"finish_reason", nullptr}}})}};
  // As OpenAI does, the first delta names the role.
  if (index == 0) chunk["choices"][0]["delta"]["role"] = "assistant";
  return "data: " + chunk.dump() + "\n\n";
}

// Tool calls: a request offering tools (tool_choice not "none") whose conversation holds no
// tool result yet gets a call to each of its first two tools instead of text. A tool whose
// schema has properties is called with {"<first property>": "Paris"} (streamed in two
// fragments); one without is called with no arguments: as the real providers stream it, OpenAI
// sends "{}" as its one fragment, Anthropic no input_json_delta at all.
struct MockCall {
  std::string name;
  std::string property;  // "" for a call without arguments
  std::string Arguments() const { return property.empty() ? "{}" : Fragment(0) + Fragment(1); }
  std::string Fragment(int i) const {
    return i == 0 ? "{" + json(property).dump() + ":" : "\"Paris\"}";
  }
};

std::vector<MockCall> GeminiCallsFor(const json& body) {
  std::vector<MockCall> calls;
  if (!body.is_object() || !body.contains("tools") || !body["tools"].is_array()) return calls;
  for (const json& content : body.value("contents", json::array())) {
    for (const json& part : content.value("parts", json::array())) {
      if (part.contains("functionResponse")) return calls;
    }
  }
  for (const json& tool : body["tools"]) {
    for (const json& declaration : tool.value("functionDeclarations", json::array())) {
      if (calls.size() == 2) break;
      // Gemini takes either form: JSON Schema, or its OpenAPI subset in `parameters`.
      const json schema = declaration.value(
          "parametersJsonSchema", declaration.value("parameters", json::object()));
      MockCall call{declaration.value("name", "")};
      if (schema.contains("properties") && schema["properties"].is_object() &&
          !schema["properties"].empty()) {
        call.property = schema["properties"].begin().key();
      }
      calls.push_back(call);
    }
  }
  return calls;
}

std::vector<MockCall> CallsFor(const json& body, bool anthropic) {
  std::vector<MockCall> calls;
  if (!body.is_object() || !body.contains("tools") || !body["tools"].is_array()) return calls;
  if (body.contains("tool_choice")) {
    const json& choice = body["tool_choice"];
    if (choice == "none" || (choice.is_object() && choice.value("type", "") == "none")) return calls;
  }
  if (body.contains("messages") && body["messages"].is_array()) {
    for (const json& message : body["messages"]) {
      if (!message.is_object()) continue;
      if (message.value("role", "") == "tool") return calls;
      if (message.contains("content") && message["content"].is_array()) {
        for (const json& block : message["content"]) {
          if (block.is_object() && block.value("type", "") == "tool_result") return calls;
        }
      }
    }
  }
  for (const json& tool : body["tools"]) {
    if (calls.size() == 2) break;
    const json spec = anthropic ? tool : tool.value("function", json::object());
    const json schema = spec.value(anthropic ? "input_schema" : "parameters", json::object());
    MockCall call{spec.value("name", "")};
    if (schema.is_object() && schema.contains("properties") && schema["properties"].is_object() &&
        !schema["properties"].empty()) {
      call.property = schema["properties"].begin().key();
    }
    calls.push_back(call);
  }
  return calls;
}

std::string CallId(bool anthropic, size_t i) {
  return (anthropic ? "toolu_mock_" : "call_mock_") + std::to_string(i);
}

// Gemini sends every call whole, all in one response (parallel calls in one Content).
json GeminiCallParts(const std::vector<MockCall>& calls) {
  json parts = json::array();
  for (const MockCall& call : calls) {
    parts.push_back({{"functionCall", {{"name", call.name}, {"args", json::parse(call.Arguments())}}}});
  }
  return parts;
}

json ToolCompletion(const std::string& path, const std::string& model,
                    const std::vector<MockCall>& calls) {
  if (IsGemini(path)) return GeminiResponse(model, GeminiCallParts(calls), true);
  json message = Completion(path, model);
  if (IsAnthropic(path)) {
    message["content"] = json::array();
    for (size_t i = 0; i < calls.size(); ++i) {
      message["content"].push_back({{"type", "tool_use"}, {"id", CallId(true, i)},
                                    {"name", calls[i].name},
                                    {"input", json::parse(calls[i].Arguments())}});
    }
    message["stop_reason"] = "tool_use";
    return message;
  }
  json tool_calls = json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    tool_calls.push_back({{"id", CallId(false, i)}, {"type", "function"},
                          {"function", {{"name", calls[i].name},
                                        {"arguments", calls[i].Arguments()}}}});
  }
  message["choices"][0]["message"] = {{"role", "assistant"}, {"content", nullptr},
                                      {"tool_calls", tool_calls}};
  message["choices"][0]["finish_reason"] = "tool_calls";
  return message;
}

// The whole stream of tool calls, in the provider's dialect.
std::string ToolStream(const std::string& path, const std::string& model, bool include_usage,
                       const std::vector<MockCall>& calls) {
  std::string out;
  if (IsGemini(path)) return GeminiEvent(GeminiResponse(model, GeminiCallParts(calls), true));
  if (IsAnthropic(path)) {
    json start = AnthropicMessage(model);
    start["content"] = json::array();
    start["stop_reason"] = nullptr;
    start["usage"] = {{"input_tokens", 5}, {"output_tokens", 1}};
    out += AnthropicEvent({{"type", "message_start"}, {"message", start}});
    for (size_t i = 0; i < calls.size(); ++i) {
      out += AnthropicEvent({{"type", "content_block_start"}, {"index", i},
                             {"content_block", {{"type", "tool_use"}, {"id", CallId(true, i)},
                                                {"name", calls[i].name},
                                                {"input", json::object()}}}});
      for (int f = 0; f < 2 && !calls[i].property.empty(); ++f) {
        out += AnthropicEvent({{"type", "content_block_delta"}, {"index", i},
                               {"delta", {{"type", "input_json_delta"},
                                          {"partial_json", calls[i].Fragment(f)}}}});
      }
      out += AnthropicEvent({{"type", "content_block_stop"}, {"index", i}});
    }
    out += AnthropicEvent({{"type", "message_delta"},
                           {"delta", {{"stop_reason", "tool_use"}, {"stop_sequence", nullptr}}},
                           {"usage", {{"output_tokens", 7}}}});
    return out + AnthropicEvent({{"type", "message_stop"}});
  }
  auto chunk = [&](json delta) {
    json data{{"id", "chatcmpl-mock"}, {"object", "chat.completion.chunk"},
              {"created", 1700000000}, {"model", model},
              {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)},
                                        {"finish_reason", nullptr}}})}};
    out += "data: " + data.dump() + "\n\n";
  };
  for (size_t i = 0; i < calls.size(); ++i) {
    json first{{"tool_calls", json::array({{{"index", i}, {"id", CallId(false, i)},
                                            {"type", "function"},
                                            {"function", {{"name", calls[i].name},
                                                          {"arguments", ""}}}}})}};
    if (i == 0) {
      first["role"] = "assistant";
      first["content"] = nullptr;
    }
    chunk(first);
    if (calls[i].property.empty()) {
      chunk({{"tool_calls", json::array({{{"index", i}, {"function", {{"arguments", "{}"}}}}})}});
    }
    for (int f = 0; f < 2 && !calls[i].property.empty(); ++f) {
      chunk({{"tool_calls", json::array({{{"index", i},
                                          {"function", {{"arguments", calls[i].Fragment(f)}}}}})}});
    }
  }
  std::string end = OpenAiStreamEnd(model, include_usage, 7);
  const std::string stop = "\"finish_reason\":\"stop\"";
  end.replace(end.find(stop), stop.size(), "\"finish_reason\":\"tool_calls\"");
  return out + end;
}

// Cohere v2 (…/v2/chat, …/v2/embed).
bool IsCohere(const std::string& path) {
  return path.ends_with("/v2/chat") || path.ends_with("/v2/embed");
}
json CohereUsage(int output) {
  const json counts{{"input_tokens", 5}, {"output_tokens", output}};
  return {{"billed_units", counts}, {"tokens", counts}};
}
std::string CohereEvent(const json& data) {
  return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n";
}
// A whole answer: text, or the calls of the offered tools.
json CohereMessage(const std::vector<MockCall>& calls) {
  if (calls.empty()) {
    return {{"id", "cohere-mock"},
            {"finish_reason", "COMPLETE"},
            {"message", {{"role", "assistant"},
                         {"content", {{{"type", "text"}, {"text", "Hello from the mock"}}}}}},
            {"usage", CohereUsage(4)}};
  }
  json tool_calls = json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    tool_calls.push_back({{"id", "call_cohere_" + std::to_string(i)},
                          {"type", "function"},
                          {"function", {{"name", calls[i].name}, {"arguments", calls[i].Arguments()}}}});
  }
  return {{"id", "cohere-mock"},
          {"finish_reason", "TOOL_CALL"},
          {"message", {{"role", "assistant"}, {"tool_plan", "I will call the tools."},
                       {"tool_calls", tool_calls}}},
          {"usage", CohereUsage(7)}};
}
// A whole stream, as Cohere sends it (no [DONE]); a call without arguments streams none.
std::string CohereStream(const std::vector<MockCall>& calls, int chunks) {
  std::string out = CohereEvent({{"type", "message-start"}, {"id", "cohere-mock"},
                                 {"delta", {{"message", {{"role", "assistant"}}}}}});
  if (calls.empty()) {
    out += CohereEvent({{"type", "content-start"}, {"index", 0},
                        {"delta", {{"message", {{"content", {{"type", "text"}, {"text", ""}}}}}}}});
    for (int i = 0; i < chunks; ++i) {
      out += CohereEvent({{"type", "content-delta"}, {"index", 0},
                          {"delta", {{"message", {{"content", {{"text", "tok" + std::to_string(i)}}}}}}}});
    }
    out += CohereEvent({{"type", "content-end"}, {"index", 0}});
  } else {
    out += CohereEvent({{"type", "tool-plan-delta"},
                        {"delta", {{"message", {{"tool_plan", "I will call the tools."}}}}}});
    for (size_t i = 0; i < calls.size(); ++i) {
      out += CohereEvent(
          {{"type", "tool-call-start"}, {"index", i},
           {"delta", {{"message", {{"tool_calls", {{"id", "call_cohere_" + std::to_string(i)},
                                                   {"type", "function"},
                                                   {"function", {{"name", calls[i].name},
                                                                 {"arguments", ""}}}}}}}}}});
      if (!calls[i].property.empty()) {
        for (int f = 0; f < 2; ++f) {
          out += CohereEvent(
              {{"type", "tool-call-delta"}, {"index", i},
               {"delta", {{"message", {{"tool_calls", {{"function", {{"arguments", calls[i].Fragment(f)}}}}}}}}}});
        }
      }
      out += CohereEvent({{"type", "tool-call-end"}, {"index", i}});
    }
  }
  out += CohereEvent({{"type", "message-end"},
                      {"delta", {{"finish_reason", calls.empty() ? "COMPLETE" : "TOOL_CALL"},
                                 {"usage", CohereUsage(calls.empty() ? chunks : 7)}}}});
  return out;
}
json CohereEmbeddings(const json& body) {
  const json texts = body.is_object() ? body.value("texts", json::array()) : json::array();
  json floats = json::array();
  for (size_t i = 0; i < texts.size(); ++i) floats.push_back({0.5, -0.25, 1.0});
  return {{"id", "embed-mock"},
          {"response_type", "embeddings_by_type"},
          {"embeddings", {{"float", floats}}},
          {"texts", texts},
          {"meta", {{"billed_units", {{"input_tokens", texts.size()}}}}}};
}

// Amazon Bedrock (/model/{id}/converse | converse-stream | invoke).
bool IsBedrock(const std::string& path) {
  return path.starts_with("/model/") &&
         (path.ends_with("/converse") || path.ends_with("/converse-stream") || path.ends_with("/invoke"));
}
// The tools a Converse request offers, as the mock calls them (the first two).
std::vector<MockCall> ConverseCallsFor(const json& body) {
  std::vector<MockCall> calls;
  if (!body.is_object() || !body.contains("toolConfig")) return calls;
  for (const json& message : body.value("messages", json::array())) {
    for (const json& block : message.value("content", json::array())) {
      if (block.contains("toolResult")) return calls;
    }
  }
  for (const json& tool : body["toolConfig"].value("tools", json::array())) {
    if (calls.size() == 2) break;
    const json spec = tool.value("toolSpec", json::object());
    const json schema = spec.value("inputSchema", json::object()).value("json", json::object());
    MockCall call{spec.value("name", "")};
    if (schema.contains("properties") && schema["properties"].is_object() && !schema["properties"].empty()) {
      call.property = schema["properties"].begin().key();
    }
    calls.push_back(call);
  }
  return calls;
}
json ConverseAnswer(const std::vector<MockCall>& calls) {
  json content = json::array();
  if (calls.empty()) content.push_back({{"text", "Hello from the mock"}});
  for (size_t i = 0; i < calls.size(); ++i) {
    content.push_back({{"toolUse", {{"toolUseId", "tooluse_" + std::to_string(i)},
                                    {"name", calls[i].name},
                                    {"input", json::parse(calls[i].Arguments())}}}});
  }
  return {{"output", {{"message", {{"role", "assistant"}, {"content", content}}}}},
          {"stopReason", calls.empty() ? "end_turn" : "tool_use"},
          {"usage", {{"inputTokens", 5}, {"outputTokens", 4}, {"totalTokens", 9}}},
          {"metrics", {{"latencyMs", 1}}}};
}
// ConverseStream's frames; `corrupt` breaks one frame's CRC (a frame cut in transit).
std::string ConverseFrames(const std::vector<MockCall>& calls, int chunks, bool corrupt) {
  std::string out = mock::EventFrame("messageStart", json{{"role", "assistant"}}.dump());
  if (calls.empty()) {
    for (int i = 0; i < chunks; ++i) {
      std::string frame = mock::EventFrame(
          "contentBlockDelta",
          json{{"contentBlockIndex", 0}, {"delta", {{"text", "tok" + std::to_string(i)}}}, {"p", "abc"}}.dump());
      if (corrupt && i == 1) frame[frame.size() - 1] ^= 0x5a;
      out += frame;
    }
    out += mock::EventFrame("contentBlockStop", json{{"contentBlockIndex", 0}}.dump());
  }
  for (size_t i = 0; i < calls.size(); ++i) {
    out += mock::EventFrame(
        "contentBlockStart",
        json{{"contentBlockIndex", i},
             {"start", {{"toolUse", {{"toolUseId", "tooluse_" + std::to_string(i)}, {"name", calls[i].name}}}}}}.dump());
    if (!calls[i].property.empty()) {
      for (int f = 0; f < 2; ++f) {
        out += mock::EventFrame(
            "contentBlockDelta",
            json{{"contentBlockIndex", i}, {"delta", {{"toolUse", {{"input", calls[i].Fragment(f)}}}}}}.dump());
      }
    }
    out += mock::EventFrame("contentBlockStop", json{{"contentBlockIndex", i}}.dump());
  }
  out += mock::EventFrame("messageStop", json{{"stopReason", calls.empty() ? "end_turn" : "tool_use"}}.dump());
  out += mock::EventFrame(
      "metadata", json{{"usage", {{"inputTokens", 5}, {"outputTokens", chunks}, {"totalTokens", 5 + chunks}}},
                       {"metrics", {{"latencyMs", 1}}}}.dump());
  return out;
}

template <class Body>
asio::awaitable<bool> Write(beast::tcp_stream& stream, http::response<Body>& response) {
  auto [ec, n] = co_await http::async_write(stream, response, kTuple);
  co_return !ec;
}

asio::awaitable<bool> SendJson(beast::tcp_stream& stream, unsigned version, bool keep_alive,
                               int status, const std::string& body,
                               const std::string& retry_after = "") {
  http::response<http::string_body> response{static_cast<http::status>(status), version};
  response.set(http::field::content_type, "application/json");
  if (!retry_after.empty()) response.set(http::field::retry_after, retry_after);
  response.keep_alive(keep_alive);
  response.body() = body;
  response.prepare_payload();
  co_return co_await Write(stream, response);
}

asio::awaitable<void> Sleep(int ms) {
  if (ms <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(ms));
  co_await timer.async_wait(kTuple);
}

// GET …/models: a model list in the dialect the request shows (anthropic-version: Anthropic's,
// …/v1beta/models: Gemini's, page_size: Cohere's, else OpenAI's), at most two models a page
// so that callers must follow the pages.
std::string ModelList(const http::request<http::string_body>& request, const std::string& path) {
  auto page = [&](const std::vector<std::string>& ids, const std::string& after, int asked,
                  size_t* begin, size_t* end) {
    *begin = 0;
    while (!after.empty() && *begin < ids.size() && ids[*begin] <= after) ++*begin;
    *end = std::min(ids.size(), *begin + std::clamp(asked, 1, 2));
  };
  size_t begin = 0;
  size_t end = 0;
  if (!Header(request, "anthropic-version").empty()) {
    const std::vector<std::string> ids = {"claude-haiku-4-5", "claude-opus-4-1",
                                          "claude-sonnet-4-5"};
    const std::string limit = QueryParam(path, "limit");
    page(ids, QueryParam(path, "after_id"), limit.empty() ? 20 : std::stoi(limit), &begin, &end);
    json data = json::array();
    for (size_t i = begin; i < end; ++i) {
      data.push_back({{"type", "model"}, {"id", ids[i]}, {"display_name", ids[i]},
                      {"created_at", "2025-01-01T00:00:00Z"}});
    }
    return json{{"data", data}, {"has_more", end < ids.size()},
                {"first_id", begin < end ? json(ids[begin]) : json(nullptr)},
                {"last_id", begin < end ? json(ids[end - 1]) : json(nullptr)}}.dump();
  }
  if (path.find("/v1beta/models") != std::string::npos) {
    const std::vector<std::string> ids = {"gemini-2.0-flash", "gemini-2.5-flash",
                                          "gemini-2.5-pro"};
    const std::string size = QueryParam(path, "pageSize");
    page(ids, QueryParam(path, "pageToken"), size.empty() ? 50 : std::stoi(size), &begin, &end);
    json models = json::array();
    for (size_t i = begin; i < end; ++i) models.push_back({{"name", "models/" + ids[i]}});
    json out = {{"models", models}};
    if (end < ids.size()) out["nextPageToken"] = ids[end - 1];
    return out.dump();
  }
  if (!QueryParam(path, "page_size").empty()) {
    const std::vector<std::string> ids = {"command-a-03-2025", "command-r", "embed-v4.0"};
    page(ids, QueryParam(path, "page_token"), std::stoi(QueryParam(path, "page_size")), &begin,
         &end);
    json models = json::array();
    for (size_t i = begin; i < end; ++i) models.push_back({{"name", ids[i]}});
    json out = {{"models", models}};
    if (end < ids.size()) out["next_page_token"] = ids[end - 1];
    return out.dump();
  }
  json data = json::array();
  for (const char* id : {"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"}) {
    data.push_back({{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "mock"}});
  }
  return json{{"object", "list"}, {"data", data}}.dump();
}

// An answer of OpenAI's audio, image, file and batch endpoints.
struct Resource {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

std::string Base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()));
  return out;
}

std::string SseEvent(const json& event) { return "data: " + event.dump() + "\n\n"; }

// The value of a multipart/form-data field (text parts only), or "".
std::string FormField(const std::string& body, const std::string& name) {
  const std::string marker = "name=\"" + name + "\"";
  const size_t at = body.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = body.find("\r\n\r\n", at);
  if (start == std::string::npos) return "";
  const size_t end = body.find("\r\n--", start + 4);
  return body.substr(start + 4, end == std::string::npos ? std::string::npos : end - start - 4);
}

// OpenAI's /v1/audio, /v1/images, /v1/files and /v1/batches; nullopt for other paths.
std::optional<Resource> OpenAiResource(const http::request<http::string_body>& request,
                                       const std::string& target, const json& parsed) {
  const std::string path = target.substr(0, target.find('?'));
  const std::string method(request.method_string());
  const std::string& body = request.body();
  auto error = [](int status, const std::string& message) {
    return Resource{status, "application/json",
                    json{{"error", {{"message", message}, {"type", "invalid_request_error"},
                                    {"code", nullptr}}}}.dump()};
  };
  // Gemini with audio or image output (generationConfig.responseModalities).
  if (path.find(":generateContent") != std::string::npos && parsed.is_object() &&
      parsed.contains("generationConfig")) {
    const json modalities = parsed["generationConfig"].value("responseModalities", json::array());
    const std::string text = parsed["contents"][0]["parts"][0].value("text", "");
    for (const json& modality : modalities) {
      const bool audio = modality == "AUDIO";
      if (!audio && modality != "IMAGE") continue;
      const std::string bytes = audio ? "PCM:" + text : "MOCK-GEMINI-PNG " + text;
      const json part = {{"inlineData", {{"mimeType", audio ? "audio/L16;codec=pcm;rate=24000" : "image/png"},
                                         {"data", Base64(bytes)}}}};
      return Resource{200, "application/json",
                      json{{"candidates", {{{"content", {{"role", "model"},
                                                         {"parts", json::array({part})}}},
                                            {"finishReason", "STOP"}}}}}.dump()};
    }
  }
  // Replicate's predictions and Runway's tasks: created "starting" (PENDING), then each read
  // moves them on: processing (RUNNING), then succeeded with an output URL, or failed when the
  // prompt says "fail". Both want Authorization: Bearer; Runway also X-Runway-Version.
  const bool replicate = path.find("/predictions") != std::string::npos;
  const bool runway = path.ends_with("/v1/text_to_image") || path.find("/v1/tasks/") != std::string::npos;
  if (replicate || runway) {
    if (Header(request, "authorization").rfind("Bearer ", 0) != 0 ||
        (runway && Header(request, "x-runway-version").empty())) {
      return Resource{401, "application/json",
                      json{{replicate ? "detail" : "error", "unauthenticated"}}.dump()};
    }
    std::lock_guard lock(state.mu);
    if (method == "POST") {
      const std::string id = (replicate ? "pred" : "task") + std::to_string(state.next_id++);
      const std::string prompt =
          replicate ? parsed["input"].value("prompt", "") : parsed.value("promptText", "");
      json job = {{"id", id}, {"status", replicate ? "starting" : "PENDING"},
                  {"prompt", prompt}, {"reads", 0},
                  {"model", replicate ? path : parsed.value("model", "")}};
      state.jobs[id] = job;
      if (replicate) return Resource{201, "application/json", job.dump()};
      return Resource{200, "application/json", json{{"id", id}}.dump()};
    }
    const std::string id = path.substr(path.rfind('/') + 1);
    auto it = state.jobs.find(id);
    if (it == state.jobs.end()) return Resource{404, "application/json", json{{"detail", "no job"}}.dump()};
    json& job = it->second;
    const int reads = job["reads"].get<int>() + 1;
    job["reads"] = reads;
    const bool fail = job["prompt"].get<std::string>().find("fail") != std::string::npos;
    if (reads == 1) {
      job["status"] = replicate ? "processing" : "RUNNING";
    } else if (fail) {
      job["status"] = replicate ? "failed" : "FAILED";
      job[replicate ? "error" : "failure"] = "mock failure";
    } else {
      job["status"] = replicate ? "succeeded" : "SUCCEEDED";
      job["output"] = {"https://mock.invalid/" + id + ".png"};
    }
    return Resource{200, "application/json", job.dump()};
  }
  // ElevenLabs: text-to-speech (and /stream) and speech-to-text, with xi-api-key.
  if (path.find("/v1/text-to-speech/") != std::string::npos ||
      path.ends_with("/v1/speech-to-text")) {
    if (request.find("xi-api-key") == request.end()) {
      return Resource{401, "application/json",
                      json{{"detail", {{"status", "invalid_api_key"},
                                       {"message", "missing xi-api-key"}}}}.dump()};
    }
    if (path.ends_with("/v1/speech-to-text")) {
      const std::string text = "mock 11labs transcript of " + std::to_string(body.size()) +
                               " bytes by " + FormField(body, "model_id") + " in " +
                               FormField(body, "language_code");
      return Resource{200, "application/json",
                      json{{"language_code", "en"}, {"language_probability", 0.99},
                           {"text", text}, {"words", json::array()}}.dump()};
    }
    std::string voice = path.substr(path.find("/v1/text-to-speech/") + 19);
    voice = voice.substr(0, voice.find('/'));
    const std::string format = target.find("output_format=") == std::string::npos
                                   ? ""
                                   : target.substr(target.find("output_format=") + 14);
    return Resource{200, format.starts_with("pcm") ? "audio/pcm" : "audio/mpeg",
                    "MOCK-11LABS voice=" + voice + " model=" + parsed.value("model_id", "") +
                        " text=" + parsed.value("text", "")};
  }
  if (path.ends_with("/audio/speech") && method == "POST") {
    const std::string input = parsed.value("input", "");
    const std::string model = parsed.value("model", "");
    const std::string audio = "MOCK-AUDIO model=" + model + " input=" + input;
    if (parsed.value("stream_format", "") == "sse") {
      std::string events;
      for (size_t i = 0; i < audio.size(); i += 16) {
        std::string piece = audio.substr(i, 16);
        events += SseEvent({{"type", "speech.audio.delta"},
                            {"audio", Base64(piece)}});
      }
      events += SseEvent({{"type", "speech.audio.done"},
                          {"usage", {{"input_tokens", 3}, {"output_tokens", 7},
                                     {"total_tokens", 10}}}});
      return Resource{200, "text/event-stream", events};
    }
    const std::string format = parsed.value("response_format", "mp3");
    return Resource{200, format == "wav" ? "audio/wav" : "audio/mpeg", audio};
  }
  if ((path.ends_with("/audio/transcriptions") || path.ends_with("/audio/translations")) &&
      method == "POST") {
    const std::string model = FormField(body, "model");
    const std::string text = "mock transcript of " + std::to_string(body.size()) +
                             " bytes by " + model;
    if (FormField(body, "stream") == "true") {
      std::string events;
      for (const char* word : {"mock ", "transcript"}) {
        events += SseEvent({{"type", "transcript.text.delta"}, {"delta", word}});
      }
      events += SseEvent({{"type", "transcript.text.done"}, {"text", text}});
      return Resource{200, "text/event-stream", events};
    }
    return Resource{200, "application/json", json{{"text", text}}.dump()};
  }
  if (path.ends_with("/images/generations") && method == "POST") {
    const std::string image = Base64(
        "MOCK-PNG " + parsed.value("model", "") + " " + parsed.value("prompt", ""));
    if (parsed.value("stream", false)) {
      std::string events;
      const int partials = parsed.value("partial_images", 1);
      for (int i = 0; i < partials; ++i) {
        events += SseEvent({{"type", "image_generation.partial_image"},
                            {"b64_json", image}, {"partial_image_index", i}});
      }
      events += SseEvent({{"type", "image_generation.completed"}, {"b64_json", image},
                          {"usage", {{"input_tokens", 5}, {"output_tokens", 50},
                                     {"total_tokens", 55}}}});
      return Resource{200, "text/event-stream", events};
    }
    return Resource{200, "application/json",
                    json{{"created", 1700000000}, {"data", {{{"b64_json", image}}}}}.dump()};
  }
  if (path.ends_with("/images/edits") && method == "POST") {
    const std::string image = Base64("MOCK-EDIT " + FormField(body, "prompt"));
    return Resource{200, "application/json",
                    json{{"created", 1700000000}, {"data", {{{"b64_json", image}}}}}.dump()};
  }
  const size_t files_at = path.find("/files");
  const size_t batches_at = path.find("/batches");
  if (files_at == std::string::npos && batches_at == std::string::npos) return std::nullopt;
  std::lock_guard lock(state.mu);
  if (files_at != std::string::npos) {
    const std::string rest = path.substr(files_at + 6);  // "", "/{id}", "/{id}/content"
    if (rest.empty() && method == "POST") {
      const std::string id = "file-mock" + std::to_string(state.next_id++);
      std::string filename = "upload";
      if (const size_t at = body.find("filename=\""); at != std::string::npos) {
        filename = body.substr(at + 10, body.find('"', at + 10) - at - 10);
      }
      // The uploaded bytes: the "file" part's content.
      std::string content;
      if (const size_t part = body.find("name=\"file\""); part != std::string::npos) {
        const size_t start = body.find("\r\n\r\n", part) + 4;
        const size_t end = body.find("\r\n--", start);
        content = body.substr(start, end - start);
      }
      state.file_contents[id] = content;
      state.files[id] = {{"id", id}, {"object", "file"}, {"bytes", content.size()},
                         {"created_at", 1700000000}, {"filename", filename},
                         {"purpose", FormField(body, "purpose")}, {"status", "processed"}};
      return Resource{200, "application/json", state.files[id].dump()};
    }
    if (rest.empty() && method == "GET") {
      json data = json::array();
      for (const auto& [id, file] : state.files) data.push_back(file);
      return Resource{200, "application/json",
                      json{{"object", "list"}, {"data", data}, {"has_more", false}}.dump()};
    }
    const std::string id = rest.substr(1, rest.find('/', 1) == std::string::npos
                                              ? std::string::npos
                                              : rest.find('/', 1) - 1);
    auto it = state.files.find(id);
    if (it == state.files.end()) return error(404, "No such File object: " + id);
    if (rest.ends_with("/content") && method == "GET") {
      return Resource{200, "application/octet-stream", state.file_contents[id]};
    }
    if (method == "GET") return Resource{200, "application/json", it->second.dump()};
    if (method == "DELETE") {
      state.files.erase(it);
      return Resource{200, "application/json",
                      json{{"id", id}, {"object", "file"}, {"deleted", true}}.dump()};
    }
    return error(405, "method not allowed");
  }
  const std::string rest = path.substr(batches_at + 8);  // "", "/{id}", "/{id}/cancel"
  if (rest.empty() && method == "POST") {
    const std::string id = "batch_mock" + std::to_string(state.next_id++);
    state.batches[id] = {{"id", id},
                         {"object", "batch"},
                         {"endpoint", parsed.value("endpoint", "")},
                         {"input_file_id", parsed.value("input_file_id", "")},
                         {"completion_window", parsed.value("completion_window", "24h")},
                         {"status", "validating"},
                         {"created_at", 1700000000},
                         {"metadata", parsed.value("metadata", json(nullptr))},
                         {"errors", nullptr},
                         {"output_file_id", nullptr},
                         {"request_counts", {{"total", 0}, {"completed", 0}, {"failed", 0}}}};
    // A batch of an uploaded file completes at once, with an output file of one line a request.
    const std::string input = parsed.value("input_file_id", "");
    if (state.file_contents.contains(input)) {
      std::string output;
      const std::string& lines = state.file_contents[input];
      for (size_t at = 0, n = 0; at < lines.size(); ++n) {
        const size_t end = lines.find('\n', at);
        output += json{{"custom_id", std::to_string(n + 1)},
                       {"response", {{"status_code", 200}}}}.dump() + "\n";
        if (end == std::string::npos) break;
        at = end + 1;
      }
      const std::string file_id = "file-mock" + std::to_string(state.next_id++);
      state.file_contents[file_id] = output;
      state.files[file_id] = {{"id", file_id}, {"object", "file"}, {"bytes", output.size()},
                              {"filename", "batch_output.jsonl"}, {"purpose", "batch_output"}};
      state.batches[id]["status"] = "completed";
      state.batches[id]["output_file_id"] = file_id;
    }
    return Resource{200, "application/json", state.batches[id].dump()};
  }
  if (rest.empty() && method == "GET") {
    json data = json::array();
    for (const auto& [id, batch] : state.batches) data.push_back(batch);
    return Resource{200, "application/json",
                    json{{"object", "list"}, {"data", data}, {"has_more", false}}.dump()};
  }
  const std::string id = rest.substr(1, rest.find('/', 1) == std::string::npos
                                            ? std::string::npos
                                            : rest.find('/', 1) - 1);
  auto it = state.batches.find(id);
  if (it == state.batches.end()) return error(404, "No such Batch object: " + id);
  if (rest.ends_with("/cancel") && method == "POST") {
    it->second["status"] = "cancelling";
    return Resource{200, "application/json", it->second.dump()};
  }
  if (method == "GET") return Resource{200, "application/json", it->second.dump()};
  return error(405, "method not allowed");
}

// Returns false when the connection must close.
asio::awaitable<bool> Handle(beast::tcp_stream& stream, http::request<http::string_body>& request) {
  const std::string path(request.target());
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();

  if (path.rfind("/_mock/", 0) == 0) {
    // The state is locked while the answer is made, never across the write: a coroutine
    // suspended on a slow write must not hold the lock another one on this thread waits for.
    std::unique_lock lock(state.mu);
    if (path == "/_mock/script" && request.method() == http::verb::post) {
      json script = json::parse(request.body(), nullptr, false);
      for (const json& entry : script.value("responses", json::array())) {
        state.script.push_back({entry.value("status", 200), entry.value("retry_after", ""),
                                entry.value("body", "")});
      }
    } else if (path == "/_mock/requests" && request.method() == http::verb::delete_) {
      state.requests.clear();
      state.by_authorization.clear();
      state.total = 0;
      state.streams_aborted = 0;
      state.script.clear();
    }
    json body;
    if (path.starts_with("/_mock/service_account")) {
      const std::string lifetime = QueryParam(path, "lifetime");
      body = google_auth.IssueServiceAccount(std::string(request[http::field::host]),
                                             QueryParam(path, "client_email"),
                                             lifetime.empty() ? 3600 : std::stoi(lifetime));
    } else if (path == "/_mock/revoke_tokens" && request.method() == http::verb::post) {
      body = {{"revoked", google_auth.RevokeAll()}};
    } else if (path.starts_with("/_mock/token_exchanges")) {
      body = google_auth.Counts(QueryParam(path, "client_email"));
    } else if (path == "/_mock/stats") {
      body = {{"total", state.total},
              {"by_authorization", state.by_authorization},
              {"streams_aborted", state.streams_aborted}};
    } else {
      body = {{"requests", json(std::vector<json>(state.requests.begin(), state.requests.end()))}};
    }
    http::response<http::string_body> response{http::status::ok, version};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(keep_alive);
    response.body() = body.dump();
    response.prepare_payload();
    lock.unlock();
    co_return co_await Write(stream, response) && keep_alive;
  }

  if (request.method() == http::verb::get &&
      path.substr(0, path.find('?')).ends_with("/models")) {
    // A base URL starting /_slow/{ms}/ answers that much later.
    int delay = 0;
    if (path.starts_with("/_slow/")) delay = std::atoi(path.c_str() + 7);
    Scripted answer;
    {
      std::lock_guard lock(state.mu);
      ++state.total;
      if (state.record) {
        json headers = json::object();
        for (const auto& field : request) headers[std::string(field.name_string())] = field.value();
        state.requests.push_back(
            {{"method", "GET"}, {"path", path}, {"headers", headers}, {"body", ""}});
      }
      if (!state.script.empty()) {
        answer = state.script.front();
        state.script.pop_front();
      }
    }
    co_await Sleep(delay);
    if (answer.status != 200) {
      co_return co_await SendJson(stream, version, keep_alive, answer.status,
                                  R"({"error":{"message":"mock model list error"}})") &&
          keep_alive;
    }
    co_return co_await SendJson(stream, version, keep_alive, 200, ModelList(request, path)) &&
        keep_alive;
  }
  if (path == "/token" && request.method() == http::verb::post) {
    const auto [status, body] =
        google_auth.Exchange(std::string(request[http::field::host]), request.body());
    co_return co_await SendJson(stream, version, keep_alive, status, body) && keep_alive;
  }
  if (path.ends_with("/oauth2/v2.0/token") && request.method() == http::verb::post) {
    const auto [status, body] = google_auth.ExchangeClientCredentials(request.body());
    co_return co_await SendJson(stream, version, keep_alive, status, body) && keep_alive;
  }
  if (IsAzure(path) && Header(request, "api-key").empty() &&
      !google_auth.Authorized(Header(request, "authorization"))) {
    const std::string body =
        json{{"error", {{"code", "401"},
                        {"message", "Access denied due to invalid subscription key or wrong API "
                                    "endpoint."}}}}
            .dump();
    co_return co_await SendJson(stream, version, keep_alive, 401, body) && keep_alive;
  }
  if (IsAzure(path) && QueryParam(path, "api-version").empty()) {
    const std::string body = json{{"error", {{"code", "404"}, {"message", "Resource not found"}}}}.dump();
    co_return co_await SendJson(stream, version, keep_alive, 404, body) && keep_alive;
  }
  if (IsBedrock(path)) {
    // SigV4 verified for real, or a Bedrock API key.
    const std::string authorization = Header(request, "authorization");
    std::string refused;
    if (!authorization.starts_with("Bearer ") || authorization.size() <= 7) {
      std::map<std::string, std::string> headers;
      for (const auto& field : request) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        headers[name] = std::string(field.value());
      }
      refused = mock::VerifySigV4(std::string(request.method_string()), path, headers, request.body());
    }
    if (!refused.empty()) {
      json error = json::object();
      error["message"] = refused;
      const std::string body = error.dump();
      co_return co_await SendJson(stream, version, keep_alive, 403, body) && keep_alive;
    }
  }
  if (IsVertex(path) && !google_auth.Authorized(Header(request, "authorization"))) {
    const std::string body =
        json{{"error", {{"code", 401},
                        {"message", "Request had invalid authentication credentials. Expected "
                                    "OAuth 2 access token."},
                        {"status", "UNAUTHENTICATED"}}}}
            .dump();
    co_return co_await SendJson(stream, version, keep_alive, 401, body) && keep_alive;
  }

  const json parsed = json::parse(request.body(), nullptr, false);
  if (IsRawPredict(path) && (!parsed.is_object() || parsed.contains("model") ||
                             parsed.value("anthropic_version", "") != "vertex-2023-10-16")) {
    const std::string body =
        json{{"type", "error"},
             {"error", {{"type", "invalid_request_error"},
                        {"message", "rawPredict wants anthropic_version vertex-2023-10-16 and "
                                    "no model in the body"}}}}
            .dump();
    co_return co_await SendJson(stream, version, keep_alive, 400, body) && keep_alive;
  }
  const std::string model = IsGemini(path) || IsVertex(path) ? GeminiModel(path)
                           : parsed.is_object() && parsed.contains("model") &&
                                    parsed["model"].is_string()
                                ? parsed["model"].get<std::string>()
                                : "";
  const bool streaming = IsGemini(path) ? path.find(":streamGenerateContent") != std::string::npos
                                         : parsed.is_object() && parsed.value("stream", false) == true;
  const bool include_usage = parsed.is_object() && parsed.contains("stream_options") &&
                             parsed["stream_options"].is_object() &&
                             parsed["stream_options"].value("include_usage", false) == true;
  Scripted answer;
  answer.status = HeaderInt(request, "x-mock-status", 200);
  answer.retry_after = Header(request, "x-mock-retry-after");
  int latency = 0;
  {
    std::lock_guard lock(state.mu);
    ++state.total;
    ++state.by_authorization[Header(request, "authorization")];
    if (state.record) {
      json headers = json::object();
      for (const auto& field : request) headers[std::string(field.name_string())] = field.value();
      // (A large upload's bytes are not kept: its size stands for them.)
      state.requests.push_back(
          {{"method", std::string(request.method_string())},
           {"path", path},
           {"headers", headers},
           {"body", request.body().size() <= 1024 * 1024
                        ? request.body()
                        : "<" + std::to_string(request.body().size()) + " bytes>"}});
      if (state.requests.size() > 2000) state.requests.pop_front();
    }
    if (!state.script.empty()) {
      answer = state.script.front();
      state.script.pop_front();
    }
    latency = HeaderInt(request, "x-mock-latency-ms", state.default_latency_ms);
  }
  co_await Sleep(latency);

  if (answer.status != 200 && answer.body.empty() && IsAnthropic(path)) {
    // Anthropic's error shape and types.
    const std::string type = answer.status == 429   ? "rate_limit_error"
                             : answer.status == 529 ? "overloaded_error"
                             : answer.status >= 500 ? "api_error"
                                                    : "invalid_request_error";
    answer.body = json{{"type", "error"},
                       {"error", {{"type", type},
                                  {"message", "mock error " + std::to_string(answer.status)}}}}
                      .dump();
  }
  if (answer.status != 200 && answer.body.empty() && IsGemini(path)) {
    // Google's error shape.
    const std::string status = answer.status == 429   ? "RESOURCE_EXHAUSTED"
                               : answer.status == 503 ? "UNAVAILABLE"
                               : answer.status >= 500 ? "INTERNAL"
                                                      : "INVALID_ARGUMENT";
    answer.body = json{{"error", {{"code", answer.status},
                                  {"message", "mock error " + std::to_string(answer.status)},
                                  {"status", status}}}}
                      .dump();
  }
  if (answer.status != 200 && answer.body.empty() && IsBedrock(path)) {
    answer.body = json{{"message", "mock error " + std::to_string(answer.status)}}.dump();
  }
  if (answer.status != 200 && answer.body.empty() && IsCohere(path)) {
    answer.body = json{{"id", "cohere-mock-error"},
                       {"message", "mock error " + std::to_string(answer.status)}}.dump();
  }
  if (answer.status != 200) {
    const std::string body =
        answer.body.empty()
            ? json{{"error", {{"message", "mock error " + std::to_string(answer.status)},
                              {"type", "mock_error"},
                              {"code", "mock_" + std::to_string(answer.status)}}}}
                  .dump()
            : answer.body;
    co_return co_await SendJson(stream, version, keep_alive, answer.status, body,
                                answer.retry_after) &&
        keep_alive;
  }
  if (!answer.body.empty()) {
    co_return co_await SendJson(stream, version, keep_alive, 200, answer.body) && keep_alive;
  }
  if (std::optional<Resource> resource = OpenAiResource(request, path, parsed)) {
    http::response<http::string_body> out{static_cast<http::status>(resource->status), version};
    out.set(http::field::content_type, resource->content_type);
    out.keep_alive(keep_alive);
    out.body() = std::move(resource->body);
    out.prepare_payload();
    co_return co_await Write(stream, out) && keep_alive;
  }
  if (IsBedrock(path)) {
    if (path.ends_with("/invoke")) {
      const bool cohere = path.find("cohere.") != std::string::npos;
      json answer;
      if (cohere) {
        json floats = json::array();
        for (size_t i = 0; i < parsed.value("texts", json::array()).size(); ++i) floats.push_back({0.5, -0.25, 1.0});
        answer = {{"id", "embed-bedrock"}, {"embeddings", floats}, {"response_type", "embeddings_floats"}};
      } else {
        answer = {{"embedding", {0.5, -0.25, 1.0}}, {"inputTextTokenCount", 2}};
      }
      co_return co_await SendJson(stream, version, keep_alive, 200, answer.dump()) && keep_alive;
    }
    const std::vector<MockCall> converse_calls = ConverseCallsFor(parsed);
    if (!path.ends_with("/converse-stream")) {
      co_return co_await SendJson(stream, version, keep_alive, 200,
                                  ConverseAnswer(converse_calls).dump()) &&
          keep_alive;
    }
    http::response<http::string_body> frames{http::status::ok, version};
    frames.set(http::field::content_type, "application/vnd.amazon.eventstream");
    frames.keep_alive(keep_alive);
    frames.body() = ConverseFrames(converse_calls, HeaderInt(request, "x-mock-chunks", 3),
                                   !Header(request, "x-mock-bad-crc").empty());
    frames.prepare_payload();
    co_return co_await Write(stream, frames) && keep_alive;
  }
  if (IsCohere(path)) {
    if (path.ends_with("/v2/embed")) {
      co_return co_await SendJson(stream, version, keep_alive, 200, CohereEmbeddings(parsed).dump()) &&
          keep_alive;
    }
    const std::vector<MockCall> cohere_calls = CallsFor(parsed, false);
    if (!streaming) {
      co_return co_await SendJson(stream, version, keep_alive, 200,
                                  CohereMessage(cohere_calls).dump()) &&
          keep_alive;
    }
    http::response<http::string_body> events{http::status::ok, version};
    events.set(http::field::content_type, "text/event-stream");
    events.keep_alive(keep_alive);
    events.body() = CohereStream(cohere_calls, HeaderInt(request, "x-mock-chunks", 3));
    events.prepare_payload();
    co_return co_await Write(stream, events) && keep_alive;
  }
  if (path.ends_with("/v1/messages/count_tokens")) {
    // Anthropic's token count: a word count stands in for the tokenizer.
    const std::string text = request.body();
    json count = json::object();
    count["input_tokens"] = std::count(text.begin(), text.end(), ' ') + 1;
    const std::string counted = count.dump();
    co_return co_await SendJson(stream, version, keep_alive, 200, counted) && keep_alive;
  }
  if (path.find(":countTokens") != std::string::npos) {
    // Gemini's token count: a word count stands in for the tokenizer.
    json count = json::object();
    count["totalTokens"] = std::count(request.body().begin(), request.body().end(), ' ') + 1;
    const std::string counted = count.dump();
    co_return co_await SendJson(stream, version, keep_alive, 200, counted) && keep_alive;
  }
  if (IsVertex(path) && path.ends_with(":predict")) {
    const std::string predictions = VertexPredictions(parsed).dump();
    co_return co_await SendJson(stream, version, keep_alive, 200, predictions) && keep_alive;
  }
  if (IsGemini(path) && path.find("mbedContent") != std::string::npos) {
    const std::string embeddings = GeminiEmbeddings(path, parsed).dump();
    co_return co_await SendJson(stream, version, keep_alive, 200, embeddings) && keep_alive;
  }
  if (path.find("/embeddings") != std::string::npos) {
    const std::string embeddings = OpenAiEmbeddings(model, parsed).dump();
    co_return co_await SendJson(stream, version, keep_alive, 200, embeddings) && keep_alive;
  }
  const std::vector<MockCall> calls =
      IsGemini(path) ? GeminiCallsFor(parsed) : CallsFor(parsed, IsAnthropic(path));
  if (!streaming) {
    const json answer = calls.empty() ? Completion(path, model) : ToolCompletion(path, model, calls);
    co_return co_await SendJson(stream, version, keep_alive, 200, answer.dump()) && keep_alive;
  }

  const int chunks = HeaderInt(request, "x-mock-chunks", 3);
  const int gap = HeaderInt(request, "x-mock-gap-ms", 0);
  const int fail_after = HeaderInt(request, "x-mock-fail-after", -1);
  http::response<http::empty_body> head{http::status::ok, version};
  head.set(http::field::content_type, "text/event-stream");
  head.keep_alive(keep_alive);
  head.chunked(true);
  http::response_serializer<http::empty_body> serializer(head);
  auto [head_ec, head_n] = co_await http::async_write_header(stream, serializer, kTuple);
  if (head_ec) co_return false;
  if (!calls.empty()) {
    const std::string all = ToolStream(path, model, include_usage, calls);
    auto [tools_ec, tools_n] =
        co_await asio::async_write(stream, http::make_chunk(asio::buffer(all)), kTuple);
    if (tools_ec) co_return false;
    auto [end_ec, end_n] = co_await asio::async_write(stream, http::make_chunk_last(), kTuple);
    co_return !end_ec && keep_alive;
  }
  if (IsAnthropic(path)) {
    const std::string start =
        AnthropicEvent({{"type", "message_start"},
                        {"message", {{"id", "msg_mock"}, {"type", "message"},
                                     {"role", "assistant"}, {"content", json::array()},
                                     {"model", model}, {"stop_reason", nullptr},
                                     {"stop_sequence", nullptr},
                                     {"usage", {{"input_tokens", 5}, {"output_tokens", 1}}}}}}) +
        AnthropicEvent({{"type", "content_block_start"}, {"index", 0},
                        {"content_block", {{"type", "text"}, {"text", ""}}}});
    auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(start)), kTuple);
    if (ec) co_return false;
  }
  if (IsAzure(path)) {
    // Azure's prompt-filter chunk comes first, with no choices.
    const std::string filter =
        "data: " +
        json{{"id", ""}, {"object", ""}, {"created", 0}, {"model", ""}, {"choices", json::array()},
             {"prompt_filter_results",
              {{{"prompt_index", 0}, {"content_filter_results", {{"hate", {{"filtered", false}}}}}}}}}
            .dump() +
        "\n\n";
    auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(filter)), kTuple);
    if (ec) co_return false;
  }
  for (int i = 0; i < chunks; ++i) {
    if (i > 0) co_await Sleep(gap);
    if (i == fail_after) co_return false;  // drop the connection mid-stream
    const std::string data = Chunk(path, model, i);
    auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(data)), kTuple);
    if (ec) {
      std::lock_guard lock(state.mu);
      ++state.streams_aborted;
      co_return false;
    }
  }
  if (fail_after == chunks) co_return false;
  if (IsAzure(path)) {
    // And a content-filter report without a delta.
    const std::string report =
        "data: " +
        json{{"id", "chatcmpl-mock"}, {"object", "chat.completion.chunk"}, {"created", 1700000000},
             {"model", model},
             {"choices", {{{"index", 0}, {"finish_reason", nullptr},
                           {"content_filter_results", {{"hate", {{"filtered", false}}}}},
                           {"content_filter_offsets",
                            {{"check_offset", 0}, {"start_offset", 0}, {"end_offset", 12}}}}}}}
            .dump() +
        "\n\n";
    auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(report)), kTuple);
    if (ec) co_return false;
  }
  const std::string done =
      IsGemini(path) ? GeminiEvent(GeminiResponse(model, json::array({{{"text", ""}}}), true))
      : IsAnthropic(path)
          ? AnthropicEvent({{"type", "content_block_stop"}, {"index", 0}}) +
                AnthropicEvent({{"type", "message_delta"},
                                {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                                {"usage", {{"output_tokens", chunks}}}}) +
                AnthropicEvent({{"type", "message_stop"}})
          : OpenAiStreamEnd(model, include_usage, chunks);
  auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(done)), kTuple);
  if (ec) co_return false;
  auto [last_ec, last_n] = co_await asio::async_write(stream, http::make_chunk_last(), kTuple);
  co_return !last_ec && keep_alive;
}

asio::awaitable<void> Session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1024ull * 1024 * 1024);  // file uploads of hundreds of MB
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec) break;
    http::request<http::string_body> request = parser.release();
    if (!co_await Handle(stream, request)) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) continue;
    socket.set_option(tcp::no_delay(true));
    const auto executor = socket.get_executor();
    asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
  }
}

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string listen = Flag(argc, argv, "listen", "127.0.0.1:0");
  const int threads = std::stoi(Flag(argc, argv, "threads", "2"));
  state.default_latency_ms = std::stoi(Flag(argc, argv, "latency-ms", "0"));
  state.record = Flag(argc, argv, "record", "true") == "true";
  const size_t colon = listen.rfind(':');
  asio::io_context io(threads);
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(asio::ip::make_address(listen.substr(0, colon)),
                               static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  std::cerr << "msg=listening addr=" << endpoint.address().to_string() << ":"
            << acceptor.local_endpoint().port() << std::endl;
  asio::co_spawn(io, Accept(acceptor), asio::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& thread : pool) thread.join();
  return 0;
}
