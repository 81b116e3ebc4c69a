#include "data-plane/providers/gemini/gemini_openai.h"

#include <deque>
#include <map>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/sse.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

// Text parts (a system instruction) as one string; a bare string is taken as it is.
std::string GeminiText(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (const json* parts = FindMember(content, "parts"); parts != nullptr && parts->is_array()) {
    for (const json& part : *parts) {
      if (!text.empty()) text.push_back('\n');
      text += StringMember(part, "text");
    }
  }
  return text;
}

// inlineData / fileData of an image -> an OpenAI image_url part.
absl::StatusOr<json> GeminiImagePart(const json& data, bool inline_data) {
  const std::string mime = StringMember(data, "mimeType");
  if (!mime.starts_with("image/")) {
    return Invalid(StrCat("only image parts reach providers of other families, not ", mime));
  }
  const std::string url = inline_data ? StrCat("data:", mime, ";base64,", StringMember(data, "data"))
                                      : StringMember(data, "fileUri");
  return json{{"type", "image_url"}, {"image_url", {{"url", url}}}};
}

std::string GeminiFinishReason(std::string_view finish) {
  if (finish == "length") return "MAX_TOKENS";
  if (finish == "content_filter") return "SAFETY";
  return "STOP";
}

json UsageMetadata(const json& usage) {
  json out{{"promptTokenCount", IntMember(usage, "prompt_tokens")},
           {"candidatesTokenCount", IntMember(usage, "completion_tokens")},
           {"totalTokenCount", IntMember(usage, "total_tokens")}};
  if (const json* details = FindMember(usage, "prompt_tokens_details")) {
    if (const int64_t cached = IntMember(*details, "cached_tokens"); cached > 0) {
      out["cachedContentTokenCount"] = cached;
    }
  }
  return out;
}

// A tool call's arguments as functionCall.args (an object; "" means none).
absl::StatusOr<json> Args(std::string_view arguments) {
  json args = arguments.empty() ? json::object() : json::parse(arguments, nullptr, false);
  if (!args.is_object()) {
    return Invalid("the provider answered a tool call whose arguments are not a JSON object");
  }
  return args;
}

json Response(json parts, const std::string& finish, const json* usage, const std::string& id,
              const std::string& model) {
  if (parts.empty()) parts.push_back({{"text", ""}});
  json candidate{{"content", {{"role", "model"}, {"parts", std::move(parts)}}}, {"index", 0}};
  if (!finish.empty()) candidate["finishReason"] = finish;
  json out{{"candidates", json::array({std::move(candidate)})},
           {"modelVersion", model},
           {"responseId", id}};
  if (usage != nullptr) out["usageMetadata"] = UsageMetadata(*usage);
  return out;
}

class OpenAiToGeminiStream : public SseStreamTranslator {
 public:
  explicit OpenAiToGeminiStream(bool sse) : sse_(sse) {}

  absl::Status Finish(std::string* client) override {
    if (done()) return absl::OkStatus();
    if (finish_.empty()) {
      return absl::UnavailableError("the provider's stream ended before its finish_reason");
    }
    return End(client);
  }

  std::string_view content_type() const override {
    return sse_ ? "text/event-stream" : "application/json";
  }

 private:
  void Emit(const json& event, std::string* client) {
    if (sse_) {
      client->append("data: ").append(DumpJson(event)).append("\r\n\r\n");
    } else {
      client->append(first_ ? "[" : ",\r\n").append(DumpJson(event));
    }
    first_ = false;
  }

  absl::Status OnEvent(std::string_view data, std::string* client) override {
    if (data == "[DONE]") return End(client);
    const json chunk = json::parse(data, nullptr, false);
    if (!chunk.is_object()) return Invalid("the provider's stream sent an event that is not JSON");
    if (const json* error = FindMember(chunk, "error")) {
      std::string message = error->is_object() ? StringMember(*error, "message") : "";
      if (message.empty()) message = "the provider's stream reported an error";
      Emit({{"error", {{"code", 500}, {"message", message}, {"status", "INTERNAL"}}}}, client);
      if (!sse_) client->append("]");
      Done();
      return absl::OkStatus();
    }
    if (id_.empty()) id_ = StringMember(chunk, "id");
    if (model_.empty()) model_ = StringMember(chunk, "model");
    const OpenAiChunk parts = ReadOpenAiChunk(chunk);
    if (parts.usage != nullptr) usage_ = *parts.usage;
    if (const json* delta = parts.delta) {
      json parts = json::array();
      std::string reasoning = StringMember(*delta, "reasoning_content");
      if (reasoning.empty()) reasoning = StringMember(*delta, "reasoning");
      if (!reasoning.empty()) parts.push_back({{"text", reasoning}, {"thought", true}});
      if (std::string text = StringMember(*delta, "content"); !text.empty()) {
        parts.push_back({{"text", std::move(text)}});
      }
      if (!parts.empty()) Emit(Response(std::move(parts), "", nullptr, id_, model_), client);
      // Gemini sends each call whole: arguments are gathered until the finish.
      if (const json* calls = FindMember(*delta, "tool_calls"); calls != nullptr && calls->is_array()) {
        for (const json& call : *calls) {
          Call& gathered = calls_[IntMember(call, "index")];
          if (std::string id = StringMember(call, "id"); !id.empty()) gathered.id = id;
          if (const json* function = FindMember(call, "function")) {
            if (std::string name = StringMember(*function, "name"); !name.empty()) gathered.name = name;
            gathered.arguments += StringMember(*function, "arguments");
          }
        }
      }
    }
    if (!parts.finish_reason.empty()) finish_ = GeminiFinishReason(parts.finish_reason);
    return absl::OkStatus();
  }

  absl::Status End(std::string* client) {
    json parts = json::array();
    for (const auto& [index, call] : calls_) {
      absl::StatusOr<json> args = Args(call.arguments);
      if (!args.ok()) return args.status();
      json function{{"name", call.name}, {"args", *std::move(args)}};
      if (!call.id.empty()) function["id"] = call.id;
      parts.push_back({{"functionCall", std::move(function)}});
    }
    Emit(Response(std::move(parts), finish_.empty() ? "STOP" : finish_, &usage_, id_, model_), client);
    if (!sse_) client->append("]");
    Done();
    return absl::OkStatus();
  }

  struct Call {
    std::string id;
    std::string name;
    std::string arguments;
  };

  const bool sse_;
  bool first_ = true;
  std::string id_;
  std::string model_;
  std::string finish_;
  json usage_ = json::object();
  std::map<int64_t, Call> calls_;  // by OpenAI tool-call index
};

}  // namespace

absl::StatusOr<RequestBody> GeminiToOpenAiRequest(std::string_view gemini_body,
                                                  std::string_view model, bool stream) {
  const json in = json::parse(gemini_body, nullptr, false);
  if (!in.is_object()) return Invalid("body must be a JSON object");
  json messages = json::array();
  if (const json* system = FindMember(in, "systemInstruction")) {
    if (std::string text = GeminiText(*system); !text.empty()) {
      messages.push_back({{"role", "system"}, {"content", std::move(text)}});
    }
  }
  const json* contents = FindMember(in, "contents");
  if (contents == nullptr || !contents->is_array()) return Invalid("contents must be an array");
  std::map<std::string, std::deque<std::string>> unanswered;  // function name -> call ids
  int next_call = 0;
  for (const json& content : *contents) {
    const std::string role = StringMember(content, "role");
    const json* parts = FindMember(content, "parts");
    if (parts == nullptr || !parts->is_array()) return Invalid("every content needs parts");
    if (role == "model") {
      std::string text;
      json calls = json::array();
      for (const json& part : *parts) {
        if (const json* call = FindMember(part, "functionCall")) {
          std::string id = StringMember(*call, "id");
          if (id.empty()) id = StrCat("call_", next_call++);
          const std::string name = StringMember(*call, "name");
          unanswered[name].push_back(id);
          const json* args = FindMember(*call, "args");
          calls.push_back({{"id", id},
                           {"type", "function"},
                           {"function", {{"name", name},
                                         {"arguments", DumpJson(args != nullptr ? *args : json::object())}}}});
        } else if (const json* thought = FindMember(part, "thought");
                   thought == nullptr || !thought->is_boolean() || !thought->get<bool>()) {
          text += StringMember(part, "text");
        }
      }
      json message{{"role", "assistant"},
                   {"content", text.empty() && !calls.empty() ? json(nullptr) : json(text)}};
      if (!calls.empty()) message["tool_calls"] = std::move(calls);
      messages.push_back(std::move(message));
      continue;
    }
    if (!role.empty() && role != "user") {
      return Invalid(StrCat("content role \"", role, "\" is not one of user, model"));
    }
    json user = json::array();
    for (const json& part : *parts) {
      if (const json* response = FindMember(part, "functionResponse")) {
        // The oldest unanswered call of that name (Gemini names calls by function).
        const std::string name = StringMember(*response, "name");
        auto pending = unanswered.find(name);
        if (pending == unanswered.end() || pending->second.empty()) {
          return Invalid(StrCat("functionResponse \"", name, "\" answers no earlier functionCall"));
        }
        const json* result = FindMember(*response, "response");
        messages.push_back({{"role", "tool"},
                            {"tool_call_id", pending->second.front()},
                            {"content", DumpJson(result != nullptr ? *result : json::object())}});
        pending->second.pop_front();
      } else if (const json* data = FindMember(part, "inlineData")) {
        absl::StatusOr<json> image = GeminiImagePart(*data, true);
        if (!image.ok()) return image.status();
        user.push_back(*std::move(image));
      } else if (const json* file = FindMember(part, "fileData")) {
        absl::StatusOr<json> image = GeminiImagePart(*file, false);
        if (!image.ok()) return image.status();
        user.push_back(*std::move(image));
      } else if (part.contains("text")) {
        user.push_back({{"type", "text"}, {"text", StringMember(part, "text")}});
      } else {
        return Invalid("parts other than text, images, functionCall and functionResponse cannot "
                       "be sent to providers of other families");
      }
    }
    if (!user.empty()) messages.push_back({{"role", "user"}, {"content", std::move(user)}});
  }

  json out{{"messages", std::move(messages)}};
  if (const json* config = FindMember(in, "generationConfig")) {
    static constexpr std::pair<const char*, const char*> kSettings[] = {
        {"maxOutputTokens", "max_tokens"}, {"temperature", "temperature"}, {"topP", "top_p"},
        {"stopSequences", "stop"}, {"candidateCount", "n"}, {"seed", "seed"},
        {"presencePenalty", "presence_penalty"}, {"frequencyPenalty", "frequency_penalty"}};
    for (const auto& [from, to] : kSettings) {
      if (const json* value = FindMember(*config, from)) out[to] = *value;
    }
    const json* schema = FindMember(*config, "responseJsonSchema");
    if (schema == nullptr) schema = FindMember(*config, "responseSchema");
    if (schema != nullptr) {
      out["response_format"] = {{"type", "json_schema"},
                                {"json_schema", {{"name", "response"}, {"schema", *schema}}}};
    } else if (StringMember(*config, "responseMimeType") == "application/json") {
      out["response_format"] = {{"type", "json_object"}};
    }
  }
  if (const json* tools = FindMember(in, "tools")) {
    json converted = json::array();
    for (const json& tool : tools->is_array() ? *tools : json::array()) {
      const json* declarations = FindMember(tool, "functionDeclarations");
      if (declarations == nullptr || !declarations->is_array()) {
        return Invalid("only functionDeclarations tools reach providers of other families");
      }
      for (const json& declaration : *declarations) {
        json function{{"name", StringMember(declaration, "name")}};
        if (const json* description = FindMember(declaration, "description")) {
          function["description"] = *description;
        }
        const json* parameters = FindMember(declaration, "parametersJsonSchema");
        if (parameters == nullptr) parameters = FindMember(declaration, "parameters");
        if (parameters != nullptr) function["parameters"] = *parameters;
        converted.push_back({{"type", "function"}, {"function", std::move(function)}});
      }
    }
    if (!converted.empty()) out["tools"] = std::move(converted);
  }
  if (const json* config = FindMember(in, "toolConfig")) {
    if (const json* calling = FindMember(*config, "functionCallingConfig")) {
      const std::string mode = StringMember(*calling, "mode");
      const json* allowed = FindMember(*calling, "allowedFunctionNames");
      if (mode == "NONE") {
        out["tool_choice"] = "none";
      } else if (mode == "ANY" && allowed != nullptr && allowed->is_array() && allowed->size() == 1) {
        out["tool_choice"] = {{"type", "function"}, {"function", {{"name", allowed->front()}}}};
      } else if (mode == "ANY") {
        out["tool_choice"] = "required";
      } else if (mode == "AUTO") {
        out["tool_choice"] = "auto";
      }
    }
  }
  return InternalRequestBody(std::move(out), model, stream);
}

absl::StatusOr<std::string> OpenAiToGeminiResponse(std::string_view openai_body) {
  const json in = json::parse(openai_body, nullptr, false);
  const json* choices = FindMember(in, "choices");
  if (choices == nullptr || !choices->is_array() || choices->empty()) {
    return Invalid("the provider's response has no choices");
  }
  json candidates = json::array();
  for (const json& choice : *choices) {
    const json* message = FindMember(choice, "message");
    json parts = json::array();
    if (message != nullptr) {
      std::string reasoning = StringMember(*message, "reasoning_content");
      if (reasoning.empty()) reasoning = StringMember(*message, "reasoning");
      if (!reasoning.empty()) parts.push_back({{"text", reasoning}, {"thought", true}});
      if (std::string text = StringMember(*message, "content"); !text.empty()) {
        parts.push_back({{"text", std::move(text)}});
      }
      if (const json* calls = FindMember(*message, "tool_calls"); calls != nullptr && calls->is_array()) {
        for (const json& call : *calls) {
          const json* function = FindMember(call, "function");
          absl::StatusOr<json> args = Args(function != nullptr ? StringMember(*function, "arguments") : "");
          if (!args.ok()) return args.status();
          parts.push_back({{"functionCall", {{"id", StringMember(call, "id")},
                                             {"name", function != nullptr ? StringMember(*function, "name") : ""},
                                             {"args", *std::move(args)}}}});
        }
      }
    }
    if (parts.empty()) parts.push_back({{"text", ""}});
    candidates.push_back(
        {{"content", {{"role", "model"}, {"parts", std::move(parts)}}},
         {"finishReason", GeminiFinishReason(StringMember(choice, "finish_reason"))},
         {"index", IntMember(choice, "index")}});
  }
  json out{{"candidates", std::move(candidates)},
           {"modelVersion", StringMember(in, "model")},
           {"responseId", StringMember(in, "id")}};
  if (const json* usage = FindMember(in, "usage")) out["usageMetadata"] = UsageMetadata(*usage);
  return DumpJson(out);
}

std::unique_ptr<StreamTranslator> NewOpenAiToGeminiStream(bool sse) {
  return std::make_unique<OpenAiToGeminiStream>(sse);
}

}  // namespace switchyard::dp
