#include "data-plane/providers/gemini/openai_gemini.h"

#include <openssl/evp.h>

#include <cstring>
#include <map>
#include <optional>
#include <vector>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "common/errors.h"
#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/embeddings.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/sse.h"
#include "data-plane/providers/text_chat.h"

namespace switchyard::dp {
namespace {

using namespace std::string_view_literals;  // DOM keys with their length: no strlen


using common::StrCat;
using json = nlohmann::ordered_json;

// The MIME type of an image URL's extension, or "".
std::string ImageType(std::string_view url) {
  const size_t query = url.find_first_of("?#");
  std::string path(url.substr(0, query));
  for (char& c : path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".png", "image/png"},   {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
      {".webp", "image/webp"}, {".gif", "image/gif"},  {".heic", "image/heic"},
      {".heif", "image/heif"}};
  for (const auto& [extension, type] : kTypes) {
    if (path.ends_with(extension)) return std::string(type);
  }
  return "";
}

// An OpenAI content value as Gemini parts.
absl::StatusOr<json> Parts(const json& content) {
  json parts = json::array();
  if (content.is_null()) return parts;
  if (content.is_string()) {
    if (!content.get_ref<const std::string&>().empty()) parts.push_back({{"text", content}});
    return parts;
  }
  if (!content.is_array()) return Invalid("message content must be a string or an array of parts");
  for (const json& part : content) {
    const std::string type = StringMember(part, "type");
    if (type == "text") {
      parts.push_back({{"text", StringMember(part, "text")}});
    } else if (type == "image_url") {
      const json* image = FindMember(part, "image_url");
      const std::string url = image != nullptr ? StringMember(*image, "url") : "";
      if (url.starts_with("data:")) {
        absl::StatusOr<ImageData> data = SplitImageDataUrl(url);
        if (!data.ok()) return data.status();
        parts.push_back({{"inlineData", {{"mimeType", std::move(data->mime_type)},
                                         {"data", std::move(data->base64)}}}});
      } else if (url.starts_with("http://") || url.starts_with("https://") ||
                 url.starts_with("gs://")) {
        const std::string mime = ImageType(url);
        if (mime.empty()) {
          return Invalid("image URLs for gemini providers need an image extension (.png, .jpg, "
                         ".jpeg, .webp, .gif, .heic, .heif) or a data: URL");
        }
        parts.push_back({{"fileData", {{"mimeType", mime}, {"fileUri", url}}}});
      } else {
        return Invalid("image URLs must be data:, http(s): or gs: URLs");
      }
    } else {
      return absl::UnimplementedError(StrCat("content parts of type ", type,
                                             " are not translated for gemini providers yet"));
    }
  }
  return parts;
}

// Appends a Content, merging it into the previous one when the role repeats (consecutive tool
// results become one user Content of functionResponse parts).
void AddContent(json& contents, const char* role, json parts) {
  if (parts.empty()) return;
  if (!contents.empty() && contents.back()["role"] == role) {
    for (json& part : parts) contents.back()["parts"].push_back(std::move(part));
    return;
  }
  contents.push_back({{"role", role}, {"parts", std::move(parts)}});
}

std::string FinishReasonOfGemini(std::string_view reason, bool tool_calls) {
  if (reason == "MAX_TOKENS") return "length";
  if (reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" ||
      reason == "PROHIBITED_CONTENT" || reason == "SPII" || reason == "IMAGE_SAFETY" ||
      reason == "LANGUAGE") {
    return "content_filter";
  }
  if (reason == "MALFORMED_FUNCTION_CALL") return "tool_calls";
  return tool_calls ? "tool_calls" : "stop";
}

json UsageOfGemini(const json& metadata) {
  const int64_t prompt = IntMember(metadata, "promptTokenCount");
  const int64_t thoughts = IntMember(metadata, "thoughtsTokenCount");
  const int64_t completion = IntMember(metadata, "candidatesTokenCount") + thoughts;
  int64_t total = IntMember(metadata, "totalTokenCount");
  if (total == 0) total = prompt + completion;
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", total},
          {"prompt_tokens_details", {{"cached_tokens", IntMember(metadata, "cachedContentTokenCount")}}},
          {"completion_tokens_details", {{"reasoning_tokens", thoughts}}}};
}

// A functionCall part -> an OpenAI tool call (`number` names calls without an id).
json ToolCall(const json& part, const json& call, int number) {
  std::string id = StringMember(call, "id");
  if (id.empty()) id = StrCat("call_", number);
  const json* args = FindMember(call, "args");
  json out{{"id", id},
           {"type", "function"},
           {"function", {{"name", StringMember(call, "name")},
                         {"arguments", DumpJson(args != nullptr ? *args : json::object())}}}};
  if (std::string signature = StringMember(part, "thoughtSignature"); !signature.empty()) {
    out["extra_content"] = {{"google", {{"thought_signature", signature}}}};
  }
  return out;
}

class GeminiToOpenAiStream : public SseStreamTranslator {
 public:
  GeminiToOpenAiStream(std::string_view model, bool include_usage)
      : model_(model), include_usage_(include_usage) {}

  absl::Status Finish(std::string* client) override {
    if (done()) return absl::OkStatus();
    if (!finished_) {
      return absl::UnavailableError("the gemini stream ended before its finishReason");
    }
    if (include_usage_) {
      const json usage = usage_text_.empty() ? json::object()
                                             : json::parse(usage_text_, nullptr, false);
      Append({{"id", id_},
              {"object", "chat.completion.chunk"},
              {"created", 0},
              {"model", model_},
              {"choices", json::array()},
              {"usage", UsageOfGemini(usage)}},
             client);
    }
    client->append("data: [DONE]\n\n");
    Done();
    return absl::OkStatus();
  }

 private:
  static void Append(const json& chunk, std::string* client) {
    client->append("data: ").append(DumpJson(chunk)).append("\n\n");
  }
  void Chunk(int64_t choice, json delta, std::string* client, json finish = nullptr) {
    Append({{"id", id_}, {"object", "chat.completion.chunk"}, {"created", 0}, {"model", model_},
            {"choices", json::array({{{"index", choice}, {"delta", std::move(delta)},
                                      {"finish_reason", std::move(finish)}}})}},
           client);
  }

  // The frame of one chunk around a delta written in place: the same bytes as Chunk() writes.
  // (Up to the choice's index it is composed once, again only when the id or model changes.)
  void ChunkHead(int64_t choice, std::string* client) {
    if (head_.empty()) {
      head_ = "data: {\"id\":";
      AppendJsonString(&head_, id_);
      head_.append(",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":");
      AppendJsonString(&head_, model_);
      head_.append(",\"choices\":[{\"index\":");
    }
    client->append(head_);
    if (choice == 0) {
      constexpr std::string_view kFirst = "0,\"delta\":";
      client->append(kFirst);
    } else {
      common::StrAppend(client, choice, ",\"delta\":");
    }
  }
  static void ChunkTail(std::string_view finish, std::string* client) {
    constexpr std::string_view kFinish = ",\"finish_reason\":";
    constexpr std::string_view kEnd = "}]}\n\n";
    client->append(kFinish).append(finish).append(kEnd);
  }
  void SetModel(std::string_view model) {
    if (model == model_) return;
    model_.assign(model);
    head_.clear();
  }
  void SetId(std::string_view id) {
    id_.assign(id);
    head_.clear();
  }

  // A text of a part: its JSON string token as it is (quotes included) when it can be copied
  // unchanged (CopyableJsonStringEnd), else its unescaped value, written again.
  struct Text {
    std::string_view text;
    bool copy;
    bool reasoning;
  };

  // A key as the event wrote it (no unescaping): a key written with an escape (which Gemini
  // never does) makes the caller take the general path, so that an escaped "index" is never
  // taken for an unknown key and skipped.
  static bool KeyIs(simdjson::ondemand::raw_json_string key, std::string_view name) {
    return key.unsafe_is_equal(name);
  }
  static bool HasEscape(simdjson::ondemand::raw_json_string key) {
    for (const char* at = key.raw(); *at != '"'; ++at) {
      if (*at == '\\') return true;
    }
    return false;
  }

  // The fields of the frequent event (one candidate whose parts are all text, its
  // finishReason, usage; issue 18 point 4), read before anything is written.
  struct TextEvent {
    Text texts[8];
    size_t count = 0;
    int64_t choice = 0;
    std::string_view reason;
    std::string_view response_id;
    std::string_view model_version;
    std::string_view usage;
  };

  // An event of one text part and nothing else to write (no finishReason): the events after it
  // that are its bytes but for that text (how Gemini streams: the same candidate, role, usage,
  // model version and id around each new text; issue 18 point 4) are written without being
  // read (RepeatText). Reading one would change nothing this one's reading did not: the id is
  // kept, the model, usage and started choice are this event's.
  void RepeatTextEvents(std::string_view data, const TextEvent& event) {
    if (event.count != 1 || !event.texts[0].copy || !event.reason.empty()) return;
    std::string frame;
    ChunkHead(event.choice, &frame);
    frame.append(event.texts[0].reasoning ? "{\"reasoning_content\":"sv : "{\"content\":"sv);
    RepeatText(data, event.texts[0].text, frame, kOpenTextChunkTail, /*skip_empty=*/true);
  }

  // The frequent event read in one pass with simdjson's On Demand API (no DOM: the fields are
  // visited in the order they come, keys compared as written, the rest skipped) and written
  // into the client's buffer, texts copied as they are where they can be; false for any other
  // shape, which the general path handles (the bytes are the same).
  // `data` has kSsePadding readable bytes after it (sse.h), as On Demand needs.
  bool FastEvent(std::string_view data, std::string* client) {
    namespace od = simdjson::ondemand;
    thread_local od::parser parser;
    od::document doc;
    od::object object;
    TextEvent event;
    if (parser.iterate(data.data(), data.size(), data.size() + kSsePadding).get(doc) ||
        doc.get_object().get(object) || !ReadTextEvent(object, &event)) {
      return false;
    }
    // (Anything after the object: not JSON, which the general path says.)
    if (const char* rest = nullptr; !doc.current_location().get(rest)) return false;
    WriteTextEvent(event, client);
    RepeatTextEvents(data, event);
    return true;
  }

  static bool ReadTextEvent(simdjson::ondemand::object& object, TextEvent* event) {
    namespace od = simdjson::ondemand;
    bool has_candidate = false;
    for (auto field : object) {
      od::raw_json_string key;
      od::value value;
      if (field.key().get(key) || field.value().get(value)) return false;
      if (KeyIs(key, "candidates"sv)) {
        od::array candidates;
        if (value.get_array().get(candidates)) return false;
        for (auto element : candidates) {
          od::object candidate;
          if (has_candidate || element.get_object().get(candidate)) return false;  // one only
          has_candidate = true;
          if (!ReadCandidate(candidate, event)) return false;
        }
      } else if (KeyIs(key, "responseId"sv)) {
        if (value.get_string().get(event->response_id)) return false;
      } else if (KeyIs(key, "modelVersion"sv)) {
        if (value.get_string().get(event->model_version)) return false;
      } else if (KeyIs(key, "usageMetadata"sv)) {
        od::json_type type;
        if (value.type().get(type)) return false;
        if (type == od::json_type::object) {
          od::object usage;
          if (value.get_object().get(usage) || usage.raw_json().get(event->usage)) return false;
        } else if (type != od::json_type::null) {
          return false;
        }
      } else if (KeyIs(key, "error"sv) || KeyIs(key, "promptFeedback"sv) || HasEscape(key)) {
        return false;
      }
      // (Any other field is skipped.)
    }
    return has_candidate;
  }

  // One text's chunk.
  void WriteText(int64_t choice, const Text& text, std::string* client) {
    ChunkHead(choice, client);
    client->append(text.reasoning ? "{\"reasoning_content\":"sv : "{\"content\":"sv);
    if (text.copy) {
      client->append(text.text);
    } else {
      AppendJsonString(client, text.text);
    }
    client->append(kOpenTextChunkTail);
  }

  void WriteTextEvent(const TextEvent& event, std::string* client) {
    if (id_.empty() && !event.response_id.empty()) SetId(event.response_id);
    if (!event.model_version.empty()) SetModel(event.model_version);
    if (!event.usage.empty()) usage_text_.assign(event.usage);  // cumulative: the last counts
    Start(event.choice, client);
    for (size_t i = 0; i < event.count; ++i) WriteText(event.choice, event.texts[i], client);
    if (!event.reason.empty()) {
      ChunkHead(event.choice, client);
      client->append("{}"sv);
      const bool tools = choices_[event.choice].tools > 0;
      ChunkTail(common::StrCat("\"", FinishReasonOfGemini(event.reason, tools), "\""), client);
      finished_ = true;
    }
  }

  // One candidate of a text event: its index, text parts (a part that is not text: false)
  // and finishReason.
  static bool ReadCandidate(simdjson::ondemand::object& candidate, TextEvent* event) {
    namespace od = simdjson::ondemand;
    for (auto field : candidate) {
      od::raw_json_string key;
      od::value value;
      if (field.key().get(key) || field.value().get(value)) return false;
      if (KeyIs(key, "index"sv)) {
        if (value.get_int64().get(event->choice)) return false;
      } else if (KeyIs(key, "finishReason"sv)) {
        if (value.get_string().get(event->reason)) return false;
      } else if (KeyIs(key, "content"sv)) {
        od::object content;
        if (value.get_object().get(content)) return false;
        for (auto content_field : content) {
          od::raw_json_string content_key;
          od::value parts_value;
          if (content_field.key().get(content_key) || content_field.value().get(parts_value)) {
            return false;
          }
          if (!KeyIs(content_key, "parts"sv)) {
            if (HasEscape(content_key)) return false;
            continue;
          }
          od::array parts;
          if (parts_value.get_array().get(parts)) return false;
          for (auto element : parts) {
            od::object part;
            if (element.get_object().get(part)) return false;
            Text text{};
            bool has_text = false;
            for (auto part_field : part) {
              od::raw_json_string part_key;
              od::value part_value;
              if (part_field.key().get(part_key) || part_field.value().get(part_value)) {
                return false;
              }
              if (KeyIs(part_key, "text"sv)) {
                // (UTF-8: On Demand's stage 1 validated the whole event.)
                const std::string_view token = part_value.raw_json_token();
                bool ascii;
                const size_t end = token.starts_with('"') ? CopyableJsonStringEnd(token, 0, &ascii)
                                                          : std::string_view::npos;
                if (end != std::string_view::npos) {
                  text.text = end > 1 ? token.substr(0, end + 1) : std::string_view();
                  text.copy = true;
                } else if (part_value.get_string().get(text.text)) {
                  return false;
                }
                has_text = true;
              } else if (KeyIs(part_key, "thought"sv)) {
                bool flag = false;
                if (!part_value.get_bool().get(flag)) text.reasoning = flag;
              } else if (!KeyIs(part_key, "thoughtSignature"sv)) {
                return false;  // a function call, inline data, ...: the general path
              }
            }
            if (!has_text || event->count == std::size(event->texts)) return false;
            if (!text.text.empty()) event->texts[event->count++] = text;
          }
        }
      } else if (HasEscape(key)) {
        return false;
      }
    }
    return true;
  }

  absl::Status OnEvent(std::string_view data, std::string* client) override {
    if (FastEvent(data, client)) return absl::OkStatus();
    const json event = json::parse(data, nullptr, false);
    if (!event.is_object()) return Invalid("the gemini stream sent an event that is not JSON");
    if (const json* error = FindMember(event, "error")) {
      common::ApiError api;
      api.http_status = 502;
      api.is_bifrost_error = false;
      api.type = error->is_object() ? StringMember(*error, "status") : "";
      if (api.type.empty()) api.type = "upstream_error";
      api.code = api.type;
      api.message = error->is_object() ? StringMember(*error, "message") : "";
      if (api.message.empty()) api.message = "the gemini stream reported an error";
      client->append("data: ").append(common::ErrorEnvelopeJson(api)).append("\n\n");
      Done();
      return absl::OkStatus();
    }
    if (id_.empty()) SetId(StringMember(event, "responseId"));
    if (std::string version = StringMember(event, "modelVersion"); !version.empty()) {
      SetModel(version);
    }
    if (const json* usage = FindMember(event, "usageMetadata")) {
      usage_text_ = DumpJson(*usage);  // cumulative
    }
    const json* candidates = FindMember(event, "candidates");
    if (candidates == nullptr || !candidates->is_array() || candidates->empty()) {
      const json* feedback = FindMember(event, "promptFeedback");
      if (feedback != nullptr && FindMember(*feedback, "blockReason") != nullptr) {
        Start(0, client);
        Chunk(0, json::object(), client, "content_filter");
        finished_ = true;
      }
      return absl::OkStatus();
    }
    for (const json& candidate : *candidates) {
      const int64_t choice = IntMember(candidate, "index");
      Start(choice, client);
      State& state = choices_[choice];
      const json* content = FindMember(candidate, "content");
      const json* parts = content != nullptr ? FindMember(*content, "parts") : nullptr;
      if (parts != nullptr && parts->is_array()) {
        for (const json& part : *parts) {
          if (const json* call = FindMember(part, "functionCall")) {
            // Each call arrives whole: one delta with id, name and all its arguments, at an
            // index of its own (parallel calls never share one, ADAPTERS.md §9 item 7).
            json tool = ToolCall(part, *call, next_call_++);
            tool["index"] = state.tools++;
            Chunk(choice, {{"tool_calls", json::array({std::move(tool)})}}, client);
          } else if (const std::string text = StringMember(part, "text"); !text.empty()) {
            const json* thought = FindMember(part, "thought");
            const bool reasoning = thought != nullptr && thought->is_boolean() && thought->get<bool>();
            Chunk(choice, {{reasoning ? "reasoning_content" : "content", text}}, client);
          }
        }
      }
      if (const std::string reason = StringMember(candidate, "finishReason"); !reason.empty()) {
        Chunk(choice, json::object(), client, FinishReasonOfGemini(reason, state.tools > 0));
        finished_ = true;
      }
    }
    return absl::OkStatus();
  }

  // The role chunk, first, once per choice.
  void Start(int64_t choice, std::string* client) {
    State& state = choices_[choice];
    if (state.started) return;
    state.started = true;
    ChunkHead(choice, client);
    client->append("{\"role\":\"assistant\",\"content\":\"\"}");
    ChunkTail("null", client);
  }

  struct State {
    bool started = false;
    int tools = 0;  // tool-call index within the choice
  };

  std::string model_;
  const bool include_usage_;
  std::string id_;
  std::string head_;  // ChunkHead's frame up to the choice index
  std::string usage_text_;  // the last usageMetadata, as JSON text
  std::map<int64_t, State> choices_;
  int next_call_ = 0;  // numbers synthesized call ids across the stream
  bool finished_ = false;
};

}  // namespace

namespace {

// A chat of text messages only (text_chat.h), written in one buffer in the same order and
// bytes as the general path below (issue 18 point 4).
std::optional<std::string> FastOpenAiToGeminiRequest(std::string_view openai_body) {
  std::optional<TextChat> chat = ReadTextChat(openai_body);
  if (!chat) return std::nullopt;
  std::string out;
  out.reserve(openai_body.size() + 128);
  out.append("{\"contents\":");
  AppendTurns(*chat, "parts", "{\"text\":",
              [](std::string_view role) -> std::string_view {
                return role == "assistant" ? "model" : "user";
              },
              &out);
  if (chat->has_system()) {
    out.append(",\"systemInstruction\":{\"parts\":[");
    AppendSystemParts(*chat, "{\"text\":", &out);
    out.append("]}");
  }
  std::string config;
  if (chat->max_tokens) common::StrAppend(&config, ",\"maxOutputTokens\":", *chat->max_tokens);
  if (!chat->temperature.empty()) config.append(",\"temperature\":").append(chat->temperature);
  if (!chat->top_p.empty()) config.append(",\"topP\":").append(chat->top_p);
  if (!config.empty()) out.append(",\"generationConfig\":{").append(config.substr(1)).append("}");
  out.append("}");
  return out;
}

}  // namespace

absl::StatusOr<std::string> OpenAiToGeminiRequest(std::string_view openai_body) {
  if (std::optional<std::string> fast = FastOpenAiToGeminiRequest(openai_body)) {
    return *std::move(fast);
  }
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  const json* messages = FindMember(in, "messages");
  if (messages == nullptr || !messages->is_array()) return Invalid("messages must be an array");

  json system = json::array();
  json contents = json::array();
  std::map<std::string, std::string> call_names;  // tool_call_id -> function name
  for (const json& message : *messages) {
    const std::string role = StringMember(message, "role");
    const json content = message.is_object() && message.contains("content") ? message["content"]
                                                                              : json();
    if (role == "system" || role == "developer") {
      absl::StatusOr<json> parts = Parts(content);
      if (!parts.ok()) return parts.status();
      for (json& part : *parts) system.push_back(std::move(part));
    } else if (role == "user") {
      absl::StatusOr<json> parts = Parts(content);
      if (!parts.ok()) return parts.status();
      AddContent(contents, "user", *std::move(parts));
    } else if (role == "assistant") {
      absl::StatusOr<json> parts = Parts(content);
      if (!parts.ok()) return parts.status();
      absl::StatusOr<std::vector<ParsedToolCall>> calls = AssistantToolCalls(message);
      if (!calls.ok()) return calls.status();
      for (ParsedToolCall& call : *calls) {
        if (!call.arguments.is_object()) {
          return Invalid("tool call arguments must be a JSON object string");
        }
        call_names[call.id] = call.name;
        json part{{"functionCall", {{"name", call.name}, {"args", std::move(call.arguments)}}}};
        // Gemini 3 rejects a turn whose thought signature was lost (ADAPTERS.md §9 item 8).
        if (const json* extra = FindMember(*call.call, "extra_content")) {
          if (const json* google = FindMember(*extra, "google")) {
            if (std::string signature = StringMember(*google, "thought_signature");
                !signature.empty()) {
              part["thoughtSignature"] = signature;
            }
          }
        }
        parts->push_back(std::move(part));
      }
      AddContent(contents, "model", *std::move(parts));
    } else if (role == "tool") {
      const std::string id = StringMember(message, "tool_call_id");
      auto name = call_names.find(id);
      if (name == call_names.end()) {
        return Invalid(StrCat("tool message answers tool_call_id \"", id,
                              "\", which no earlier assistant message called"));
      }
      json response;
      if (content.is_string()) {
        response = json::parse(content.get<std::string>(), nullptr, false);
        if (!response.is_object()) response = {{"content", content}};
      } else {
        absl::StatusOr<json> parts = Parts(content);
        if (!parts.ok()) return parts.status();
        std::string text;
        for (const json& part : *parts) text += StringMember(part, "text");
        response = {{"content", text}};
      }
      AddContent(contents, "user",
                 json::array({{{"functionResponse",
                                {{"name", name->second}, {"response", std::move(response)}}}}}));
    } else {
      return Invalid(StrCat("message role \"", role,
                            "\" is not one of system, developer, user, assistant, tool"));
    }
  }

  json out{{"contents", std::move(contents)}};
  if (!system.empty()) out["systemInstruction"] = {{"parts", std::move(system)}};
  json config = json::object();
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (const json* value = FindMember(in, key); value != nullptr && value->is_number_integer()) {
      config["maxOutputTokens"] = *value;
      break;
    }
  }
  static constexpr std::pair<const char*, const char*> kSettings[] = {
      {"temperature", "temperature"}, {"top_p", "topP"}, {"seed", "seed"},
      {"presence_penalty", "presencePenalty"}, {"frequency_penalty", "frequencyPenalty"},
      {"n", "candidateCount"}};
  for (const auto& [from, to] : kSettings) {
    if (const json* value = FindMember(in, from)) config[to] = *value;
  }
  if (const json* stop = FindMember(in, "stop")) {
    config["stopSequences"] = stop->is_string() ? json::array({*stop}) : *stop;
  }
  if (const json* format = FindMember(in, "response_format")) {
    const std::string type = StringMember(*format, "type");
    if (type == "json_object" || type == "json_schema") {
      config["responseMimeType"] = "application/json";
    }
    if (type == "json_schema") {
      const json* spec = FindMember(*format, "json_schema");
      const json* schema = spec != nullptr ? FindMember(*spec, "schema") : nullptr;
      if (schema == nullptr || !schema->is_object()) {
        return Invalid("response_format.json_schema.schema must be a JSON schema object");
      }
      config["responseJsonSchema"] = *schema;
    } else if (type != "text" && type != "json_object") {
      return Invalid("response_format.type must be text, json_schema or json_object");
    }
  }
  if (!config.empty()) out["generationConfig"] = std::move(config);

  if (const json* tools = FindMember(in, "tools")) {
    if (!tools->is_array()) return Invalid("tools must be an array");
    json declarations = json::array();
    for (const json& tool : *tools) {
      const json* function = FindMember(tool, "function");
      if (function == nullptr) return Invalid("tools must be of type function");
      json declaration{{"name", StringMember(*function, "name")}};
      if (const json* description = FindMember(*function, "description")) {
        declaration["description"] = *description;
      }
      if (const json* parameters = FindMember(*function, "parameters")) {
        declaration["parametersJsonSchema"] = *parameters;
      }
      declarations.push_back(std::move(declaration));
    }
    if (!declarations.empty()) {
      out["tools"] = json::array({{{"functionDeclarations", std::move(declarations)}}});
    }
  }
  if (const json* choice = FindMember(in, "tool_choice")) {
    json calling;
    if (choice->is_string()) {
      const std::string mode = choice->get<std::string>();
      if (mode == "auto") calling = {{"mode", "AUTO"}};
      else if (mode == "none") calling = {{"mode", "NONE"}};
      else if (mode == "required") calling = {{"mode", "ANY"}};
      else return Invalid("tool_choice must be auto, none, required or a function");
    } else if (const json* function = FindMember(*choice, "function")) {
      calling = {{"mode", "ANY"},
                 {"allowedFunctionNames", json::array({StringMember(*function, "name")})}};
    } else {
      return Invalid("tool_choice must be auto, none, required or a function");
    }
    out["toolConfig"] = {{"functionCallingConfig", std::move(calling)}};
  }
  return DumpJson(out);
}

namespace {

// An answer whose candidates carry text parts only (no function calls), read with simdjson and
// written into one buffer: the general path's bytes (issue 18 point 4). nullopt otherwise.
std::optional<std::string> FastGeminiToOpenAiResponse(std::string_view gemini_body,
                                                      std::string_view model) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object in;
  if (parser.parse(gemini_body.data(), gemini_body.size()).get(in)) return std::nullopt;
  auto text_of = [](simdjson::dom::object object, std::string_view key) {
    std::string_view value;
    return object[key].get(value) ? std::string_view() : value;
  };
  auto int_of = [](simdjson::dom::object object, std::string_view key) {
    int64_t value = 0;
    return object[key].get(value) ? int64_t{0} : value;
  };
  simdjson::dom::array candidates;
  if (in["candidates"].get(candidates) || candidates.size() == 0) return std::nullopt;
  std::string choices;
  for (simdjson::dom::element element : candidates) {
    simdjson::dom::object candidate;
    if (element.get(candidate)) return std::nullopt;
    std::string text;
    std::string reasoning;
    simdjson::dom::object content;
    simdjson::dom::array parts;
    if (!candidate["content"sv].get(content) && !content["parts"sv].get(parts)) {
      for (simdjson::dom::element part_element : parts) {
        simdjson::dom::object part;
        if (part_element.get(part)) continue;
        if (simdjson::dom::element call; !part["functionCall"].get(call) && !call.is_null()) {
          return std::nullopt;  // tool calls: the general path
        }
        bool thought = false;
        if (simdjson::dom::element flag; !part["thought"].get(flag) && flag.is_bool()) {
          thought = flag.get_bool().value_unsafe();
        }
        (thought ? reasoning : text).append(text_of(part, "text"));
      }
    }
    if (!choices.empty()) choices.append(",");
    common::StrAppend(&choices, "{\"index\":", int_of(candidate, "index"),
                      ",\"message\":{\"role\":\"assistant\",\"content\":");
    AppendJsonString(&choices, text);
    if (!reasoning.empty()) {
      choices.append(",\"reasoning_content\":");
      AppendJsonString(&choices, reasoning);
    }
    choices.append("},\"finish_reason\":\"")
        .append(FinishReasonOfGemini(text_of(candidate, "finishReason"), false))
        .append("\"}");
  }
  simdjson::dom::object usage;
  const bool has_usage = !in["usageMetadata"].get(usage);
  const int64_t prompt = has_usage ? int_of(usage, "promptTokenCount") : 0;
  const int64_t thoughts = has_usage ? int_of(usage, "thoughtsTokenCount") : 0;
  const int64_t completion = (has_usage ? int_of(usage, "candidatesTokenCount") : 0) + thoughts;
  int64_t total = has_usage ? int_of(usage, "totalTokenCount") : 0;
  if (total == 0) total = prompt + completion;
  const std::string_view version = text_of(in, "modelVersion");
  std::string out;
  out.reserve(gemini_body.size() + 256);
  out.append("{\"id\":");
  AppendJsonString(&out, text_of(in, "responseId"));
  out.append(",\"object\":\"chat.completion\",\"created\":0,\"model\":");
  AppendJsonString(&out, version.empty() ? model : version);
  out.append(",\"choices\":[").append(choices).append("]");
  common::StrAppend(&out, ",\"usage\":{\"prompt_tokens\":", prompt, ",\"completion_tokens\":",
                    completion, ",\"total_tokens\":", total,
                    ",\"prompt_tokens_details\":{\"cached_tokens\":",
                    has_usage ? int_of(usage, "cachedContentTokenCount") : 0,
                    "},\"completion_tokens_details\":{\"reasoning_tokens\":", thoughts, "}}}");
  return out;
}

}  // namespace

absl::StatusOr<std::string> GeminiToOpenAiResponse(std::string_view gemini_body,
                                                   std::string_view model) {
  if (std::optional<std::string> fast = FastGeminiToOpenAiResponse(gemini_body, model)) {
    return *std::move(fast);
  }
  const json in = json::parse(gemini_body, nullptr, false);
  if (!in.is_object()) return Invalid("the gemini response is not a JSON object");
  json choices = json::array();
  int number = 0;
  if (const json* candidates = FindMember(in, "candidates");
      candidates != nullptr && candidates->is_array()) {
    for (const json& candidate : *candidates) {
      std::string text;
      std::string reasoning;
      json tool_calls = json::array();
      const json* content = FindMember(candidate, "content");
      const json* parts = content != nullptr ? FindMember(*content, "parts") : nullptr;
      if (parts != nullptr && parts->is_array()) {
        for (const json& part : *parts) {
          if (const json* call = FindMember(part, "functionCall")) {
            tool_calls.push_back(ToolCall(part, *call, number++));
            continue;
          }
          const json* thought = FindMember(part, "thought");
          (thought != nullptr && thought->is_boolean() && thought->get<bool>() ? reasoning : text) +=
              StringMember(part, "text");
        }
      }
      const bool calls = !tool_calls.empty();
      json message{{"role", "assistant"}, {"content", text.empty() && calls ? json(nullptr) : json(text)}};
      if (calls) message["tool_calls"] = std::move(tool_calls);
      if (!reasoning.empty()) message["reasoning_content"] = reasoning;
      choices.push_back({{"index", IntMember(candidate, "index")},
                         {"message", std::move(message)},
                         {"finish_reason",
                          FinishReasonOfGemini(StringMember(candidate, "finishReason"), calls)}});
    }
  }
  if (choices.empty()) {
    // No candidate: the prompt itself was blocked.
    choices.push_back({{"index", 0},
                       {"message", {{"role", "assistant"}, {"content", ""}}},
                       {"finish_reason", "content_filter"}});
  }
  std::string version = StringMember(in, "modelVersion");
  const json* usage = FindMember(in, "usageMetadata");
  json out{{"id", StringMember(in, "responseId")},
           {"object", "chat.completion"},
           {"created", 0},
           {"model", version.empty() ? std::string(model) : version},
           {"choices", std::move(choices)},
           {"usage", UsageOfGemini(usage != nullptr ? *usage : json::object())}};
  return DumpJson(out);
}

std::unique_ptr<StreamTranslator> NewGeminiToOpenAiStream(std::string_view model,
                                                          bool include_usage) {
  return std::make_unique<GeminiToOpenAiStream>(model, include_usage);
}

namespace {

// The texts of an embeddings request's input.
}  // namespace

absl::StatusOr<GeminiEmbedding> OpenAiToGeminiEmbedding(std::string_view openai_body,
                                                        std::string_view model) {
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  absl::StatusOr<std::vector<std::string>> texts = EmbeddingInputs(in, "gemini");
  if (!texts.ok()) return texts.status();
  const json* dimensions = FindMember(in, "dimensions");
  auto request = [&](const std::string& text) {
    json one{{"content", {{"parts", json::array({{{"text", text}}})}}}};
    if (dimensions != nullptr) one["outputDimensionality"] = *dimensions;
    return one;
  };
  GeminiEmbedding out;
  if (texts->size() == 1) {
    out.body = DumpJson(request(texts->front()));
    return out;
  }
  json requests = json::array();
  for (const std::string& text : *texts) {
    json one = request(text);
    one["model"] = StrCat("models/", model);
    requests.push_back(std::move(one));
  }
  out.batch = true;
  out.body = DumpJson({{"requests", std::move(requests)}});
  return out;
}

absl::StatusOr<std::string> GeminiToOpenAiEmbedding(std::string_view gemini_body,
                                                    std::string_view openai_body,
                                                    std::string_view model) {
  const json in = json::parse(gemini_body, nullptr, false);
  std::vector<const json*> embeddings;
  if (const json* one = FindMember(in, "embedding")) {
    embeddings.push_back(one);
  } else if (const json* many = FindMember(in, "embeddings"); many != nullptr && many->is_array()) {
    for (const json& embedding : *many) embeddings.push_back(&embedding);
  } else {
    return Invalid("the gemini response holds no embedding");
  }
  for (const json*& embedding : embeddings) embedding = FindMember(*embedding, "values");
  return OpenAiEmbeddingList(embeddings, openai_body, model, 0);
}

absl::StatusOr<std::string> OpenAiToVertexEmbedding(std::string_view openai_body) {
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  absl::StatusOr<std::vector<std::string>> texts = EmbeddingInputs(in, "vertex");
  if (!texts.ok()) return texts.status();
  json instances = json::array();
  for (const std::string& text : *texts) instances.push_back({{"content", text}});
  json out{{"instances", std::move(instances)}};
  if (const json* dimensions = FindMember(in, "dimensions")) {
    out["parameters"] = {{"outputDimensionality", *dimensions}};
  }
  return DumpJson(out);
}

absl::StatusOr<std::string> VertexToOpenAiEmbedding(std::string_view vertex_body,
                                                    std::string_view openai_body,
                                                    std::string_view model) {
  const json in = json::parse(vertex_body, nullptr, false);
  const json* predictions = FindMember(in, "predictions");
  if (predictions == nullptr || !predictions->is_array()) {
    return Invalid("the vertex response holds no predictions");
  }
  std::vector<const json*> embeddings;
  int64_t tokens = 0;
  for (const json& prediction : *predictions) {
    const json* embedding = FindMember(prediction, "embeddings");
    if (embedding == nullptr) return Invalid("a vertex prediction has no embeddings");
    embeddings.push_back(embedding);
    if (const json* statistics = FindMember(*embedding, "statistics")) {
      tokens += IntMember(*statistics, "token_count", 0);
    }
  }
  for (const json*& embedding : embeddings) embedding = FindMember(*embedding, "values");
  return OpenAiEmbeddingList(embeddings, openai_body, model, tokens);
}

}  // namespace switchyard::dp
