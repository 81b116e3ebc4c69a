#include "data-plane/providers/bedrock/bedrock_openai.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/bedrock/event_stream.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/sse.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

std::string ConverseStopReason(std::string_view finish) {
  if (finish == "length") return "max_tokens";
  if (finish == "tool_calls") return "tool_use";
  if (finish == "content_filter") return "content_filtered";
  return "end_turn";
}

json ConverseUsage(const json* usage) {
  const int64_t input = usage != nullptr ? IntMember(*usage, "prompt_tokens") : 0;
  const int64_t output = usage != nullptr ? IntMember(*usage, "completion_tokens") : 0;
  return {{"inputTokens", input}, {"outputTokens", output}, {"totalTokens", input + output}};
}

std::string Frame(std::string_view type, const json& payload) {
  return EncodeEventMessage({{":message-type", "event"},
                             {":event-type", std::string(type)},
                             {":content-type", "application/json"}},
                            DumpJson(payload));
}

class OpenAiToConverseStream : public SseStreamTranslator {
 public:
  std::string_view content_type() const override { return "application/vnd.amazon.eventstream"; }
  absl::Status Finish(std::string*) override {
    if (done()) return absl::OkStatus();
    return absl::UnavailableError("the stream ended before [DONE]");
  }

 private:
  void CloseBlock(std::string* client) {
    if (block_ >= 0) client->append(Frame("contentBlockStop", {{"contentBlockIndex", block_}}));
    block_ = -1;
  }

  absl::Status OnEvent(std::string_view data, std::string* client) override {
    if (data == "[DONE]") {
      CloseBlock(client);
      client->append(Frame("messageStop", {{"stopReason", stop_}}));
      client->append(
          Frame("metadata", {{"usage", ConverseUsage(usage_.is_null() ? nullptr : &usage_)},
                             {"metrics", {{"latencyMs", 0}}}}));
      Done();
      return absl::OkStatus();
    }
    const json chunk = json::parse(data, nullptr, false);
    if (!chunk.is_object()) return Invalid("the stream sent a chunk that is not JSON");
    if (const json* error = FindMember(chunk, "error")) {
      client->append(ConverseExceptionFrame(
          "modelStreamErrorException",
          error->is_object() ? StringMember(*error, "message") : "the provider reported an error"));
      Done();
      return absl::OkStatus();
    }
    if (!started_) {
      client->append(Frame("messageStart", {{"role", "assistant"}}));
      started_ = true;
    }
    const OpenAiChunk parts = ReadOpenAiChunk(chunk);
    if (parts.usage != nullptr) usage_ = *parts.usage;
    if (!parts.finish_reason.empty()) stop_ = ConverseStopReason(parts.finish_reason);
    const json* delta = parts.delta;
    if (delta == nullptr) return absl::OkStatus();
    if (const std::string text = StringMember(*delta, "content"); !text.empty()) {
      if (kind_ != Kind::kText) {
        CloseBlock(client);
        block_ = ++last_block_;
        kind_ = Kind::kText;
      }
      client->append(Frame("contentBlockDelta",
                           {{"contentBlockIndex", block_}, {"delta", {{"text", text}}}}));
    }
    const json* calls = FindMember(*delta, "tool_calls");
    if (calls == nullptr || !calls->is_array()) return absl::OkStatus();
    for (const json& call : *calls) {
      const int64_t index = IntMember(call, "index");
      const json* function = FindMember(call, "function");
      const std::string arguments = function ? StringMember(*function, "arguments") : "";
      if (kind_ != Kind::kTool || index != tool_) {
        CloseBlock(client);
        block_ = ++last_block_;
        kind_ = Kind::kTool;
        tool_ = index;
        client->append(Frame("contentBlockStart",
                             {{"contentBlockIndex", block_},
                              {"start", {{"toolUse", {{"toolUseId", StringMember(call, "id")},
                                                      {"name", function ? StringMember(*function, "name") : ""}}}}}}));
      }
      if (!arguments.empty()) {
        client->append(Frame("contentBlockDelta", {{"contentBlockIndex", block_},
                                                   {"delta", {{"toolUse", {{"input", arguments}}}}}}));
      }
    }
    return absl::OkStatus();
  }

  enum class Kind { kNone, kText, kTool };
  bool started_ = false;
  Kind kind_ = Kind::kNone;
  int64_t block_ = -1;
  int64_t last_block_ = -1;
  int64_t tool_ = -1;
  std::string stop_ = "end_turn";
  json usage_;
};

}  // namespace

std::string ConverseExceptionFrame(std::string_view type, std::string_view message) {
  return EncodeEventMessage({{":message-type", "exception"},
                             {":exception-type", std::string(type)},
                             {":content-type", "application/json"}},
                            DumpJson({{"message", std::string(message)}}));
}

absl::StatusOr<RequestBody> ConverseToOpenAiRequest(std::string_view converse_body,
                                                    std::string_view model, bool stream) {
  const json in = json::parse(converse_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  json messages = json::array();
  if (const json* system = FindMember(in, "system"); system != nullptr && system->is_array()) {
    std::string text;
    for (const json& block : *system) text += StringMember(block, "text");
    if (!text.empty()) messages.push_back({{"role", "system"}, {"content", text}});
  }
  const json* turns = FindMember(in, "messages");
  if (turns == nullptr || !turns->is_array()) return Invalid("messages must be an array");
  for (const json& turn : *turns) {
    const std::string role = StringMember(turn, "role");
    const json* content = FindMember(turn, "content");
    if ((role != "user" && role != "assistant") || content == nullptr || !content->is_array()) {
      return Invalid("each message needs a role user or assistant and a content array");
    }
    json parts = json::array();
    json calls = json::array();
    for (const json& block : *content) {
      if (const json* text = FindMember(block, "text"); text != nullptr && text->is_string()) {
        parts.push_back({{"type", "text"}, {"text", *text}});
      } else if (const json* image = FindMember(block, "image")) {
        const json* source = FindMember(*image, "source");
        const std::string url =
            StrCat("data:image/", StringMember(*image, "format"), ";base64,",
                   source != nullptr ? StringMember(*source, "bytes") : std::string());
        parts.push_back({{"type", "image_url"}, {"image_url", {{"url", url}}}});
      } else if (const json* use = FindMember(block, "toolUse")) {
        const json* input = FindMember(*use, "input");
        calls.push_back({{"id", StringMember(*use, "toolUseId")},
                         {"type", "function"},
                         {"function", {{"name", StringMember(*use, "name")},
                                       {"arguments", DumpJson(input ? *input : json::object())}}}});
      } else if (const json* result = FindMember(block, "toolResult")) {
        std::string text;
        if (const json* items = FindMember(*result, "content"); items != nullptr && items->is_array()) {
          for (const json& item : *items) {
            if (const json* value = FindMember(item, "json")) {
              text += DumpJson(*value);
            } else {
              text += StringMember(item, "text");
            }
          }
        }
        messages.push_back({{"role", "tool"},
                            {"tool_call_id", StringMember(*result, "toolUseId")},
                            {"content", text}});
      } else {
        return Invalid("document, video, guardrail and reasoning blocks cannot be sent to "
                       "providers of other families");
      }
    }
    if (parts.empty() && calls.empty()) continue;
    json message{{"role", role}};
    if (role == "assistant") {
      std::string text;
      for (const json& part : parts) text += StringMember(part, "text");
      message["content"] = text.empty() ? json(nullptr) : json(text);
      if (!calls.empty()) message["tool_calls"] = std::move(calls);
    } else {
      message["content"] = std::move(parts);
    }
    messages.push_back(std::move(message));
  }
  json out{{"messages", std::move(messages)}};
  if (const json* config = FindMember(in, "inferenceConfig")) {
    for (const auto& [from, to] : {std::pair<const char*, const char*>{"maxTokens", "max_tokens"},
                                   {"temperature", "temperature"},
                                   {"topP", "top_p"},
                                   {"stopSequences", "stop"}}) {
      if (const json* value = FindMember(*config, from)) out[to] = *value;
    }
  }
  if (const json* tool_config = FindMember(in, "toolConfig")) {
    json tools = json::array();
    if (const json* specs = FindMember(*tool_config, "tools"); specs != nullptr && specs->is_array()) {
      for (const json& tool : *specs) {
        const json* spec = FindMember(tool, "toolSpec");
        if (spec == nullptr) continue;
        const json* schema = FindMember(*spec, "inputSchema");
        const json* parameters = schema != nullptr ? FindMember(*schema, "json") : nullptr;
        json function{{"name", StringMember(*spec, "name")},
                      {"parameters", parameters ? *parameters : json{{"type", "object"}}}};
        if (std::string description = StringMember(*spec, "description"); !description.empty()) {
          function["description"] = description;
        }
        tools.push_back({{"type", "function"}, {"function", std::move(function)}});
      }
    }
    if (!tools.empty()) out["tools"] = std::move(tools);
    if (const json* choice = FindMember(*tool_config, "toolChoice")) {
      if (FindMember(*choice, "any") != nullptr) out["tool_choice"] = "required";
      if (FindMember(*choice, "auto") != nullptr) out["tool_choice"] = "auto";
      if (const json* tool = FindMember(*choice, "tool")) {
        out["tool_choice"] = {{"type", "function"}, {"function", {{"name", StringMember(*tool, "name")}}}};
      }
    }
  }
  return InternalRequestBody(std::move(out), model, stream);
}

absl::StatusOr<std::string> OpenAiToConverseResponse(std::string_view openai_body) {
  const json in = json::parse(openai_body, nullptr, false);
  const json* choices = FindMember(in, "choices");
  if (choices == nullptr || !choices->is_array() || choices->empty()) {
    return Invalid("the response holds no choice");
  }
  const json& choice = choices->front();
  json content = json::array();
  if (const json* message = FindMember(choice, "message")) {
    if (const std::string text = StringMember(*message, "content"); !text.empty()) {
      content.push_back({{"text", text}});
    }
    if (const json* calls = FindMember(*message, "tool_calls"); calls != nullptr && calls->is_array()) {
      for (const json& call : *calls) {
        const json* function = FindMember(call, "function");
        const std::string arguments = function ? StringMember(*function, "arguments") : "";
        json input = json::parse(arguments.empty() ? "{}" : arguments, nullptr, false);
        if (input.is_discarded()) input = json::object();
        content.push_back({{"toolUse", {{"toolUseId", StringMember(call, "id")},
                                        {"name", function ? StringMember(*function, "name") : ""},
                                        {"input", std::move(input)}}}});
      }
    }
  }
  return DumpJson(
      {{"output", {{"message", {{"role", "assistant"}, {"content", std::move(content)}}}}},
       {"stopReason", ConverseStopReason(StringMember(choice, "finish_reason"))},
       {"usage", ConverseUsage(FindMember(in, "usage"))},
       {"metrics", {{"latencyMs", 0}}}});
}

std::unique_ptr<StreamTranslator> NewOpenAiToConverseStream() {
  return std::make_unique<OpenAiToConverseStream>();
}

}  // namespace switchyard::dp
