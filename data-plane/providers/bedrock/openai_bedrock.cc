#include "data-plane/providers/bedrock/openai_bedrock.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/errors.h"
#include "common/strings.h"
#include "data-plane/providers/bedrock/event_stream.h"
#include "data-plane/providers/embeddings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

std::string FinishReasonOfConverse(std::string_view stop) {
  if (stop == "max_tokens" || stop == "model_context_window_exceeded") return "length";
  if (stop == "tool_use") return "tool_calls";
  if (stop == "guardrail_intervened" || stop == "content_filtered") return "content_filter";
  return "stop";
}

json UsageOfConverse(const json* usage) {
  static const json kNone = json::object();
  if (usage == nullptr) usage = &kNone;
  const int64_t read = IntMember(*usage, "cacheReadInputTokens");
  const int64_t prompt = IntMember(*usage, "inputTokens") + read +
                         IntMember(*usage, "cacheWriteInputTokens");
  const int64_t completion = IntMember(*usage, "outputTokens");
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion},
          {"prompt_tokens_details", {{"cached_tokens", read}}}};
}

// OpenAI content -> Converse blocks.
absl::StatusOr<json> Blocks(const json& content) {
  json blocks = json::array();
  if (content.is_null()) return blocks;
  if (content.is_string()) {
    if (!content.get<std::string>().empty()) blocks.push_back({{"text", content}});
    return blocks;
  }
  if (!content.is_array()) return Invalid("message content must be a string or an array");
  for (const json& part : content) {
    const std::string type = StringMember(part, "type");
    if (type == "text") {
      blocks.push_back({{"text", StringMember(part, "text")}});
    } else if (type == "image_url") {
      const json* image = FindMember(part, "image_url");
      const std::string url = image != nullptr ? StringMember(*image, "url") : "";
      absl::StatusOr<ImageData> data = SplitImageDataUrl(url);
      if (!data.ok()) {
        return Invalid("bedrock providers take images as data URLs (base64); image URLs are "
                       "not fetched by the gateway");
      }
      std::string format = data->mime_type.substr(data->mime_type.find('/') + 1);
      if (format == "jpg") format = "jpeg";
      blocks.push_back({{"image", {{"format", format}, {"source", {{"bytes", data->base64}}}}}});
    } else {
      return Invalid(StrCat("content parts of type \"", type, "\" are not sent to bedrock providers"));
    }
  }
  return blocks;
}

class ConverseToOpenAiStream : public StreamTranslator {
 public:
  ConverseToOpenAiStream(std::string_view model, bool include_usage)
      : model_(model), include_usage_(include_usage) {}

  absl::Status Feed(std::string_view upstream, std::string* client) override {
    if (done_) return absl::OkStatus();
    decoder_.Append(upstream);
    EventMessage message;
    for (;;) {
      absl::StatusOr<bool> next = decoder_.Next(&message);
      if (!next.ok()) return next.status();
      if (!*next || done_) return absl::OkStatus();
      if (absl::Status status = OnMessage(message, client); !status.ok()) return status;
    }
  }

  absl::Status Finish(std::string* client) override {
    if (done_) return absl::OkStatus();
    if (!stopped_) return absl::UnavailableError("the bedrock stream ended before messageStop");
    End(nullptr, client);  // no metadata event: usage unknown
    return absl::OkStatus();
  }

 private:
  void Chunk(json delta, std::string* client, json finish = nullptr) {
    client->append("data: ")
        .append(DumpJson({{"id", "bedrock-stream"}, {"object", "chat.completion.chunk"},
                          {"created", 0}, {"model", model_},
                          {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)},
                                                    {"finish_reason", std::move(finish)}}})}}))
        .append("\n\n");
  }
  void End(const json* usage, std::string* client) {
    if (include_usage_) {
      client->append("data: ")
          .append(DumpJson({{"id", "bedrock-stream"},
                            {"object", "chat.completion.chunk"},
                            {"created", 0},
                            {"model", model_},
                            {"choices", json::array()},
                            {"usage", UsageOfConverse(usage)}}))
          .append("\n\n");
    }
    client->append("data: [DONE]\n\n");
    done_ = true;
  }
  // Tool calls by content block: OpenAI index and whether arguments came.
  struct Tool {
    int index;
    bool arguments = false;
  };

  absl::Status OnMessage(const EventMessage& message, std::string* client) {
    const json payload = json::parse(message.payload, nullptr, false);
    if (message.Header(":message-type") == "exception") {
      common::ApiError error;
      error.http_status = 502;
      error.is_bifrost_error = false;
      error.type = std::string(message.Header(":exception-type"));
      if (error.type.empty()) error.type = "upstream_error";
      error.code = error.type;
      error.message = StringMember(payload, "message");
      if (error.message.empty()) error.message = "the bedrock stream reported an exception";
      client->append("data: ").append(common::ErrorEnvelopeJson(error)).append("\n\n");
      done_ = true;
      return absl::OkStatus();
    }
    const std::string_view type = message.Header(":event-type");
    const int64_t block = IntMember(payload, "contentBlockIndex");
    if (type == "messageStart") {
      Chunk({{"role", "assistant"}, {"content", ""}}, client);
    } else if (type == "contentBlockStart") {
      const json* start = FindMember(payload, "start");
      const json* use = start != nullptr ? FindMember(*start, "toolUse") : nullptr;
      if (use == nullptr) return absl::OkStatus();
      const int index = next_tool_++;
      tools_[block] = {index};
      Chunk({{"tool_calls", {{{"index", index}, {"id", StringMember(*use, "toolUseId")},
                              {"type", "function"},
                              {"function", {{"name", StringMember(*use, "name")},
                                            {"arguments", ""}}}}}}},
            client);
    } else if (type == "contentBlockDelta") {
      const json* delta = FindMember(payload, "delta");
      if (delta == nullptr) return absl::OkStatus();
      if (const json* text = FindMember(*delta, "text"); text != nullptr && text->is_string()) {
        Chunk({{"content", *text}}, client);
      } else if (const json* use = FindMember(*delta, "toolUse")) {
        auto tool = tools_.find(block);
        const std::string fragment = StringMember(*use, "input");
        if (tool == tools_.end() || fragment.empty()) return absl::OkStatus();
        tool->second.arguments = true;
        Chunk({{"tool_calls", {{{"index", tool->second.index},
                                {"function", {{"arguments", fragment}}}}}}},
              client);
      } else if (const json* reasoning = FindMember(*delta, "reasoningContent")) {
        if (const std::string text = StringMember(*reasoning, "text"); !text.empty()) {
          Chunk({{"reasoning", text}}, client);
        }
      }
    } else if (type == "contentBlockStop") {
      // A tool without arguments still gets valid JSON (ADAPTERS.md §9 item 5).
      if (auto tool = tools_.find(block); tool != tools_.end() && !tool->second.arguments) {
        Chunk({{"tool_calls", {{{"index", tool->second.index},
                                {"function", {{"arguments", "{}"}}}}}}},
              client);
        tool->second.arguments = true;
      }
    } else if (type == "messageStop") {
      Chunk(json::object(), client, FinishReasonOfConverse(StringMember(payload, "stopReason")));
      stopped_ = true;
    } else if (type == "metadata") {
      End(FindMember(payload, "usage"), client);
    }
    return absl::OkStatus();
  }

  std::string model_;
  const bool include_usage_;
  EventStreamDecoder decoder_;
  std::map<int64_t, Tool> tools_;
  int next_tool_ = 0;
  bool stopped_ = false;
  bool done_ = false;
};

}  // namespace

absl::StatusOr<std::string> OpenAiToConverseRequest(std::string_view openai_body) {
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  if (const json* n = FindMember(in, "n"); n != nullptr && (!n->is_number_integer() || *n != 1)) {
    return Invalid("n must be 1 for bedrock providers");
  }
  if (const json* format = FindMember(in, "response_format");
      format != nullptr && StringMember(*format, "type") != "text") {
    return Invalid("response_format has no Converse equivalent: not served by bedrock providers");
  }
  const json* messages = FindMember(in, "messages");
  if (messages == nullptr || !messages->is_array()) return Invalid("messages must be an array");
  json system = json::array();
  json turns = json::array();
  std::set<std::string> history_tools;
  auto append = [&](const std::string& role, json blocks) {
    if (blocks.empty()) return;
    if (!turns.empty() && turns.back()["role"] == role) {
      for (json& block : blocks) turns.back()["content"].push_back(std::move(block));
    } else {
      turns.push_back({{"role", role}, {"content", std::move(blocks)}});
    }
  };
  for (const json& message : *messages) {
    const std::string role = StringMember(message, "role");
    const json content = message.is_object() && message.contains("content") ? message["content"]
                                                                              : json(nullptr);
    if (role == "system" || role == "developer") {
      absl::StatusOr<json> blocks = Blocks(content);
      if (!blocks.ok()) return blocks.status();
      for (json& block : *blocks) system.push_back(std::move(block));
    } else if (role == "user") {
      absl::StatusOr<json> blocks = Blocks(content);
      if (!blocks.ok()) return blocks.status();
      append("user", *std::move(blocks));
    } else if (role == "assistant") {
      absl::StatusOr<json> blocks = Blocks(content);
      if (!blocks.ok()) return blocks.status();
      absl::StatusOr<std::vector<ParsedToolCall>> calls = AssistantToolCalls(message);
      if (!calls.ok()) return calls.status();
      for (const ParsedToolCall& call : *calls) {
        history_tools.insert(call.name);
        blocks->push_back({{"toolUse", {{"toolUseId", call.id}, {"name", call.name},
                                        {"input", call.arguments}}}});
      }
      append("assistant", *std::move(blocks));
    } else if (role == "tool") {
      absl::StatusOr<json> blocks = Blocks(content);
      if (!blocks.ok()) return blocks.status();
      if (blocks->empty()) blocks->push_back({{"text", ""}});
      append("user", json::array({{{"toolResult", {{"toolUseId", StringMember(message, "tool_call_id")},
                                                    {"content", *std::move(blocks)}}}}}));
    } else {
      return Invalid(StrCat("message role \"", role, "\" has no Converse equivalent"));
    }
  }
  if (turns.empty() || turns.front()["role"] != "user") {
    return Invalid("bedrock providers need the conversation to start with a user message");
  }
  json out{{"messages", std::move(turns)}};
  if (!system.empty()) out["system"] = std::move(system);
  json config = json::object();
  for (const auto& [from, to] : {std::pair<const char*, const char*>{"max_tokens", "maxTokens"},
                                 {"max_completion_tokens", "maxTokens"},
                                 {"temperature", "temperature"},
                                 {"top_p", "topP"}}) {
    if (const json* value = FindMember(in, from); value != nullptr && !value->is_null()) {
      config[to] = *value;
    }
  }
  if (const json* stop = FindMember(in, "stop"); stop != nullptr && !stop->is_null()) {
    config["stopSequences"] = stop->is_string() ? json::array({*stop}) : *stop;
  }
  if (!config.empty()) out["inferenceConfig"] = std::move(config);
  json specs = json::array();
  if (const json* tools = FindMember(in, "tools"); tools != nullptr && tools->is_array()) {
    for (const json& tool : *tools) {
      const json* function = FindMember(tool, "function");
      if (function == nullptr) return Invalid("tools must be functions");
      const json* parameters = FindMember(*function, "parameters");
      json spec{{"name", StringMember(*function, "name")},
                {"inputSchema", {{"json", parameters != nullptr ? *parameters
                                                                : json{{"type", "object"}}}}}};
      if (std::string description = StringMember(*function, "description"); !description.empty()) {
        spec["description"] = description;
      }
      history_tools.erase(StringMember(*function, "name"));
      specs.push_back({{"toolSpec", std::move(spec)}});
    }
  }
  for (const std::string& name : history_tools) {  // Converse wants every used tool declared
    specs.push_back({{"toolSpec", {{"name", name},
                                   {"inputSchema", {{"json", {{"type", "object"}}}}}}}});
  }
  if (!specs.empty()) {
    json tool_config{{"tools", std::move(specs)}};
    if (const json* choice = FindMember(in, "tool_choice")) {
      if (*choice == "auto") tool_config["toolChoice"] = {{"auto", json::object()}};
      if (*choice == "required") tool_config["toolChoice"] = {{"any", json::object()}};
      if (const json* function = choice->is_object() ? FindMember(*choice, "function") : nullptr) {
        tool_config["toolChoice"] = {{"tool", {{"name", StringMember(*function, "name")}}}};
      }
    }
    out["toolConfig"] = std::move(tool_config);
  }
  return DumpJson(out);
}

absl::StatusOr<std::string> ConverseToOpenAiResponse(std::string_view converse_body,
                                                     std::string_view model) {
  const json in = json::parse(converse_body, nullptr, false);
  const json* output = FindMember(in, "output");
  const json* message = output != nullptr ? FindMember(*output, "message") : nullptr;
  const json* content = message != nullptr ? FindMember(*message, "content") : nullptr;
  if (content == nullptr || !content->is_array()) {
    return Invalid("the bedrock response holds no output message");
  }
  std::string text;
  std::string reasoning;
  json calls = json::array();
  for (const json& block : *content) {
    if (const json* piece = FindMember(block, "text"); piece && piece->is_string()) {
      text += piece->get<std::string>();
    } else if (const json* use = FindMember(block, "toolUse")) {
      const json* input = FindMember(*use, "input");
      calls.push_back({{"id", StringMember(*use, "toolUseId")},
                       {"type", "function"},
                       {"function", {{"name", StringMember(*use, "name")},
                                     {"arguments", DumpJson(input ? *input : json::object())}}}});
    } else if (const json* thought = FindMember(block, "reasoningContent")) {
      if (const json* reasoning_text = FindMember(*thought, "reasoningText")) {
        reasoning += StringMember(*reasoning_text, "text");
      }
    }
  }
  json answer{{"role", "assistant"},
              {"content", text.empty() && !calls.empty() ? json(nullptr) : json(text)}};
  if (!calls.empty()) answer["tool_calls"] = std::move(calls);
  if (!reasoning.empty()) answer["reasoning"] = reasoning;
  return DumpJson(
      {{"id", "bedrock-response"},
       {"object", "chat.completion"},
       {"created", 0},
       {"model", std::string(model)},
       {"choices",
        json::array({{{"index", 0},
                      {"message", std::move(answer)},
                      {"finish_reason", FinishReasonOfConverse(StringMember(in, "stopReason"))}}})},
       {"usage", UsageOfConverse(FindMember(in, "usage"))}});
}

std::unique_ptr<StreamTranslator> NewConverseToOpenAiStream(std::string_view model,
                                                            bool include_usage) {
  return std::make_unique<ConverseToOpenAiStream>(model, include_usage);
}

absl::StatusOr<std::string> OpenAiToBedrockEmbedding(std::string_view openai_body,
                                                     std::string_view model_id) {
  const json in = json::parse(openai_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  absl::StatusOr<std::vector<std::string>> texts = EmbeddingInputs(in, "bedrock");
  if (!texts.ok()) return texts.status();
  const json* dimensions = FindMember(in, "dimensions");
  if (model_id.find("cohere.") != std::string_view::npos) {
    json out{{"texts", *texts}, {"input_type", "search_document"}, {"embedding_types", {"float"}}};
    if (dimensions != nullptr) out["output_dimension"] = *dimensions;
    return DumpJson(out);
  }
  if (model_id.find("titan-embed") == std::string_view::npos) {
    return absl::UnimplementedError(StrCat("embeddings of bedrock model ", model_id,
                                           " are not served here (Titan and Cohere embed are)"));
  }
  if (texts->size() != 1) {
    return Invalid("Titan embeds one text per request: send one input");
  }
  json out{{"inputText", texts->front()}};
  if (dimensions != nullptr) out["dimensions"] = *dimensions;
  return DumpJson(out);
}

absl::StatusOr<std::string> BedrockToOpenAiEmbedding(std::string_view bedrock_body,
                                                     std::string_view openai_body,
                                                     std::string_view model) {
  const json in = json::parse(bedrock_body, nullptr, false);
  std::vector<const json*> vectors;
  int64_t tokens = 0;
  if (const json* embedding = FindMember(in, "embedding")) {  // Titan
    vectors.push_back(embedding);
    tokens = IntMember(in, "inputTextTokenCount");
  } else if (const json* embeddings = FindMember(in, "embeddings")) {  // Cohere
    const json* floats = embeddings->is_object() ? FindMember(*embeddings, "float") : embeddings;
    if (floats == nullptr || !floats->is_array()) return Invalid("the bedrock response holds no floats");
    for (const json& vector : *floats) vectors.push_back(&vector);
  } else {
    return Invalid("the bedrock response holds no embedding");
  }
  return OpenAiEmbeddingList(vectors, openai_body, model, tokens);
}

}  // namespace switchyard::dp
