#include "data-plane/providers/cohere/openai_cohere.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/embeddings.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/sse.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

absl::StatusOr<std::string> FinishReasonOfCohere(std::string_view cohere) {
  if (cohere == "COMPLETE" || cohere == "STOP_SEQUENCE" || cohere.empty()) return "stop";
  if (cohere == "MAX_TOKENS") return "length";
  if (cohere == "TOOL_CALL") return "tool_calls";
  return absl::UnavailableError(StrCat("cohere ended the answer with ", cohere));
}

json UsageOfCohere(const json* usage) {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cached = 0;
  if (usage != nullptr) {
    const json* tokens = FindMember(*usage, "tokens");
    if (tokens == nullptr) tokens = FindMember(*usage, "billed_units");
    if (tokens != nullptr) {
      input = IntMember(*tokens, "input_tokens");
      output = IntMember(*tokens, "output_tokens");
    }
    cached = IntMember(*usage, "cached_tokens");
  }
  return {{"prompt_tokens", input},
          {"completion_tokens", output},
          {"total_tokens", input + output},
          {"prompt_tokens_details", {{"cached_tokens", cached}}}};
}

// Text of Cohere content: a string or [{type: text, text}].
std::string TextOfCohere(const json* content) {
  if (content == nullptr) return "";
  if (content->is_string()) return content->get<std::string>();
  std::string text;
  if (content->is_array()) {
    for (const json& block : *content) {
      if (StringMember(block, "type") == "text") text += StringMember(block, "text");
    }
  }
  return text;
}

json ToolCalls(const json* calls) {
  json out = json::array();
  if (calls == nullptr || !calls->is_array()) return out;
  for (const json& call : *calls) {
    const json* function = FindMember(call, "function");
    std::string arguments = function ? StringMember(*function, "arguments") : "";
    if (arguments.empty()) arguments = "{}";
    out.push_back({{"id", StringMember(call, "id")},
                   {"type", "function"},
                   {"function", {{"name", function ? StringMember(*function, "name") : ""},
                                 {"arguments", arguments}}}});
  }
  return out;
}

class CohereToOpenAiStream : public SseStreamTranslator {
 public:
  CohereToOpenAiStream(std::string_view model, bool include_usage)
      : model_(model), include_usage_(include_usage) {}

  absl::Status Finish(std::string*) override {
    if (done()) return absl::OkStatus();
    return absl::UnavailableError("the cohere stream ended before message-end");
  }

 private:
  void Chunk(json delta, std::string* client, json finish = nullptr) {
    client->append("data: ")
        .append(DumpJson({{"id", id_}, {"object", "chat.completion.chunk"}, {"created", 0},
                          {"model", model_},
                          {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)},
                                                    {"finish_reason", std::move(finish)}}})}}))
        .append("\n\n");
  }

  absl::Status OnEvent(std::string_view data, std::string* client) override {
    const json event = json::parse(data, nullptr, false);
    if (!event.is_object()) return Invalid("the cohere stream sent an event that is not JSON");
    const std::string type = StringMember(event, "type");
    const json* delta = FindMember(event, "delta");
    const json* message = delta != nullptr ? FindMember(*delta, "message") : nullptr;
    if (type == "message-start") {
      id_ = StringMember(event, "id");
      Chunk({{"role", "assistant"}, {"content", ""}}, client);
    } else if (type == "content-delta" && message != nullptr) {
      const json* content = FindMember(*message, "content");
      if (content == nullptr) return absl::OkStatus();
      if (const std::string text = StringMember(*content, "text"); !text.empty()) {
        Chunk({{"content", text}}, client);
      } else if (const std::string thinking = StringMember(*content, "thinking");
                 !thinking.empty()) {
        Chunk({{"reasoning", thinking}}, client);
      }
    } else if (type == "tool-call-start" && message != nullptr) {
      const json* call = FindMember(*message, "tool_calls");
      const json* function = call != nullptr ? FindMember(*call, "function") : nullptr;
      if (function == nullptr) return Invalid("a cohere tool-call-start without a function");
      tool_ = next_tool_++;
      const std::string arguments = StringMember(*function, "arguments");
      arguments_seen_ = !arguments.empty();
      Chunk({{"tool_calls", {{{"index", tool_},
                              {"id", StringMember(*call, "id")},
                              {"type", "function"},
                              {"function", {{"name", StringMember(*function, "name")},
                                            {"arguments", arguments}}}}}}},
            client);
    } else if (type == "tool-call-delta" && message != nullptr) {
      const json* call = FindMember(*message, "tool_calls");
      const json* function = call != nullptr ? FindMember(*call, "function") : nullptr;
      const std::string fragment = function ? StringMember(*function, "arguments") : "";
      if (fragment.empty()) return absl::OkStatus();
      arguments_seen_ = true;
      Chunk({{"tool_calls", {{{"index", tool_}, {"function", {{"arguments", fragment}}}}}}}, client);
    } else if (type == "tool-call-end") {
      // A call without arguments still gets valid JSON (ADAPTERS.md §9 item 5).
      if (!arguments_seen_ && tool_ >= 0) {
        Chunk({{"tool_calls", {{{"index", tool_}, {"function", {{"arguments", "{}"}}}}}}}, client);
      }
      arguments_seen_ = true;
    } else if (type == "message-end") {
      absl::StatusOr<std::string> finish =
          FinishReasonOfCohere(delta != nullptr ? StringMember(*delta, "finish_reason") : "");
      if (!finish.ok()) return finish.status();
      Chunk(json::object(), client, *finish);
      if (include_usage_) {
        client->append("data: ")
            .append(DumpJson({{"id", id_},
                              {"object", "chat.completion.chunk"},
                              {"created", 0},
                              {"model", model_},
                              {"choices", json::array()},
                              {"usage", UsageOfCohere(delta != nullptr ? FindMember(*delta, "usage")
                                                                       : nullptr)}}))
            .append("\n\n");
      }
      client->append("data: [DONE]\n\n");
      Done();
    }
    return absl::OkStatus();  // content-start/-end, tool-plan-delta, citations: nothing to say
  }

  std::string model_;
  const bool include_usage_;
  std::string id_;
  int next_tool_ = 0;
  int tool_ = -1;
  bool arguments_seen_ = true;
};

}  // namespace

absl::StatusOr<std::string> OpenAiToCohereRequest(std::string_view openai_body,
                                                  std::string_view model, bool stream) {
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  if (const json* n = FindMember(in, "n"); n != nullptr && (!n->is_number_integer() || *n != 1)) {
    return Invalid("n must be 1 for cohere providers");
  }
  const json* messages = FindMember(in, "messages");
  if (messages == nullptr || !messages->is_array()) return Invalid("messages must be an array");
  json out{{"model", std::string(model)}};
  json turns = json::array();
  for (const json& message : *messages) {
    if (!message.is_object()) return Invalid("each message must be an object");
    std::string role = StringMember(message, "role");
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
      return Invalid(StrCat("message role \"", role, "\" has no cohere equivalent"));
    }
    json turn{{"role", role}};
    if (const json* content = FindMember(message, "content"); content && !content->is_null()) {
      turn["content"] = *content;
    }
    if (role == "assistant") {
      absl::StatusOr<std::vector<ParsedToolCall>> calls = AssistantToolCalls(message);
      if (!calls.ok()) return calls.status();
      if (!calls->empty()) {
        json tool_calls = json::array();
        for (const ParsedToolCall& call : *calls) {
          tool_calls.push_back({{"id", call.id},
                                {"type", "function"},
                                {"function", {{"name", call.name},
                                              {"arguments", DumpJson(call.arguments)}}}});
        }
        turn["tool_calls"] = std::move(tool_calls);
      }
    }
    if (role == "tool") turn["tool_call_id"] = StringMember(message, "tool_call_id");
    turns.push_back(std::move(turn));
  }
  out["messages"] = std::move(turns);
  if (const json* tools = FindMember(in, "tools"); tools != nullptr && tools->is_array()) {
    json kept = json::array();
    bool strict = false;
    for (json tool : *tools) {
      if (json* function = tool.is_object() && tool.contains("function") ? &tool["function"] : nullptr;
          function != nullptr && function->is_object() && function->contains("strict")) {
        strict |= (*function)["strict"] == true;
        function->erase("strict");
      }
      kept.push_back(std::move(tool));
    }
    if (const json* choice = FindMember(in, "tool_choice")) {
      if (choice->is_string()) {
        if (*choice == "required") out["tool_choice"] = "REQUIRED";
        if (*choice == "none") out["tool_choice"] = "NONE";
      } else if (const json* function = FindMember(*choice, "function")) {
        const std::string name = StringMember(*function, "name");
        json narrowed = json::array();
        for (const json& tool : kept) {
          const json* f = FindMember(tool, "function");
          if (f != nullptr && StringMember(*f, "name") == name) narrowed.push_back(tool);
        }
        if (narrowed.empty()) return Invalid(StrCat("tool_choice names no offered tool ", name));
        kept = std::move(narrowed);
        out["tool_choice"] = "REQUIRED";
      }
    }
    out["tools"] = std::move(kept);
    if (strict) out["strict_tools"] = true;
  }
  for (const auto& [from, to] : {std::pair<const char*, const char*>{"max_tokens", "max_tokens"},
                                 {"max_completion_tokens", "max_tokens"},
                                 {"temperature", "temperature"},
                                 {"top_p", "p"},
                                 {"seed", "seed"},
                                 {"frequency_penalty", "frequency_penalty"},
                                 {"presence_penalty", "presence_penalty"}}) {
    if (const json* value = FindMember(in, from); value != nullptr && !value->is_null()) {
      out[to] = *value;
    }
  }
  if (const json* stop = FindMember(in, "stop"); stop != nullptr && !stop->is_null()) {
    out["stop_sequences"] = stop->is_string() ? json::array({*stop}) : *stop;
  }
  if (const json* format = FindMember(in, "response_format"); format && format->is_object()) {
    const std::string type = StringMember(*format, "type");
    if (type == "json_object") {
      out["response_format"] = {{"type", "json_object"}};
    } else if (type == "json_schema") {
      const json* spec = FindMember(*format, "json_schema");
      const json* schema = spec != nullptr ? FindMember(*spec, "schema") : nullptr;
      out["response_format"] = {{"type", "json_object"}};
      if (schema != nullptr) out["response_format"]["json_schema"] = *schema;
    }
  }
  if (stream) out["stream"] = true;
  return DumpJson(out);
}

absl::StatusOr<std::string> CohereToOpenAiResponse(std::string_view cohere_body,
                                                   std::string_view model) {
  const json in = json::parse(cohere_body, nullptr, false);
  if (!in.is_object()) return Invalid("the cohere response is not a JSON object");
  absl::StatusOr<std::string> finish = FinishReasonOfCohere(StringMember(in, "finish_reason"));
  if (!finish.ok()) return finish.status();
  const json* message = FindMember(in, "message");
  json answer{{"role", "assistant"}};
  const std::string text = message != nullptr ? TextOfCohere(FindMember(*message, "content")) : "";
  json calls = ToolCalls(message != nullptr ? FindMember(*message, "tool_calls") : nullptr);
  answer["content"] = text.empty() && !calls.empty() ? json(nullptr) : json(text);
  if (!calls.empty()) answer["tool_calls"] = std::move(calls);
  return DumpJson(
      {{"id", StringMember(in, "id")},
       {"object", "chat.completion"},
       {"created", 0},
       {"model", std::string(model)},
       {"choices",
        json::array({{{"index", 0}, {"message", std::move(answer)}, {"finish_reason", *finish}}})},
       {"usage", UsageOfCohere(FindMember(in, "usage"))}});
}

std::unique_ptr<StreamTranslator> NewCohereToOpenAiStream(std::string_view model,
                                                          bool include_usage) {
  return std::make_unique<CohereToOpenAiStream>(model, include_usage);
}

absl::StatusOr<std::string> OpenAiToCohereEmbedding(std::string_view openai_body,
                                                    std::string_view model) {
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  absl::StatusOr<std::vector<std::string>> texts = EmbeddingInputs(in, "cohere");
  if (!texts.ok()) return texts.status();
  json out{{"model", std::string(model)},
           {"texts", *texts},
           {"input_type", "search_document"},
           {"embedding_types", {"float"}}};
  if (const json* dimensions = FindMember(in, "dimensions")) out["output_dimension"] = *dimensions;
  return DumpJson(out);
}

absl::StatusOr<std::string> CohereToOpenAiEmbedding(std::string_view cohere_body,
                                                    std::string_view openai_body,
                                                    std::string_view model) {
  const json in = json::parse(cohere_body, nullptr, false);
  const json* embeddings = FindMember(in, "embeddings");
  const json* floats = embeddings != nullptr ? FindMember(*embeddings, "float") : nullptr;
  if (floats == nullptr || !floats->is_array()) {
    return Invalid("the cohere response holds no float embeddings");
  }
  std::vector<const json*> vectors;
  for (const json& vector : *floats) vectors.push_back(&vector);
  int64_t tokens = 0;
  if (const json* meta = FindMember(in, "meta")) {
    if (const json* billed = FindMember(*meta, "billed_units")) {
      tokens = IntMember(*billed, "input_tokens");
    }
  }
  return OpenAiEmbeddingList(vectors, openai_body, model, tokens);
}

}  // namespace switchyard::dp
