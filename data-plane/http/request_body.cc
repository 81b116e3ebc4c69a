#include "data-plane/http/request_body.h"

#include <simdjson.h>

#include <array>

#include "common/strings.h"

namespace switchyard::dp {
namespace {

using common::StrCat;

absl::Status InvalidBody(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

// Fields of OpenAI's request bodies whose JSON type is checked here, so that a request the
// provider would refuse is refused before a key, a slot and a round trip are spent on it.
enum class Want { kNumber, kInteger, kArray, kBoolean };
constexpr std::array<std::pair<std::string_view, Want>, 11> kTypedFields = {{
    {"messages", Want::kArray},
    {"temperature", Want::kNumber},
    {"top_p", Want::kNumber},
    {"frequency_penalty", Want::kNumber},
    {"presence_penalty", Want::kNumber},
    {"max_tokens", Want::kInteger},
    {"max_completion_tokens", Want::kInteger},
    {"n", Want::kInteger},
    {"seed", Want::kInteger},
    {"logprobs", Want::kBoolean},
    {"parallel_tool_calls", Want::kBoolean},
}};

absl::Status CheckType(std::string_view key, simdjson::dom::element value) {
  for (const auto& [name, want] : kTypedFields) {
    if (name != key) continue;
    if (value.is_null()) return absl::OkStatus();  // null = not set
    bool ok = false;
    switch (want) {
      case Want::kNumber:
        ok = value.is_number();
        break;
      case Want::kInteger:
        ok = value.is_int64() || value.is_uint64();
        break;
      case Want::kArray:
        ok = value.is_array();
        break;
      case Want::kBoolean:
        ok = value.is_bool();
        break;
    }
    if (!ok) {
      static constexpr std::array<std::string_view, 4> kWhat = {"a number", "an integer",
                                                                "an array", "a boolean"};
      return InvalidBody(StrCat(key, " must be ", kWhat[static_cast<int>(want)]));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RequestBody> ParseRequestBody(std::string text, size_t max_fallbacks,
                                             bool model_in_body) {
  thread_local simdjson::dom::parser parser;
  RequestBody body;
  body.text = std::move(text);
  simdjson::padded_string padded(body.text);
  // The whole document, validated (simdjson's DOM parser checks every value and UTF-8).
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) return InvalidBody("body is not valid JSON");
  simdjson::dom::object object;
  if (root.get_object().get(object)) return InvalidBody("body must be a JSON object");
  bool has_model = false;
  for (auto [key, value] : object) {
    if (absl::Status typed = CheckType(key, value); !typed.ok()) return typed;
    if (key == "model") {
      std::string_view model;
      if (value.get_string().get(model))
        return InvalidBody("model must be a string \"provider/model\"");
      body.model = std::string(model);
      has_model = true;
    } else if (key == "stream") {
      if (value.is_null()) continue;
      bool stream = false;
      if (value.get_bool().get(stream)) return InvalidBody("stream must be a boolean");
      body.stream = stream;
    } else if (key == "fallbacks") {
      body.has_fallbacks = true;
      simdjson::dom::array array;
      if (value.get_array().get(array)) {
        return InvalidBody("fallbacks must be an array of \"provider/model\" strings");
      }
      for (simdjson::dom::element element : array) {
        std::string_view fallback;
        if (element.get_string().get(fallback)) {
          return InvalidBody("fallbacks must be an array of \"provider/model\" strings");
        }
        if (body.fallbacks.size() == max_fallbacks) {
          return InvalidBody(StrCat("fallbacks may name at most ", max_fallbacks, " models"));
        }
        body.fallbacks.emplace_back(fallback);
      }
    } else if (key == "extra_params") {
      body.has_extra_params = true;
    } else if (key == "stream_options") {
      bool include_usage = false;
      if (!value["include_usage"].get_bool().get(include_usage)) body.include_usage = include_usage;
    }
  }
  if (!model_in_body) return body;
  if (!has_model || body.model.empty()) {
    return InvalidBody("model is required, as \"provider/model\"");
  }
  // Where the model's string token sits, for the in-place rewrite. The DOM does not keep
  // source positions, so find it with the on-demand parser (the document is known valid).
  thread_local simdjson::ondemand::parser locator;
  simdjson::ondemand::document document;
  simdjson::ondemand::object fields;
  if (locator.iterate(padded).get(document) || document.get_object().get(fields)) {
    return InvalidBody("body is not valid JSON");
  }
  for (auto field : fields) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return InvalidBody("body is not valid JSON");
    if (key != "model") continue;
    simdjson::ondemand::value value;
    if (field.value().get(value)) return InvalidBody("body is not valid JSON");
    std::string_view raw = value.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' || raw.back() == '\r')) {
      raw.remove_suffix(1);
    }
    body.model_offset = static_cast<size_t>(raw.data() - padded.data());
    body.model_length = raw.size();
  }
  return body;
}

}  // namespace switchyard::dp
