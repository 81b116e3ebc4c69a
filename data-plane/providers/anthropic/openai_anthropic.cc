#include "data-plane/providers/anthropic/openai_anthropic.h"

#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "common/errors.h"
#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/sse.h"
#include "data-plane/providers/text_chat.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

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
    const json* type = FindMember(part, "type");
    if (type == nullptr || !type->is_string()) return Invalid("content parts need a type");
    if (*type == "text") {
      const json* text = FindMember(part, "text");
      if (text == nullptr || !text->is_string()) return Invalid("text parts need text");
      blocks.push_back({{"type", "text"}, {"text", *text}});
    } else if (*type == "image_url") {
      const json* image = FindMember(part, "image_url");
      const json* url = image != nullptr ? FindMember(*image, "url") : nullptr;
      if (url == nullptr || !url->is_string()) return Invalid("image_url parts need a url");
      const std::string& text = url->get_ref<const std::string&>();
      if (text.starts_with("data:")) {
        absl::StatusOr<ImageData> data = SplitImageDataUrl(text);
        if (!data.ok()) return data.status();
        blocks.push_back({{"type", "image"},
                          {"source",
                           {{"type", "base64"},
                            {"media_type", std::move(data->mime_type)},
                            {"data", std::move(data->base64)}}}});
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

std::string FinishReasonOfAnthropic(std::string_view stop_reason, bool tool_calls) {
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "refusal") return "content_filter";
  return tool_calls ? "tool_calls" : "stop";  // end_turn, stop_sequence, pause_turn
}

// usage: prompt counts every input token, cached ones included.
json UsageOfAnthropic(const json& usage, int64_t output_tokens) {
  const int64_t cache_read = IntMember(usage, "cache_read_input_tokens");
  const int64_t prompt = IntMember(usage, "input_tokens") + cache_read +
                         IntMember(usage, "cache_creation_input_tokens");
  return {{"prompt_tokens", prompt},
          {"completion_tokens", output_tokens},
          {"total_tokens", prompt + output_tokens},
          {"prompt_tokens_details", {{"cached_tokens", cache_read}}}};
}

int64_t OutputTokens(const json& usage) { return IntMember(usage, "output_tokens"); }

// response_format -> output_config.format (Anthropic's structured outputs).
absl::Status ResponseFormat(const json& format, json& out) {
  const std::string type = StringMember(format, "type");
  if (type == "text") return absl::OkStatus();
  if (type == "json_schema") {
    const json* spec = FindMember(format, "json_schema");
    const json* schema = spec != nullptr ? FindMember(*spec, "schema") : nullptr;
    if (schema == nullptr || !schema->is_object()) {
      return Invalid("response_format.json_schema.schema must be a JSON schema object");
    }
    out["output_config"] = {{"format", {{"type", "json_schema"}, {"schema", *schema}}}};
    return absl::OkStatus();
  }
  if (type == "json_object") {
    return Invalid("response_format json_object has no equivalent at anthropic providers; "
                   "send json_schema with the object's schema");
  }
  return Invalid("response_format.type must be text, json_schema or json_object");
}

// The end of a block index written at `at` (a JSON integer of 1 to 9 digits, no leading zero),
// or npos.
size_t IndexEnd(std::string_view data, size_t at) {
  const size_t digits = at;
  while (at < data.size() && data[at] >= '0' && data[at] <= '9') ++at;
  if (at == digits || at - digits > 9 || (data[digits] == '0' && at - digits > 1)) {
    return std::string_view::npos;
  }
  return at;
}

// A text delta in the compact form Anthropic writes it,
//   {"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"..."}}
// : its text as JSON string text (quotes included), found by a scan of the event without
// parsing it (the most frequent event of every stream; issue 18 point 4). "" for any other
// form, and for text with escapes other than \n \r \t \" \\ \b \f, which the DOM path then
// writes in the same bytes this copy would.
std::string_view RawTextDelta(std::string_view data) {
  constexpr std::string_view kHead = R"({"type":"content_block_delta","index":)";
  constexpr std::string_view kMiddle = R"(,"delta":{"type":"text_delta","text":")";
  if (!data.starts_with(kHead)) return {};
  size_t at = IndexEnd(data, kHead.size());
  if (at == std::string_view::npos || data.substr(at, kMiddle.size()) != kMiddle) return {};
  const size_t open = at + kMiddle.size() - 1;  // the string's opening quote
  bool ascii;
  at = CopyableJsonStringEnd(data, open, &ascii);
  if (at == std::string_view::npos || data.substr(at + 1) != "}}") return {};
  const std::string_view text = data.substr(open, at + 1 - open);
  if (!ascii && !simdjson::validate_utf8(text.data(), text.size())) return {};
  return text;
}

// The block index N of an event whose compact form is known but for N, `head` N `tail` (a
// block's stop, a text block's start), found by comparing the bytes (issue 18 point 4);
// nothing for any other bytes.
std::optional<int64_t> RawBlockEvent(std::string_view data, std::string_view head,
                                     std::string_view tail) {
  if (!data.starts_with(head)) return std::nullopt;
  const size_t end = IndexEnd(data, head.size());
  if (end == std::string_view::npos || data.substr(end) != tail) return std::nullopt;
  int64_t index = 0;
  for (char c : data.substr(head.size(), end - head.size())) index = index * 10 + (c - '0');
  return index;
}

class AnthropicToOpenAiStream : public SseStreamTranslator {
 public:
  explicit AnthropicToOpenAiStream(bool include_usage) : include_usage_(include_usage) {}

  absl::Status Finish(std::string* client) override {
    if (!done()) {
      return absl::UnavailableError("the anthropic stream ended before message_stop");
    }
    (void)client;
    return absl::OkStatus();
  }

 private:
  // One chunk around `delta` (JSON text), in a fixed frame with OpenAI's key order (id,
  // object, created, model, choices): only the delta is serialized per chunk.
  void RawChunk(std::string_view delta, std::string* client, std::string_view finish = "null") {
    ChunkHead(client);
    client->append(delta);
    ChunkTail(client, finish);
  }
  // The frame around a delta written in place (the fast paths write the delta themselves).
  // (Composed once per stream: the id and model are known from message_start on.)
  void ChunkHead(std::string* client) {
    if (head_.empty()) {
      head_ = StrCat("data: {\"id\":", id_json_,
                     ",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":",
                     model_json_, ",\"choices\":[{\"index\":0,\"delta\":");
    }
    client->append(head_);
  }
  static void ChunkTail(std::string* client, std::string_view finish = "null") {
    if (finish == "null") {
      client->append(std::string_view(",\"finish_reason\":null}]}\n\n"));
      return;
    }
    constexpr std::string_view kFinish = ",\"finish_reason\":";
    constexpr std::string_view kEnd = "}]}\n\n";
    client->append(kFinish).append(finish).append(kEnd);
  }
  // A text delta's chunk: its frame up to the text composed once per stream, the text's JSON
  // string, the tail.
  void TextChunk(std::string_view text, std::string* client) {
    if (text_head_.empty()) {
      ChunkHead(&text_head_);
      text_head_.append("{\"content\":");
    }
    client->append(text_head_).append(text).append(kOpenTextChunkTail);
  }
  // message_start: the id, model and input usage; then the role chunk.
  void Start(std::string_view id, std::string_view model, std::string* client) {
    id_ = std::string(id);
    model_ = std::string(model);
    id_json_.clear();
    AppendJsonString(&id_json_, id_);
    model_json_.clear();
    AppendJsonString(&model_json_, model_);
    head_.clear();
    text_head_.clear();
    RawChunk("{\"role\":\"assistant\",\"content\":\"\"}", client);
  }
  void Chunk(const json& delta, std::string* client, const json& finish = nullptr) {
    RawChunk(DumpJson(delta), client, DumpJson(finish));
  }
  static void AppendChunk(const json& chunk, std::string* client) {
    client->append("data: ").append(DumpJson(chunk)).append("\n\n");
  }

  // A JSON string value appended as JSON text: quoted as it is when nothing in it needs
  // escaping (the common case), else simdjson's own serialization.
  static void AppendJsonText(simdjson::dom::element value, std::string* out) {
    std::string_view text;
    if (!value.get(text) && std::none_of(text.begin(), text.end(), [](char c) {
          return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
        })) {
      out->append("\"").append(text).append("\"");
      return;
    }
    out->append(simdjson::to_string(value));
  }

  // A block's stop: a tool with no argument fragments still gets valid JSON arguments.
  void BlockStop(int64_t index, std::string* client) {
    auto tool = tools_.find(index);
    if (tool != tools_.end() && !tool->second.second) {
      RawChunk(StrCat("{\"tool_calls\":[{\"function\":{\"arguments\":\"{}\"},\"index\":",
                      tool->second.first, "}]}"),
               client);
      tool->second.second = true;
    }
  }

  // The frequent events (text, argument and thinking deltas, block stops, pings, the final
  // stop without usage) take a fast path: simdjson's DOM (which validates the whole event) and
  // the delta's own JSON string copied into the chunk. False when the event is not one of them
  // (the general path below handles it); the bytes are the same either way.
  bool FastDelta(std::string_view data, std::string* client) {
    if (const std::string_view text = RawTextDelta(data); !text.empty()) {
      TextChunk(text, client);
      // The deltas after it that differ only in their text (the rest of the block, as a rule)
      // are written without being read: TextChunk() depends on nothing they could change.
      RepeatText(data, text, text_head_, kOpenTextChunkTail, /*skip_empty=*/false);
      return true;
    }
    // Events whose every byte is known in Anthropic's compact form: no parse.
    if (data == R"({"type":"message_stop"})" && !include_usage_) {
      client->append("data: [DONE]\n\n");
      Done();
      return true;
    }
    if (data == R"({"type":"ping"})") return true;
    if (const std::optional<int64_t> index =
            RawBlockEvent(data, R"({"type":"content_block_stop","index":)", "}")) {
      BlockStop(*index, client);
      return true;
    }
    if (RawBlockEvent(data, R"({"type":"content_block_start","index":)",
                      R"(,"content_block":{"type":"text","text":""}})")) {
      return true;  // a text block starts with nothing to send
    }
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element event;
    std::string_view type;
    simdjson::dom::object delta;
    std::string_view kind;
    if (parser.parse(data.data(), data.size()).get(event) || event["type"].get(type)) {
      return false;
    }
    if (type == "ping") return true;
    if (type == "message_start") {
      simdjson::dom::object message;
      std::string_view id, model;
      if (event["message"].get(message) || message["id"].get(id) || message["model"].get(model)) {
        return false;
      }
      if (simdjson::dom::element usage; !message["usage"].get(usage)) {
        if (!usage.is_object()) return false;
        // (Read again only for the usage chunk, which only a client that asked for it gets.)
        if (include_usage_) input_usage_text_ = simdjson::to_string(usage);
      }
      Start(id, model, client);
      return true;
    }
    if (type == "content_block_start") {
      // Text and thinking blocks start with nothing to send; a tool's start is a chunk.
      simdjson::dom::object block;
      std::string_view kind;
      if (event["content_block"].get(block) || block["type"].get(kind)) return false;
      return kind == "text" || kind == "thinking";
    }
    if (type == "message_stop" && !include_usage_) {
      client->append("data: [DONE]\n\n");
      Done();
      return true;
    }
    if (type == "message_delta") {
      // Everything read first: an unexpected shape goes to the general path untouched.
      simdjson::dom::element usage;
      const bool has_usage = !event["usage"].get(usage);
      int64_t tokens = 0;
      if (has_usage) {
        simdjson::dom::element count;
        if (!usage.is_object() || (!usage["output_tokens"].get(count) && count.get(tokens))) {
          return false;
        }
      }
      simdjson::dom::element delta_value;
      simdjson::dom::element stop;
      std::string_view stop_reason;
      const bool has_stop = !event["delta"].get(delta_value) && delta_value.is_object() &&
                            !delta_value["stop_reason"].get(stop) && !stop.get(stop_reason);
      if (has_usage) output_tokens_ = tokens;
      if (has_stop) {
        RawChunk("{}", client,
                 StrCat("\"", FinishReasonOfAnthropic(stop_reason, next_tool_ > 0), "\""));
      }
      return true;
    }
    if (type == "content_block_stop") {
      int64_t index = 0;
      if (event["index"].get(index)) return false;
      BlockStop(index, client);
      return true;
    }
    if (type != "content_block_delta" || event["delta"].get(delta) || delta["type"].get(kind)) {
      return false;
    }
    simdjson::dom::element value;
    if (kind == "text_delta" || kind == "thinking_delta") {
      if (delta[kind == "text_delta" ? "text" : "thinking"].get(value) || !value.is_string()) {
        return false;
      }
      ChunkHead(client);
      client->append(kind == "text_delta" ? "{\"content\":" : "{\"reasoning_content\":");
      AppendJsonText(value, client);
      client->append("}");
      ChunkTail(client);
      return true;
    }
    int64_t index = 0;
    std::string_view fragment;
    if (kind != "input_json_delta" || event["index"].get(index) ||
        delta["partial_json"].get(value) || value.get(fragment)) {
      return false;
    }
    auto tool = tools_.find(index);
    if (fragment.empty() || tool == tools_.end()) return true;  // nothing to send
    tool->second.second = true;
    ChunkHead(client);
    client->append("{\"tool_calls\":[{\"function\":{\"arguments\":");
    AppendJsonText(value, client);
    common::StrAppend(client, "},\"index\":", tool->second.first, "}]}");
    ChunkTail(client);
    return true;
  }

  absl::Status OnEvent(std::string_view data, std::string* client) override {
    if (FastDelta(data, client)) return absl::OkStatus();
    const json message = json::parse(data, nullptr, false);
    if (!message.is_object()) return Invalid("the anthropic stream sent an event that is not JSON");
    const std::string type = StringMember(message, "type");
    if (type == "message_start") {
      const json* start = FindMember(message, "message");
      if (start != nullptr) {
        if (const json* usage = FindMember(*start, "usage")) input_usage_text_ = DumpJson(*usage);
      }
      Start(start != nullptr ? StringMember(*start, "id") : "",
            start != nullptr ? StringMember(*start, "model") : "", client);
    } else if (type == "content_block_start") {
      const json* block = FindMember(message, "content_block");
      const int64_t index = IntMember(message, "index", -1);
      if (block != nullptr && StringMember(*block, "type") == "tool_use") {
        const int tool = next_tool_++;
        tools_[index] = {tool, false};
        Chunk({{"tool_calls",
                json::array({{{"index", tool},
                              {"id", StringMember(*block, "id")},
                              {"type", "function"},
                              {"function", {{"name", StringMember(*block, "name")},
                                            {"arguments", ""}}}}})}},
              client);
      }
    } else if (type == "content_block_delta") {
      const json* delta = FindMember(message, "delta");
      if (delta == nullptr) return absl::OkStatus();
      const std::string kind = StringMember(*delta, "type");
      if (kind == "text_delta") {
        Chunk({{"content", StringMember(*delta, "text")}}, client);
      } else if (kind == "input_json_delta") {
        const std::string fragment = StringMember(*delta, "partial_json");
        auto tool = tools_.find(IntMember(message, "index", -1));
        if (!fragment.empty() && tool != tools_.end()) {
          tool->second.second = true;
          Chunk({{"tool_calls", json::array({{{"index", tool->second.first},
                                               {"function", {{"arguments", fragment}}}}})}},
                client);
        }
      } else if (kind == "thinking_delta") {
        Chunk({{"reasoning_content", StringMember(*delta, "thinking")}}, client);
      }
    } else if (type == "content_block_stop") {
      auto tool = tools_.find(IntMember(message, "index", -1));
      if (tool != tools_.end() && !tool->second.second) {
        // A tool with no argument fragments still gets valid JSON arguments.
        Chunk({{"tool_calls", json::array({{{"index", tool->second.first},
                                             {"function", {{"arguments", "{}"}}}}})}},
              client);
        tool->second.second = true;
      }
    } else if (type == "message_delta") {
      if (const json* usage = FindMember(message, "usage")) output_tokens_ = OutputTokens(*usage);
      const json* delta = FindMember(message, "delta");
      const json* stop = delta != nullptr ? FindMember(*delta, "stop_reason") : nullptr;
      if (stop != nullptr && stop->is_string()) {
        Chunk(json::object(), client,
              FinishReasonOfAnthropic(stop->get<std::string>(), next_tool_ > 0));
      }
    } else if (type == "message_stop") {
      if (include_usage_) {
        AppendChunk(
            {{"id", id_},
             {"object", "chat.completion.chunk"},
             {"created", 0},
             {"model", model_},
             {"choices", json::array()},
             {"usage", UsageOfAnthropic(input_usage_text_.empty()
                                            ? json::object()
                                            : json::parse(input_usage_text_, nullptr, false),
                                        output_tokens_)}},
            client);
      }
      client->append("data: [DONE]\n\n");
      Done();
    } else if (type == "error") {
      const json* error = FindMember(message, "error");
      common::ApiError api;
      api.http_status = 502;
      api.is_bifrost_error = false;
      api.type = error != nullptr ? StringMember(*error, "type") : "";
      if (api.type.empty()) api.type = "upstream_error";
      api.code = api.type;
      api.message = error != nullptr ? StringMember(*error, "message") : "";
      if (api.message.empty()) api.message = "the anthropic stream reported an error";
      client->append("data: ").append(common::ErrorEnvelopeJson(api)).append("\n\n");
      Done();
    }
    // ping and unknown events: nothing to send.
    return absl::OkStatus();
  }

  const bool include_usage_;
  std::string id_;
  std::string model_;
  std::string id_json_ = "\"\"";     // id_ and model_ as JSON strings
  std::string model_json_ = "\"\"";
  std::string head_;  // the frame of every chunk up to its delta
  std::string text_head_;         // head_ and {"content":
  std::string input_usage_text_;  // message_start's usage, as JSON text
  int64_t output_tokens_ = 0;
  int next_tool_ = 0;
  std::map<int64_t, std::pair<int, bool>> tools_;  // block index -> (tool index, args seen)
};

// The fast paths (issue 18 point 4): the common shapes read with simdjson's DOM (which
// validates the whole document) and written into one buffer, in the same order and bytes as
// the general path below writes them; anything else returns nullopt and takes that path.

// A chat of text messages only (text_chat.h): what most clients send.
std::optional<std::string> FastOpenAiToAnthropicRequest(std::string_view openai_body,
                                                        std::string_view model, bool stream,
                                                        std::string_view anthropic_version) {
  std::optional<TextChat> chat = ReadTextChat(openai_body);
  if (!chat) return std::nullopt;
  std::string out;
  out.reserve(openai_body.size() + 128);
  if (anthropic_version.empty()) {
    out.append("{\"model\":");
    AppendJsonString(&out, model);
  } else {
    out.append("{\"anthropic_version\":");
    AppendJsonString(&out, anthropic_version);
  }
  constexpr std::string_view kTextPart = "{\"type\":\"text\",\"text\":";
  if (chat->has_system()) {
    out.append(",\"system\":[");
    AppendSystemParts(*chat, kTextPart, &out);
    out.append("]");
  }
  out.append(",\"messages\":");
  AppendTurns(*chat, "content", kTextPart, [](std::string_view role) { return role; }, &out);
  common::StrAppend(&out, ",\"max_tokens\":",
                    chat->max_tokens.value_or(kAnthropicDefaultMaxTokens));
  if (!chat->temperature.empty()) out.append(",\"temperature\":").append(chat->temperature);
  if (!chat->top_p.empty()) out.append(",\"top_p\":").append(chat->top_p);
  if (stream) out.append(",\"stream\":true");
  out.append("}");
  return out;
}

// An answer of text, tool_use and thinking blocks.
std::optional<std::string> FastAnthropicToOpenAiResponse(std::string_view anthropic_body) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object in;
  if (parser.parse(anthropic_body.data(), anthropic_body.size()).get(in)) return std::nullopt;
  auto text_of = [](simdjson::dom::object object, std::string_view key) {
    std::string_view value;
    return object[key].get(value) ? std::string_view() : value;
  };
  auto int_of = [](simdjson::dom::object object, std::string_view key) {
    int64_t value = 0;
    return object[key].get(value) ? int64_t{0} : value;
  };
  std::string text;
  std::string reasoning;
  std::string calls;  // the tool_calls array's members, written as they come
  int call_count = 0;
  simdjson::dom::element content;
  if (!in["content"].get(content) && content.is_array()) {
    for (simdjson::dom::element element : content.get_array()) {
      simdjson::dom::object block;
      if (element.get(block)) continue;
      const std::string_view type = text_of(block, "type");
      if (type == "text") {
        text.append(text_of(block, "text"));
      } else if (type == "thinking") {
        reasoning.append(text_of(block, "thinking"));
      } else if (type == "tool_use") {
        if (call_count++ > 0) calls.append(",");
        calls.append("{\"id\":");
        AppendJsonString(&calls, text_of(block, "id"));
        calls.append(",\"type\":\"function\",\"function\":{\"name\":");
        AppendJsonString(&calls, text_of(block, "name"));
        calls.append(",\"arguments\":");
        simdjson::dom::element input;
        AppendJsonString(&calls, block["input"].get(input) ? std::string("{}")
                                                           : simdjson::to_string(input));
        calls.append("}}");
      }  // other blocks: skipped, as the general path does
    }
  }
  simdjson::dom::object usage;
  const bool has_usage = !in["usage"].get(usage);
  const int64_t cache_read = has_usage ? int_of(usage, "cache_read_input_tokens") : 0;
  const int64_t prompt = has_usage ? int_of(usage, "input_tokens") + cache_read +
                                         int_of(usage, "cache_creation_input_tokens")
                                   : 0;
  const int64_t output = has_usage ? int_of(usage, "output_tokens") : 0;
  std::string out;
  out.reserve(anthropic_body.size() + 256);
  out.append("{\"id\":");
  AppendJsonString(&out, text_of(in, "id"));
  out.append(",\"object\":\"chat.completion\",\"created\":0,\"model\":");
  AppendJsonString(&out, text_of(in, "model"));
  out.append(",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
  if (text.empty() && call_count > 0) {
    out.append("null");
  } else {
    AppendJsonString(&out, text);
  }
  if (call_count > 0) out.append(",\"tool_calls\":[").append(calls).append("]");
  if (!reasoning.empty()) {
    out.append(",\"reasoning_content\":");
    AppendJsonString(&out, reasoning);
  }
  out.append("},\"finish_reason\":\"")
      .append(FinishReasonOfAnthropic(text_of(in, "stop_reason"), call_count > 0))
      .append("\"}],\"usage\":{\"prompt_tokens\":");
  common::StrAppend(&out, prompt, ",\"completion_tokens\":", output, ",\"total_tokens\":",
                    prompt + output, ",\"prompt_tokens_details\":{\"cached_tokens\":",
                    cache_read, "}}}");
  return out;
}

}  // namespace

absl::StatusOr<std::string> OpenAiToAnthropicRequest(std::string_view openai_body,
                                                     std::string_view model, bool stream,
                                                     std::string_view anthropic_version) {
  if (std::optional<std::string> fast =
          FastOpenAiToAnthropicRequest(openai_body, model, stream, anthropic_version)) {
    return *std::move(fast);
  }
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  if (const json* n = FindMember(in, "n"); n != nullptr && (!n->is_number_integer() || *n != 1)) {
    return Invalid("n must be 1 for anthropic providers");
  }
  const json* messages = FindMember(in, "messages");
  if (messages == nullptr || !messages->is_array()) return Invalid("messages must be an array");

  json out = anthropic_version.empty()
                 ? json{{"model", std::string(model)}}
                 : json{{"anthropic_version", std::string(anthropic_version)}};
  json system = json::array();
  json turns = json::array();
  for (const json& message : *messages) {
    const std::string role = message.is_object() ? StringMember(message, "role") : "";
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
      absl::StatusOr<std::vector<ParsedToolCall>> calls = AssistantToolCalls(message);
      if (!calls.ok()) return calls.status();
      for (ParsedToolCall& call : *calls) {
        blocks->push_back({{"type", "tool_use"},
                           {"id", std::move(call.id)},
                           {"name", std::move(call.name)},
                           {"input", call.arguments.is_object() ? std::move(call.arguments)
                                                                : json::object()}});
      }
      AddTurn(turns, "assistant", *std::move(blocks));
    } else if (role == "tool") {
      json result{{"type", "tool_result"}, {"tool_use_id", StringMember(message, "tool_call_id")}};
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
    if (const json* value = FindMember(in, key); value != nullptr && value->is_number_integer()) {
      max_tokens = value->get<int64_t>();
      break;
    }
  }
  out["max_tokens"] = max_tokens;
  for (const char* key : {"temperature", "top_p"}) {
    if (const json* value = FindMember(in, key)) out[key] = *value;
  }
  if (const json* stop = FindMember(in, "stop")) {
    out["stop_sequences"] = stop->is_string() ? json::array({*stop}) : *stop;
  }
  if (const json* user = FindMember(in, "user"); user != nullptr && user->is_string()) {
    out["metadata"] = {{"user_id", *user}};
  }
  if (const json* tools = FindMember(in, "tools")) {
    if (!tools->is_array()) return Invalid("tools must be an array");
    json converted = json::array();
    for (const json& tool : *tools) {
      const json* function = FindMember(tool, "function");
      if (function == nullptr) return Invalid("tools must be of type function");
      json entry{{"name", StringMember(*function, "name")}};
      if (const json* description = FindMember(*function, "description")) {
        entry["description"] = *description;
      }
      const json* parameters = FindMember(*function, "parameters");
      entry["input_schema"] = parameters != nullptr ? *parameters
                                                    : json{{"type", "object"}, {"properties", json::object()}};
      converted.push_back(std::move(entry));
    }
    out["tools"] = std::move(converted);
  }
  json choice;
  if (const json* tool_choice = FindMember(in, "tool_choice")) {
    if (tool_choice->is_string()) {
      const std::string mode = tool_choice->get<std::string>();
      if (mode == "auto") choice = {{"type", "auto"}};
      else if (mode == "none") choice = {{"type", "none"}};
      else if (mode == "required") choice = {{"type", "any"}};
      else return Invalid("tool_choice must be auto, none, required or a function");
    } else if (const json* function = FindMember(*tool_choice, "function")) {
      choice = {{"type", "tool"}, {"name", StringMember(*function, "name")}};
    } else {
      return Invalid("tool_choice must be auto, none, required or a function");
    }
  }
  if (const json* parallel = FindMember(in, "parallel_tool_calls");
      parallel != nullptr && parallel->is_boolean() && !parallel->get<bool>()) {
    if (choice.is_null()) choice = {{"type", "auto"}};
    if (choice["type"] != "none") choice["disable_parallel_tool_use"] = true;
  }
  if (!choice.is_null()) out["tool_choice"] = std::move(choice);
  if (const json* format = FindMember(in, "response_format")) {
    if (absl::Status status = ResponseFormat(*format, out); !status.ok()) return status;
  }
  if (stream) out["stream"] = true;
  return DumpJson(out);
}

absl::StatusOr<std::string> AnthropicToOpenAiResponse(std::string_view anthropic_body) {
  if (std::optional<std::string> fast = FastAnthropicToOpenAiResponse(anthropic_body)) {
    return *std::move(fast);
  }
  const json in = json::parse(anthropic_body, nullptr, false);
  if (!in.is_object()) return Invalid("the anthropic response is not a JSON object");
  std::string text;
  json tool_calls = json::array();
  std::string reasoning;
  if (const json* content = FindMember(in, "content"); content != nullptr && content->is_array()) {
    for (const json& block : *content) {
      const std::string type = StringMember(block, "type");
      if (type == "text") {
        text += StringMember(block, "text");
      } else if (type == "tool_use") {
        tool_calls.push_back({{"id", StringMember(block, "id")},
                              {"type", "function"},
                              {"function",
                               {{"name", StringMember(block, "name")},
                                {"arguments", DumpJson(block.contains("input") ? block["input"]
                                                                           : json::object())}}}});
      } else if (type == "thinking") {
        reasoning += StringMember(block, "thinking");
      }
    }
  }
  const bool has_tool_calls = !tool_calls.empty();
  json message{{"role", "assistant"},
               {"content", text.empty() && !tool_calls.empty() ? json(nullptr) : json(text)}};
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  if (!reasoning.empty()) message["reasoning_content"] = reasoning;
  const std::string stop = StringMember(in, "stop_reason");
  const json usage = in.contains("usage") ? in["usage"] : json::object();
  json out{{"id", StringMember(in, "id")},
           {"object", "chat.completion"},
           {"created", 0},
           {"model", StringMember(in, "model")},
           {"choices",
            json::array({{{"index", 0},
                          {"message", std::move(message)},
                          {"finish_reason", FinishReasonOfAnthropic(stop, has_tool_calls)}}})},
           {"usage", UsageOfAnthropic(usage, OutputTokens(usage))}};
  return DumpJson(out);
}

std::unique_ptr<StreamTranslator> NewAnthropicToOpenAiStream(bool include_usage) {
  return std::make_unique<AnthropicToOpenAiStream>(include_usage);
}


}  // namespace switchyard::dp
