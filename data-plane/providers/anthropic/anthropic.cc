#include "data-plane/providers/anthropic/anthropic.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using nlohmann::json;

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json* Find(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

// An OpenAI content value (string, or array of parts) as Anthropic content blocks.
absl::StatusOr<json> ContentBlocks(const json& content) {
  json blocks = json::array();
  if (content.is_string()) {
    if (!content.get_ref<const std::string&>().empty()) {
      blocks.push_back({{"type", "text"}, {"text", content}});
    }
    return blocks;
  }
  if (content.is_null()) return blocks;
  if (!content.is_array()) return Invalid("message content must be a string or an array of parts");
  for (const json& part : content) {
    const json* type = Find(part, "type");
    if (type == nullptr || !type->is_string()) return Invalid("content parts need a type");
    if (*type == "text") {
      const json* text = Find(part, "text");
      if (text == nullptr || !text->is_string()) return Invalid("text parts need text");
      blocks.push_back({{"type", "text"}, {"text", *text}});
    } else if (*type == "image_url") {
      const json* image = Find(part, "image_url");
      const json* url = image != nullptr ? Find(*image, "url") : nullptr;
      if (url == nullptr || !url->is_string()) return Invalid("image_url parts need a url");
      const std::string& text = url->get_ref<const std::string&>();
      if (text.starts_with("data:")) {
        const size_t semicolon = text.find(';');
        const size_t comma = text.find(',');
        if (semicolon == std::string::npos || comma == std::string::npos || comma < semicolon ||
            text.compare(semicolon, 8, ";base64,") != 0) {
          return Invalid("image data URLs must be data:<mime>;base64,<data>");
        }
        blocks.push_back({{"type", "image"},
                          {"source",
                           {{"type", "base64"},
                            {"media_type", text.substr(5, semicolon - 5)},
                            {"data", text.substr(comma + 1)}}}});
      } else if (text.starts_with("http://") || text.starts_with("https://")) {
        blocks.push_back({{"type", "image"}, {"source", {{"type", "url"}, {"url", text}}}});
      } else {
        return Invalid("image URLs must be data: or http(s) URLs");
      }
    } else {
      return absl::UnimplementedError(
          StrCat("content parts of type ", type->get<std::string>(),
                 " are not translated for anthropic providers yet"));
    }
  }
  return blocks;
}

// Appends a turn, merging it into the previous one when the role repeats (Anthropic wants
// user and assistant to alternate; consecutive tool results form one user turn).
void AddTurn(json& messages, const std::string& role, json blocks) {
  if (blocks.empty()) return;
  if (!messages.empty() && messages.back()["role"] == role) {
    for (json& block : blocks) messages.back()["content"].push_back(std::move(block));
    return;
  }
  messages.push_back({{"role", role}, {"content", std::move(blocks)}});
}

std::string FinishReason(std::string_view stop_reason, bool tool_calls) {
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "refusal") return "content_filter";
  return tool_calls ? "tool_calls" : "stop";  // end_turn, stop_sequence, pause_turn
}

// usage: prompt counts every input token, cached ones included.
json Usage(const json& usage, int64_t output_tokens) {
  auto number = [&](const char* key) -> int64_t {
    const json* value = Find(usage, key);
    return value != nullptr && value->is_number_integer() ? value->get<int64_t>() : 0;
  };
  const int64_t cache_read = number("cache_read_input_tokens");
  const int64_t prompt = number("input_tokens") + cache_read + number("cache_creation_input_tokens");
  return {{"prompt_tokens", prompt},
          {"completion_tokens", output_tokens},
          {"total_tokens", prompt + output_tokens},
          {"prompt_tokens_details", {{"cached_tokens", cache_read}}}};
}

int64_t OutputTokens(const json& usage) {
  const json* value = Find(usage, "output_tokens");
  return value != nullptr && value->is_number_integer() ? value->get<int64_t>() : 0;
}

class AnthropicToOpenAiStream : public StreamTranslator {
 public:
  explicit AnthropicToOpenAiStream(bool include_usage) : include_usage_(include_usage) {}

  absl::Status Feed(std::string_view upstream, std::string* client) override {
    pending_.append(upstream);
    // SSE events end with a blank line; a partial event waits for the rest.
    for (;;) {
      size_t end = pending_.find("\n\n");
      size_t separator = 2;
      const size_t crlf = pending_.find("\r\n\r\n");
      if (crlf != std::string::npos && (end == std::string::npos || crlf < end)) {
        end = crlf;
        separator = 4;
      }
      if (end == std::string::npos) break;
      const std::string event = pending_.substr(0, end);
      pending_.erase(0, end + separator);
      if (absl::Status status = Event(event, client); !status.ok()) return status;
    }
    return absl::OkStatus();
  }

  absl::Status Finish(std::string* client) override {
    if (!done_) {
      return absl::UnavailableError("the anthropic stream ended before message_stop");
    }
    (void)client;
    return absl::OkStatus();
  }

 private:
  void Chunk(json delta, std::string* client, json finish = nullptr) {
    json chunk{{"id", id_},
               {"object", "chat.completion.chunk"},
               {"created", 0},
               {"model", model_},
               {"choices",
                json::array({{{"index", 0}, {"delta", std::move(delta)},
                              {"finish_reason", std::move(finish)}}})}};
    StrAppendEvent(chunk, client);
  }
  static void StrAppendEvent(const json& chunk, std::string* client) {
    client->append("data: ").append(Dump(chunk)).append("\n\n");
  }

  absl::Status Event(std::string_view event, std::string* client) {
    std::string data;
    size_t at = 0;
    while (at < event.size()) {
      size_t end = event.find('\n', at);
      if (end == std::string_view::npos) end = event.size();
      std::string_view line = event.substr(at, end - at);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.starts_with("data:")) {
        line.remove_prefix(5);
        if (line.starts_with(" ")) line.remove_prefix(1);
        if (!data.empty()) data.push_back('\n');
        data.append(line);
      }
      at = end + 1;
    }
    if (data.empty()) return absl::OkStatus();
    const json message = json::parse(data, nullptr, false);
    if (!message.is_object()) return Invalid("the anthropic stream sent an event that is not JSON");
    const std::string type = message.value("type", "");
    if (type == "message_start") {
      const json* start = Find(message, "message");
      if (start != nullptr) {
        id_ = start->value("id", "");
        model_ = start->value("model", "");
        if (const json* usage = Find(*start, "usage")) input_usage_ = *usage;
      }
      Chunk({{"role", "assistant"}, {"content", ""}}, client);
    } else if (type == "content_block_start") {
      const json* block = Find(message, "content_block");
      const int64_t index = message.value("index", int64_t{-1});
      if (block != nullptr && block->value("type", "") == "tool_use") {
        const int tool = next_tool_++;
        tools_[index] = {tool, false};
        Chunk({{"tool_calls",
                json::array({{{"index", tool},
                              {"id", block->value("id", "")},
                              {"type", "function"},
                              {"function", {{"name", block->value("name", "")},
                                            {"arguments", ""}}}}})}},
              client);
      }
    } else if (type == "content_block_delta") {
      const json* delta = Find(message, "delta");
      if (delta == nullptr) return absl::OkStatus();
      const std::string kind = delta->value("type", "");
      if (kind == "text_delta") {
        Chunk({{"content", delta->value("text", "")}}, client);
      } else if (kind == "input_json_delta") {
        const std::string fragment = delta->value("partial_json", "");
        auto tool = tools_.find(message.value("index", int64_t{-1}));
        if (!fragment.empty() && tool != tools_.end()) {
          tool->second.second = true;
          Chunk({{"tool_calls", json::array({{{"index", tool->second.first},
                                               {"function", {{"arguments", fragment}}}}})}},
                client);
        }
      } else if (kind == "thinking_delta") {
        Chunk({{"reasoning_content", delta->value("thinking", "")}}, client);
      }
    } else if (type == "content_block_stop") {
      auto tool = tools_.find(message.value("index", int64_t{-1}));
      if (tool != tools_.end() && !tool->second.second) {
        // A tool with no argument fragments still gets valid JSON arguments.
        Chunk({{"tool_calls", json::array({{{"index", tool->second.first},
                                             {"function", {{"arguments", "{}"}}}}})}},
              client);
        tool->second.second = true;
      }
    } else if (type == "message_delta") {
      if (const json* usage = Find(message, "usage")) output_tokens_ = OutputTokens(*usage);
      const json* delta = Find(message, "delta");
      const json* stop = delta != nullptr ? Find(*delta, "stop_reason") : nullptr;
      if (stop != nullptr && stop->is_string()) {
        Chunk(json::object(), client, FinishReason(stop->get<std::string>(), next_tool_ > 0));
      }
    } else if (type == "message_stop") {
      if (include_usage_) {
        StrAppendEvent({{"id", id_},
                        {"object", "chat.completion.chunk"},
                        {"created", 0},
                        {"model", model_},
                        {"choices", json::array()},
                        {"usage", Usage(input_usage_, output_tokens_)}},
                       client);
      }
      client->append("data: [DONE]\n\n");
      done_ = true;
    } else if (type == "error") {
      const json* error = Find(message, "error");
      common::ApiError api;
      api.http_status = 502;
      api.is_bifrost_error = false;
      api.type = error != nullptr ? error->value("type", "upstream_error") : "upstream_error";
      api.code = api.type;
      api.message = error != nullptr ? error->value("message", "") : "";
      if (api.message.empty()) api.message = "the anthropic stream reported an error";
      client->append("data: ").append(common::ErrorEnvelopeJson(api)).append("\n\n");
      done_ = true;
    }
    // ping and unknown events: nothing to send.
    return absl::OkStatus();
  }

  const bool include_usage_;
  std::string pending_;
  std::string id_;
  std::string model_;
  json input_usage_ = json::object();
  int64_t output_tokens_ = 0;
  int next_tool_ = 0;
  std::map<int64_t, std::pair<int, bool>> tools_;  // block index -> (tool index, args seen)
  bool done_ = false;
};

}  // namespace

absl::StatusOr<std::string> OpenAiToAnthropicRequest(std::string_view openai_body,
                                                     std::string_view model, bool stream) {
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  if (const json* n = Find(in, "n"); n != nullptr && (!n->is_number_integer() || *n != 1)) {
    return Invalid("n must be 1 for anthropic providers");
  }
  if (const json* format = Find(in, "response_format")) {
    const std::string type = format->value("type", "");
    if (type != "text") {
      return absl::UnimplementedError(StrCat("response_format ", type,
                                             " is not translated for anthropic providers yet"));
    }
  }
  const json* messages = Find(in, "messages");
  if (messages == nullptr || !messages->is_array()) return Invalid("messages must be an array");

  json out{{"model", std::string(model)}};
  json system = json::array();
  json turns = json::array();
  for (const json& message : *messages) {
    const std::string role = message.is_object() ? message.value("role", "") : "";
    const json content = message.is_object() && message.contains("content")
                             ? message["content"]
                             : json(nullptr);
    if (role == "system" || role == "developer") {
      absl::StatusOr<json> blocks = ContentBlocks(content);
      if (!blocks.ok()) return blocks.status();
      for (json& block : *blocks) system.push_back(std::move(block));
    } else if (role == "user") {
      absl::StatusOr<json> blocks = ContentBlocks(content);
      if (!blocks.ok()) return blocks.status();
      AddTurn(turns, "user", *std::move(blocks));
    } else if (role == "assistant") {
      absl::StatusOr<json> blocks = ContentBlocks(content);
      if (!blocks.ok()) return blocks.status();
      if (const json* calls = Find(message, "tool_calls")) {
        if (!calls->is_array()) return Invalid("tool_calls must be an array");
        for (const json& call : *calls) {
          const json* function = Find(call, "function");
          if (function == nullptr) return Invalid("tool_calls need a function");
          const json input = json::parse(function->value("arguments", "{}"), nullptr, false);
          if (input.is_discarded()) return Invalid("tool call arguments must be a JSON string");
          blocks->push_back({{"type", "tool_use"},
                             {"id", call.value("id", "")},
                             {"name", function->value("name", "")},
                             {"input", input.is_object() ? input : json::object()}});
        }
      }
      AddTurn(turns, "assistant", *std::move(blocks));
    } else if (role == "tool") {
      json result{{"type", "tool_result"}, {"tool_use_id", message.value("tool_call_id", "")}};
      if (content.is_string()) {
        result["content"] = content;
      } else {
        absl::StatusOr<json> blocks = ContentBlocks(content);
        if (!blocks.ok()) return blocks.status();
        result["content"] = *std::move(blocks);
      }
      AddTurn(turns, "user", json::array({std::move(result)}));
    } else {
      return Invalid(StrCat("message role \"", role, "\" is not one of system, developer, user, "
                                                     "assistant, tool"));
    }
  }
  if (!system.empty()) out["system"] = std::move(system);
  out["messages"] = std::move(turns);

  int64_t max_tokens = kAnthropicDefaultMaxTokens;
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (const json* value = Find(in, key); value != nullptr && value->is_number_integer()) {
      max_tokens = value->get<int64_t>();
      break;
    }
  }
  out["max_tokens"] = max_tokens;
  for (const char* key : {"temperature", "top_p"}) {
    if (const json* value = Find(in, key)) out[key] = *value;
  }
  if (const json* stop = Find(in, "stop")) {
    out["stop_sequences"] = stop->is_string() ? json::array({*stop}) : *stop;
  }
  if (const json* user = Find(in, "user"); user != nullptr && user->is_string()) {
    out["metadata"] = {{"user_id", *user}};
  }
  if (const json* tools = Find(in, "tools")) {
    if (!tools->is_array()) return Invalid("tools must be an array");
    json converted = json::array();
    for (const json& tool : *tools) {
      const json* function = Find(tool, "function");
      if (function == nullptr) return Invalid("tools must be of type function");
      json entry{{"name", function->value("name", "")}};
      if (const json* description = Find(*function, "description")) {
        entry["description"] = *description;
      }
      const json* parameters = Find(*function, "parameters");
      entry["input_schema"] = parameters != nullptr ? *parameters
                                                    : json{{"type", "object"}, {"properties", json::object()}};
      converted.push_back(std::move(entry));
    }
    out["tools"] = std::move(converted);
  }
  json choice;
  if (const json* tool_choice = Find(in, "tool_choice")) {
    if (tool_choice->is_string()) {
      const std::string mode = tool_choice->get<std::string>();
      if (mode == "auto") choice = {{"type", "auto"}};
      else if (mode == "none") choice = {{"type", "none"}};
      else if (mode == "required") choice = {{"type", "any"}};
      else return Invalid("tool_choice must be auto, none, required or a function");
    } else if (const json* function = Find(*tool_choice, "function")) {
      choice = {{"type", "tool"}, {"name", function->value("name", "")}};
    } else {
      return Invalid("tool_choice must be auto, none, required or a function");
    }
  }
  if (const json* parallel = Find(in, "parallel_tool_calls");
      parallel != nullptr && parallel->is_boolean() && !parallel->get<bool>()) {
    if (choice.is_null()) choice = {{"type", "auto"}};
    if (choice["type"] != "none") choice["disable_parallel_tool_use"] = true;
  }
  if (!choice.is_null()) out["tool_choice"] = std::move(choice);
  if (stream) out["stream"] = true;
  return Dump(out);
}

absl::StatusOr<std::string> AnthropicToOpenAiResponse(std::string_view anthropic_body) {
  const json in = json::parse(anthropic_body, nullptr, false);
  if (!in.is_object()) return Invalid("the anthropic response is not a JSON object");
  std::string text;
  json tool_calls = json::array();
  std::string reasoning;
  if (const json* content = Find(in, "content"); content != nullptr && content->is_array()) {
    for (const json& block : *content) {
      const std::string type = block.value("type", "");
      if (type == "text") {
        text += block.value("text", "");
      } else if (type == "tool_use") {
        tool_calls.push_back({{"id", block.value("id", "")},
                              {"type", "function"},
                              {"function",
                               {{"name", block.value("name", "")},
                                {"arguments", Dump(block.contains("input") ? block["input"]
                                                                           : json::object())}}}});
      } else if (type == "thinking") {
        reasoning += block.value("thinking", "");
      }
    }
  }
  const bool has_tool_calls = !tool_calls.empty();
  json message{{"role", "assistant"},
               {"content", text.empty() && !tool_calls.empty() ? json(nullptr) : json(text)}};
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  if (!reasoning.empty()) message["reasoning_content"] = reasoning;
  const std::string stop = in.value("stop_reason", "");
  const json usage = in.contains("usage") ? in["usage"] : json::object();
  json out{{"id", in.value("id", "")},
           {"object", "chat.completion"},
           {"created", 0},
           {"model", in.value("model", "")},
           {"choices", json::array({{{"index", 0},
                                     {"message", std::move(message)},
                                     {"finish_reason", FinishReason(stop, has_tool_calls)}}})},
           {"usage", Usage(usage, OutputTokens(usage))}};
  return Dump(out);
}

std::unique_ptr<StreamTranslator> NewAnthropicToOpenAiStream(bool include_usage) {
  return std::make_unique<AnthropicToOpenAiStream>(include_usage);
}

absl::Status AnthropicAdapter::Compile(const v1::ProviderConfig& config,
                                       ProviderEntry* entry) const {
  if (absl::Status endpoint = CompileEndpoint(config, kDefaultBaseUrl, entry); !endpoint.ok()) {
    return endpoint;
  }
  const bool extra_key = entry->HasExtraHeader("x-api-key");
  for (ResolvedKey& key : entry->keys) {
    if (key.secret.empty()) continue;
    key.auth_headers = {{"x-api-key", key.secret}};
    if (!extra_key) key.auth_header_lines = StrCat("x-api-key: ", key.secret, "\r\n");
  }
  return absl::OkStatus();
}

absl::Status AnthropicAdapter::BuildRequest(const InferenceRequest& request,
                                            const AttemptTarget& target,
                                            UpstreamRequest* out) const {
  if (request.request_type != "chat_completion" &&
      request.request_type != "chat_completion_stream") {
    return absl::UnimplementedError(StrCat(request.request_type,
                                           " is not translated for anthropic providers yet"));
  }
  // Anthropic's own wire format passes through with the model rewritten; OpenAI's is
  // translated.
  absl::StatusOr<std::string> body =
      request.surface == ApiSurface::kAnthropic
          ? RewriteBody(request.body, target.model, target.merge_extra_params)
          : OpenAiToAnthropicRequest(request.body.text, target.model, request.stream);
  if (!body.ok()) return body.status();
  const ProviderEntry& entry = *target.entry;
  std::string path = "/v1/messages";
  if (entry.endpoint.base_path.ends_with("/v1")) path.erase(0, 3);
  out->target = entry.endpoint.base_path + path;
  ComposeUpstreamHeaders(request, target, out);
  if (!entry.HasExtraHeader("anthropic-version")) {
    out->headers.emplace_back("anthropic-version", "2023-06-01");
  }
  out->body = *std::move(body);
  return absl::OkStatus();
}

absl::StatusOr<std::string> AnthropicAdapter::TranslateResponse(const InferenceRequest& request,
                                                                const AttemptTarget&,
                                                                std::string upstream_body) const {
  if (request.surface == ApiSurface::kAnthropic) return upstream_body;
  return AnthropicToOpenAiResponse(upstream_body);
}

std::unique_ptr<StreamTranslator> AnthropicAdapter::NewStreamTranslator(
    const InferenceRequest& request, const AttemptTarget&) const {
  if (request.surface == ApiSurface::kAnthropic) return nullptr;  // already Anthropic's events
  const json body = json::parse(request.body.text, nullptr, false);
  bool include_usage = false;
  if (const json* options = Find(body, "stream_options")) {
    include_usage = options->value("include_usage", false);
  }
  return NewAnthropicToOpenAiStream(include_usage);
}

UpstreamFailure AnthropicAdapter::ClassifyError(int status, std::string_view retry_after,
                                                std::string_view body) const {
  UpstreamFailure failure = UpstreamFailureFor(status, retry_after);
  failure.retryable |= status == 529;  // Anthropic is overloaded
  common::ApiError& error = failure.error;
  const json in = json::parse(body, nullptr, false);
  if (const json* detail = Find(in, "error"); detail != nullptr && detail->is_object()) {
    error.type = detail->value("type", error.type);
    error.code = error.type;
    error.message = detail->value("message", "");
  }
  FillMissingMessage(status, body, &error);
  return failure;
}

std::vector<std::string> AnthropicAdapter::ListModels(const ProviderEntry& entry) const {
  return ConfiguredModels(entry);
}

}  // namespace switchyard::dp
