#include "data-plane/providers/cohere/cohere_openai.h"

#include <map>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/strings.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/sse.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

std::string CohereFinishReason(std::string_view openai) {
  if (openai == "length") return "MAX_TOKENS";
  if (openai == "tool_calls" || openai == "function_call") return "TOOL_CALL";
  if (openai == "content_filter") return "ERROR";
  return "COMPLETE";
}

json CohereUsage(const json* usage) {
  const int64_t input = usage != nullptr ? IntMember(*usage, "prompt_tokens") : 0;
  const int64_t output = usage != nullptr ? IntMember(*usage, "completion_tokens") : 0;
  const json counts{{"input_tokens", input}, {"output_tokens", output}};
  return {{"billed_units", counts}, {"tokens", counts}};
}

// Cohere content (a string or blocks) -> OpenAI content; documents refused unless `as_text`.
absl::StatusOr<json> Content(const json& content, bool as_text) {
  if (content.is_string() || content.is_null()) return content;
  if (!content.is_array()) return Invalid("content must be a string or an array of blocks");
  json parts = json::array();
  std::string text;
  for (const json& block : content) {
    const std::string type = StringMember(block, "type");
    if (type == "text") {
      text += StringMember(block, "text");
      parts.push_back({{"type", "text"}, {"text", StringMember(block, "text")}});
    } else if (type == "image_url" && !as_text) {
      parts.push_back(block);
    } else if (type == "document" && as_text) {
      const json* document = FindMember(block, "document");
      const json* data = document != nullptr ? FindMember(*document, "data") : nullptr;
      text += data == nullptr ? "" : data->is_string() ? data->get<std::string>() : DumpJson(*data);
    } else {
      return Invalid(StrCat("content blocks of type \"", type,
                            "\" cannot be sent to providers of other families"));
    }
  }
  if (as_text) return json(text);
  return parts;
}

class OpenAiToCohereStream : public SseStreamTranslator {
 public:
  absl::Status Finish(std::string*) override {
    if (done()) return absl::OkStatus();
    return absl::UnavailableError("the stream ended before [DONE]");
  }

 private:
  static void Event(const json& event, std::string* client) {
    client->append("event: ")
        .append(event["type"].get<std::string>())
        .append("\ndata: ")
        .append(DumpJson(event))
        .append("\n\n");
  }
  void Close(std::string* client) {
    if (content_open_) Event({{"type", "content-end"}, {"index", 0}}, client);
    if (tool_ >= 0) Event({{"type", "tool-call-end"}, {"index", tool_}}, client);
    content_open_ = false;
    tool_ = -1;
  }
  void End(json delta, std::string* client) {
    Close(client);
    Event({{"type", "message-end"}, {"id", id_}, {"delta", std::move(delta)}}, client);
    Done();
  }

  absl::Status OnEvent(std::string_view data, std::string* client) override {
    if (data == "[DONE]") {
      End({{"finish_reason", finish_},
           {"usage", CohereUsage(usage_.is_null() ? nullptr : &usage_)}},
          client);
      return absl::OkStatus();
    }
    const json chunk = json::parse(data, nullptr, false);
    if (!chunk.is_object()) return Invalid("the stream sent a chunk that is not JSON");
    if (const json* error = FindMember(chunk, "error")) {
      const std::string message = error->is_object() ? StringMember(*error, "message") : "";
      End({{"finish_reason", "ERROR"},
           {"error", message.empty() ? "the provider reported an error" : message}},
          client);
      return absl::OkStatus();
    }
    if (!started_) {
      id_ = StringMember(chunk, "id");
      Event({{"type", "message-start"},
             {"id", id_},
             {"delta", {{"message", {{"role", "assistant"}, {"content", json::array()},
                                     {"tool_plan", ""}, {"tool_calls", json::array()},
                                     {"citations", json::array()}}}}}},
            client);
      started_ = true;
    }
    const OpenAiChunk parts = ReadOpenAiChunk(chunk);
    if (parts.usage != nullptr) usage_ = *parts.usage;
    if (!parts.finish_reason.empty()) finish_ = CohereFinishReason(parts.finish_reason);
    const json* delta = parts.delta;
    if (delta == nullptr) return absl::OkStatus();
    if (const std::string text = StringMember(*delta, "content"); !text.empty()) {
      if (!content_open_) {
        Event({{"type", "content-start"}, {"index", 0},
               {"delta", {{"message", {{"content", {{"type", "text"}, {"text", ""}}}}}}}},
              client);
        content_open_ = true;
      }
      Event({{"type", "content-delta"}, {"index", 0},
             {"delta", {{"message", {{"content", {{"text", text}}}}}}}},
            client);
    }
    const json* calls = FindMember(*delta, "tool_calls");
    if (calls == nullptr || !calls->is_array()) return absl::OkStatus();
    for (const json& call : *calls) {
      const int64_t index = IntMember(call, "index");
      const json* function = FindMember(call, "function");
      const std::string arguments = function ? StringMember(*function, "arguments") : "";
      if (index != tool_) {
        Close(client);
        tool_ = index;
        Event({{"type", "tool-call-start"}, {"index", index},
               {"delta", {{"message", {{"tool_calls",
                                        {{"id", StringMember(call, "id")},
                                         {"type", "function"},
                                         {"function", {{"name", function ? StringMember(*function, "name") : ""},
                                                       {"arguments", arguments}}}}}}}}}},
              client);
      } else if (!arguments.empty()) {
        Event({{"type", "tool-call-delta"}, {"index", index},
               {"delta", {{"message", {{"tool_calls", {{"function", {{"arguments", arguments}}}}}}}}}},
              client);
      }
    }
    return absl::OkStatus();
  }

  bool started_ = false;
  bool content_open_ = false;
  int64_t tool_ = -1;
  std::string id_;
  std::string finish_ = "COMPLETE";
  json usage_;
};

}  // namespace

absl::StatusOr<RequestBody> CohereToOpenAiRequest(std::string_view cohere_body,
                                                  std::string_view model) {
  const json in = json::parse(cohere_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  if (const json* documents = FindMember(in, "documents"); documents && !documents->empty()) {
    return Invalid("documents (RAG) cannot be sent to providers of other families");
  }
  const json* messages = FindMember(in, "messages");
  if (messages == nullptr || !messages->is_array()) return Invalid("messages must be an array");
  json out = json::object();
  json turns = json::array();
  for (const json& message : *messages) {
    const std::string role = StringMember(message, "role");
    if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
      return Invalid(StrCat("message role \"", role, "\" is not a Cohere role"));
    }
    json turn{{"role", role}};
    const json* content = FindMember(message, "content");
    if (content != nullptr) {
      absl::StatusOr<json> converted = Content(*content, role != "user");
      if (!converted.ok()) return converted.status();
      turn["content"] = *std::move(converted);
    }
    if (role == "assistant") {
      if (const json* calls = FindMember(message, "tool_calls")) turn["tool_calls"] = *calls;
      if (!turn.contains("content")) turn["content"] = nullptr;
    }
    if (role == "tool") turn["tool_call_id"] = StringMember(message, "tool_call_id");
    turns.push_back(std::move(turn));
  }
  out["messages"] = std::move(turns);
  for (const auto& [from, to] : {std::pair<const char*, const char*>{"max_tokens", "max_tokens"},
                                 {"temperature", "temperature"},
                                 {"p", "top_p"},
                                 {"seed", "seed"},
                                 {"frequency_penalty", "frequency_penalty"},
                                 {"presence_penalty", "presence_penalty"},
                                 {"stop_sequences", "stop"},
                                 {"tools", "tools"}}) {
    if (const json* value = FindMember(in, from); value != nullptr && !value->is_null()) {
      out[to] = *value;
    }
  }
  if (const std::string choice = StringMember(in, "tool_choice"); !choice.empty()) {
    out["tool_choice"] = choice == "REQUIRED" ? "required" : "none";
  }
  if (const json* format = FindMember(in, "response_format"); format && format->is_object()) {
    if (const json* schema = FindMember(*format, "json_schema")) {
      out["response_format"] = {{"type", "json_schema"},
                                {"json_schema", {{"name", "response"}, {"schema", *schema}}}};
    } else {
      out["response_format"] = {{"type", "json_object"}};
    }
  }
  const json* stream = FindMember(in, "stream");
  const bool streaming = stream != nullptr && stream->is_boolean() && stream->get<bool>();
  return InternalRequestBody(std::move(out), model, streaming);
}

absl::StatusOr<std::string> OpenAiToCohereResponse(std::string_view openai_body) {
  const json in = json::parse(openai_body, nullptr, false);
  const json* choices = FindMember(in, "choices");
  if (choices == nullptr || !choices->is_array() || choices->empty()) {
    return Invalid("the response holds no choice");
  }
  const json& choice = choices->front();
  const json* message = FindMember(choice, "message");
  json answer{{"role", "assistant"}};
  if (message != nullptr) {
    if (const std::string text = StringMember(*message, "content"); !text.empty()) {
      answer["content"] = json::array({{{"type", "text"}, {"text", text}}});
    }
    if (const json* calls = FindMember(*message, "tool_calls"); calls && calls->is_array()) {
      json tool_calls = json::array();
      for (const json& call : *calls) {
        const json* function = FindMember(call, "function");
        tool_calls.push_back({{"id", StringMember(call, "id")},
                              {"type", "function"},
                              {"function", {{"name", function ? StringMember(*function, "name") : ""},
                                            {"arguments", function ? StringMember(*function, "arguments") : ""}}}});
      }
      if (!tool_calls.empty()) answer["tool_calls"] = std::move(tool_calls);
    }
  }
  return DumpJson({{"id", StringMember(in, "id")},
                   {"finish_reason", CohereFinishReason(StringMember(choice, "finish_reason"))},
                   {"message", std::move(answer)},
                   {"usage", CohereUsage(FindMember(in, "usage"))}});
}

std::unique_ptr<StreamTranslator> NewOpenAiToCohereStream() {
  return std::make_unique<OpenAiToCohereStream>();
}

absl::StatusOr<RequestBody> CohereToOpenAiEmbeddingRequest(std::string_view cohere_body,
                                                           std::string_view model) {
  const json in = json::parse(cohere_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  const json* texts = FindMember(in, "texts");
  if (texts == nullptr || !texts->is_array() || texts->empty()) {
    return Invalid("texts is required for providers of other families (images and inputs "
                   "cannot be sent to them)");
  }
  if (const json* types = FindMember(in, "embedding_types"); types != nullptr && types->is_array()) {
    for (const json& type : *types) {
      if (type != "float") {
        return Invalid("only float embeddings come from providers of other families");
      }
    }
  }
  json out{{"input", *texts}, {"encoding_format", "float"}};
  if (const json* dimension = FindMember(in, "output_dimension")) out["dimensions"] = *dimension;
  return InternalRequestBody(out, model, false);
}

absl::StatusOr<std::string> OpenAiToCohereEmbeddingResponse(std::string_view openai_body,
                                                            std::string_view cohere_body) {
  const json in = json::parse(openai_body, nullptr, false);
  const json* data = FindMember(in, "data");
  if (data == nullptr || !data->is_array()) return Invalid("the response holds no embeddings");
  json floats = json::array();
  for (const json& item : *data) {
    const json* embedding = FindMember(item, "embedding");
    if (embedding == nullptr || !embedding->is_array()) {
      return Invalid("an embedding is not a list of floats");
    }
    floats.push_back(*embedding);
  }
  const json request = json::parse(cohere_body, nullptr, false);
  const json* texts = FindMember(request, "texts");
  const json* usage = FindMember(in, "usage");
  return DumpJson({{"id", StringMember(in, "id")},
                   {"response_type", "embeddings_by_type"},
                   {"embeddings", {{"float", std::move(floats)}}},
                   {"texts", texts != nullptr ? *texts : json::array()},
                   {"meta", {{"api_version", {{"version", "2"}}},
                             {"billed_units", {{"input_tokens",
                                                usage ? IntMember(*usage, "prompt_tokens") : 0}}}}}});
}

}  // namespace switchyard::dp
