#include "data-plane/providers/anthropic/anthropic_openai.h"

#include <map>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/sse.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

// Text blocks (a system prompt, a tool result) as one string.
absl::StatusOr<std::string> JoinedText(const json& content, std::string_view what) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return std::string();
  if (!content.is_array()) return Invalid(StrCat(what, " must be a string or an array of blocks"));
  std::string text;
  for (const json& block : content) {
    if (StringMember(block, "type") != "text") {
      return Invalid(StrCat(what, " may only hold text blocks for providers of other families"));
    }
    if (!text.empty()) text.push_back('\n');
    text += StringMember(block, "text");
  }
  return text;
}

// An image block -> an OpenAI image_url part.
absl::StatusOr<json> AnthropicImagePart(const json& block) {
  const json* source = FindMember(block, "source");
  const std::string type = source != nullptr ? StringMember(*source, "type") : "";
  std::string url;
  if (type == "base64") {
    url = StrCat("data:", StringMember(*source, "media_type"), ";base64,",
                 StringMember(*source, "data"));
  } else if (type == "url") {
    url = StringMember(*source, "url");
  } else {
    return Invalid("image blocks need a base64 or url source");
  }
  return json{{"type", "image_url"}, {"image_url", {{"url", url}}}};
}

absl::Status AddUserTurn(const json& content, json& messages) {
  if (content.is_string()) {
    messages.push_back({{"role", "user"}, {"content", content}});
    return absl::OkStatus();
  }
  if (!content.is_array()) return Invalid("message content must be a string or an array of blocks");
  json parts = json::array();
  for (const json& block : content) {
    const std::string type = StringMember(block, "type");
    if (type == "text") {
      parts.push_back({{"type", "text"}, {"text", StringMember(block, "text")}});
    } else if (type == "image") {
      absl::StatusOr<json> part = AnthropicImagePart(block);
      if (!part.ok()) return part.status();
      parts.push_back(*std::move(part));
    } else if (type == "tool_result") {
      // Tool results answer the previous assistant turn's calls: OpenAI wants them as
      // tool messages right after it, before the user's own words.
      absl::StatusOr<std::string> text =
          JoinedText(block.contains("content") ? block["content"] : json(nullptr), "tool_result content");
      if (!text.ok()) return text.status();
      messages.push_back({{"role", "tool"},
                          {"tool_call_id", StringMember(block, "tool_use_id")},
                          {"content", *std::move(text)}});
    } else {
      return Invalid(StrCat("content blocks of type \"", type,
                            "\" cannot be sent to providers of other families"));
    }
  }
  if (!parts.empty()) messages.push_back({{"role", "user"}, {"content", std::move(parts)}});
  return absl::OkStatus();
}

absl::Status AddAssistantTurn(const json& content, json& messages) {
  if (content.is_string()) {
    messages.push_back({{"role", "assistant"}, {"content", content}});
    return absl::OkStatus();
  }
  if (!content.is_array()) return Invalid("message content must be a string or an array of blocks");
  std::string text;
  json calls = json::array();
  for (const json& block : content) {
    const std::string type = StringMember(block, "type");
    if (type == "text") {
      text += StringMember(block, "text");
    } else if (type == "tool_use") {
      const json* input = FindMember(block, "input");
      calls.push_back({{"id", StringMember(block, "id")},
                       {"type", "function"},
                       {"function", {{"name", StringMember(block, "name")},
                                     {"arguments", DumpJson(input != nullptr ? *input
                                                                             : json::object())}}}});
    } else if (type == "thinking" || type == "redacted_thinking") {
      // The provider's own reasoning of an earlier turn: nothing another family can read.
    } else {
      return Invalid(StrCat("content blocks of type \"", type,
                            "\" cannot be sent to providers of other families"));
    }
  }
  json message{{"role", "assistant"},
               {"content", text.empty() && !calls.empty() ? json(nullptr) : json(text)}};
  if (!calls.empty()) message["tool_calls"] = std::move(calls);
  messages.push_back(std::move(message));
  return absl::OkStatus();
}

absl::StatusOr<json> Tools(const json& tools) {
  if (!tools.is_array()) return Invalid("tools must be an array");
  json out = json::array();
  for (const json& tool : tools) {
    const std::string type = StringMember(tool, "type");
    if (!type.empty() && type != "custom") {
      return Invalid(StrCat("server tool \"", type,
                            "\" is served by Anthropic only, not by providers of other families"));
    }
    json function{{"name", StringMember(tool, "name")}};
    if (const json* description = FindMember(tool, "description")) {
      function["description"] = *description;
    }
    const json* schema = FindMember(tool, "input_schema");
    function["parameters"] = schema != nullptr ? *schema : json{{"type", "object"}};
    out.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

absl::Status ToolChoice(const json& choice, json& out) {
  const std::string type = StringMember(choice, "type");
  if (type == "auto") out["tool_choice"] = "auto";
  else if (type == "any") out["tool_choice"] = "required";
  else if (type == "none") out["tool_choice"] = "none";
  else if (type == "tool") {
    out["tool_choice"] = {{"type", "function"}, {"function", {{"name", StringMember(choice, "name")}}}};
  } else {
    return Invalid("tool_choice.type must be auto, any, tool or none");
  }
  if (const json* parallel = FindMember(choice, "disable_parallel_tool_use");
      parallel != nullptr && parallel->is_boolean() && parallel->get<bool>() && type != "none") {
    out["parallel_tool_calls"] = false;
  }
  return absl::OkStatus();
}

std::string AnthropicStopReason(std::string_view finish_reason) {
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

// OpenAI usage -> Anthropic's (input_tokens excludes the cache-read part).
json AnthropicUsage(const json& usage) {
  const int64_t prompt = IntMember(usage, "prompt_tokens");
  const json* details = FindMember(usage, "prompt_tokens_details");
  const int64_t cached = details != nullptr ? IntMember(*details, "cached_tokens") : 0;
  return {{"input_tokens", prompt > cached ? prompt - cached : 0},
          {"output_tokens", IntMember(usage, "completion_tokens")},
          {"cache_read_input_tokens", cached},
          {"cache_creation_input_tokens", 0}};
}

// OpenAI reasoning text (reasoning_content, or reasoning as some providers name it).
std::string Reasoning(const json& message) {
  std::string text = StringMember(message, "reasoning_content");
  return text.empty() ? StringMember(message, "reasoning") : text;
}

std::string Event(const json& data) {
  return StrCat("event: ", data["type"].get<std::string>(), "\ndata: ", DumpJson(data), "\n\n");
}

class OpenAiToAnthropicStream : public SseStreamTranslator {
 public:
  absl::Status Finish(std::string* client) override {
    if (done()) return absl::OkStatus();
    if (stop_reason_.empty()) {
      return absl::UnavailableError("the provider's stream ended before its finish_reason");
    }
    End(client);  // [DONE] missing, the answer itself complete
    return absl::OkStatus();
  }

 private:
  enum class Kind { kNone, kText, kThinking, kTool };

  absl::Status OnEvent(std::string_view data, std::string* client) override {
    if (data == "[DONE]") {
      if (stop_reason_.empty()) stop_reason_ = "end_turn";
      End(client);
      return absl::OkStatus();
    }
    const json chunk = json::parse(data, nullptr, false);
    if (!chunk.is_object()) return Invalid("the provider's stream sent an event that is not JSON");
    if (const json* error = FindMember(chunk, "error")) {
      std::string message = error->is_object() ? StringMember(*error, "message") : "";
      if (message.empty()) message = "the provider's stream reported an error";
      client->append(Event({{"type", "error"},
                            {"error", {{"type", "api_error"}, {"message", message}}}}));
      Done();
      return absl::OkStatus();
    }
    if (!started_) {
      started_ = true;
      client->append(Event({{"type", "message_start"},
                            {"message", {{"id", StringMember(chunk, "id")},
                                         {"type", "message"},
                                         {"role", "assistant"},
                                         {"model", StringMember(chunk, "model")},
                                         {"content", json::array()},
                                         {"stop_reason", nullptr},
                                         {"stop_sequence", nullptr},
                                         {"usage", {{"input_tokens", 0}, {"output_tokens", 0}}}}}}));
    }
    const OpenAiChunk parts = ReadOpenAiChunk(chunk);
    if (parts.usage != nullptr) usage_ = *parts.usage;
    if (const json* delta = parts.delta) {
      if (const std::string reasoning = Reasoning(*delta); !reasoning.empty()) {
        Open(Kind::kThinking, {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}}, client);
        Delta(block_, {{"type", "thinking_delta"}, {"thinking", reasoning}}, client);
      }
      if (const std::string text = StringMember(*delta, "content"); !text.empty()) {
        Open(Kind::kText, {{"type", "text"}, {"text", ""}}, client);
        Delta(block_, {{"type", "text_delta"}, {"text", text}}, client);
      }
      if (const json* calls = FindMember(*delta, "tool_calls"); calls != nullptr && calls->is_array()) {
        for (const json& call : *calls) ToolDelta(call, client);
      }
    }
    if (!parts.finish_reason.empty()) {
      stop_reason_ = AnthropicStopReason(parts.finish_reason);
      if (tools_seen_ && stop_reason_ == "end_turn") stop_reason_ = "tool_use";
      Close(client);
    }
    return absl::OkStatus();
  }

  void ToolDelta(const json& call, std::string* client) {
    const int64_t index = IntMember(call, "index");
    const json* function = FindMember(call, "function");
    auto block = tool_blocks_.find(index);
    if (block == tool_blocks_.end() || !StringMember(call, "id").empty()) {
      // A new call: its own block, opened with id and name (input streams as JSON fragments).
      Close(client);
      Start(Kind::kTool,
            {{"type", "tool_use"},
             {"id", StringMember(call, "id")},
             {"name", function != nullptr ? StringMember(*function, "name") : ""},
             {"input", json::object()}},
            client);
      block = tool_blocks_.insert_or_assign(index, block_).first;
      tools_seen_ = true;
    }
    const std::string fragment = function != nullptr ? StringMember(*function, "arguments") : "";
    if (!fragment.empty()) {
      Delta(block->second, {{"type", "input_json_delta"}, {"partial_json", fragment}}, client);
    }
  }

  // Keeps the open block when it is of `kind` (text and thinking continue), else starts one.
  void Open(Kind kind, json block, std::string* client) {
    if (kind_ == kind && kind != Kind::kTool) return;
    Close(client);
    Start(kind, std::move(block), client);
  }
  void Start(Kind kind, json block, std::string* client) {
    block_ = next_block_++;
    kind_ = kind;
    client->append(Event({{"type", "content_block_start"},
                          {"index", block_},
                          {"content_block", std::move(block)}}));
  }
  void Delta(int64_t index, json delta, std::string* client) {
    client->append(
        Event({{"type", "content_block_delta"}, {"index", index}, {"delta", std::move(delta)}}));
  }
  void Close(std::string* client) {
    if (kind_ == Kind::kNone) return;
    client->append(Event({{"type", "content_block_stop"}, {"index", block_}}));
    kind_ = Kind::kNone;
  }

  void End(std::string* client) {
    Close(client);
    json usage = AnthropicUsage(usage_);
    client->append(Event({{"type", "message_delta"},
                          {"delta", {{"stop_reason", stop_reason_}, {"stop_sequence", nullptr}}},
                          {"usage", std::move(usage)}}));
    client->append(Event({{"type", "message_stop"}}));
    Done();
  }

  bool started_ = false;
  bool tools_seen_ = false;
  Kind kind_ = Kind::kNone;
  int64_t block_ = -1;
  int64_t next_block_ = 0;
  std::map<int64_t, int64_t> tool_blocks_;  // OpenAI tool_calls index -> content block index
  std::string stop_reason_;
  json usage_ = json::object();
};

}  // namespace

absl::StatusOr<RequestBody> AnthropicToOpenAiRequest(std::string_view messages_body,
                                                     std::string_view model) {
  const json in = json::parse(messages_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  json messages = json::array();
  auto add_system = [&](const json& content) -> absl::Status {
    absl::StatusOr<std::string> text = JoinedText(content, "system");
    if (!text.ok()) return text.status();
    if (!text->empty()) messages.push_back({{"role", "system"}, {"content", *std::move(text)}});
    return absl::OkStatus();
  };
  if (const json* system = FindMember(in, "system")) {
    if (absl::Status status = add_system(*system); !status.ok()) return status;
  }
  const json* turns = FindMember(in, "messages");
  if (turns == nullptr || !turns->is_array()) return Invalid("messages must be an array");
  for (const json& turn : *turns) {
    const std::string role = StringMember(turn, "role");
    const json content = turn.is_object() && turn.contains("content") ? turn["content"] : json();
    absl::Status status;
    if (role == "user") status = AddUserTurn(content, messages);
    else if (role == "assistant") status = AddAssistantTurn(content, messages);
    else if (role == "system") status = add_system(content);  // newer SDKs allow it
    else status = Invalid(StrCat("message role \"", role, "\" is not one of user, assistant"));
    if (!status.ok()) return status;
  }

  json out{{"messages", std::move(messages)}};
  if (const json* max_tokens = FindMember(in, "max_tokens")) out["max_tokens"] = *max_tokens;
  for (const char* key : {"temperature", "top_p"}) {
    if (const json* value = FindMember(in, key)) out[key] = *value;
  }
  if (const json* stop = FindMember(in, "stop_sequences")) out["stop"] = *stop;
  if (const json* metadata = FindMember(in, "metadata")) {
    if (std::string user = StringMember(*metadata, "user_id"); !user.empty()) out["user"] = user;
  }
  if (const json* tools = FindMember(in, "tools")) {
    absl::StatusOr<json> converted = Tools(*tools);
    if (!converted.ok()) return converted.status();
    if (!converted->empty()) out["tools"] = *std::move(converted);
  }
  if (const json* choice = FindMember(in, "tool_choice")) {
    if (absl::Status status = ToolChoice(*choice, out); !status.ok()) return status;
  }
  const json* stream = FindMember(in, "stream");
  const bool streaming = stream != nullptr && stream->is_boolean() && stream->get<bool>();
  return InternalRequestBody(std::move(out), model, streaming);
}

absl::StatusOr<std::string> OpenAiToAnthropicResponse(std::string_view openai_body) {
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("the provider's response is not a JSON object");
  const json* choices = FindMember(in, "choices");
  if (choices == nullptr || !choices->is_array() || choices->empty()) {
    return Invalid("the provider's response has no choices");
  }
  const json& choice = choices->front();
  const json* message = FindMember(choice, "message");
  if (message == nullptr) return Invalid("the provider's response has no message");
  json content = json::array();
  if (const std::string reasoning = Reasoning(*message); !reasoning.empty()) {
    content.push_back({{"type", "thinking"}, {"thinking", reasoning}, {"signature", ""}});
  }
  if (const std::string text = StringMember(*message, "content"); !text.empty()) {
    content.push_back({{"type", "text"}, {"text", text}});
  }
  bool tool_calls = false;
  if (const json* calls = FindMember(*message, "tool_calls"); calls != nullptr && calls->is_array()) {
    for (const json& call : *calls) {
      const json* function = FindMember(call, "function");
      const std::string arguments = function != nullptr ? StringMember(*function, "arguments") : "";
      json input = arguments.empty() ? json::object() : json::parse(arguments, nullptr, false);
      if (!input.is_object()) {
        return Invalid("the provider answered a tool call whose arguments are not a JSON object");
      }
      content.push_back({{"type", "tool_use"},
                         {"id", StringMember(call, "id")},
                         {"name", function != nullptr ? StringMember(*function, "name") : ""},
                         {"input", std::move(input)}});
      tool_calls = true;
    }
  }
  std::string stop_reason = AnthropicStopReason(StringMember(choice, "finish_reason"));
  if (tool_calls && stop_reason == "end_turn") stop_reason = "tool_use";
  const json* usage = FindMember(in, "usage");
  json out{{"id", StringMember(in, "id")},
           {"type", "message"},
           {"role", "assistant"},
           {"model", StringMember(in, "model")},
           {"content", std::move(content)},
           {"stop_reason", stop_reason},
           {"stop_sequence", nullptr},
           {"usage", AnthropicUsage(usage != nullptr ? *usage : json::object())}};
  return DumpJson(out);
}

std::unique_ptr<StreamTranslator> NewOpenAiToAnthropicStream() {
  return std::make_unique<OpenAiToAnthropicStream>();
}

}  // namespace switchyard::dp
