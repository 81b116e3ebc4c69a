#include "data-plane/http/request_body.h"

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "common/strings.h"

namespace switchyard::dp {
namespace {

using common::StrCat;

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

// Recursive merge: objects merge member by member, anything else replaces.
void Merge(nlohmann::json& into, const nlohmann::json& from) {
  for (const auto& [key, value] : from.items()) {
    if (value.is_object() && into.contains(key) && into[key].is_object()) {
      Merge(into[key], value);
    } else {
      into[key] = value;
    }
  }
}

std::string JsonString(std::string_view text) {
  const bool plain = std::none_of(text.begin(), text.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (!plain) return nlohmann::json(std::string(text)).dump();
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  out.append(text);
  out.push_back('"');
  return out;
}

}  // namespace

absl::StatusOr<RequestBody> ParseRequestBody(std::string text) {
  thread_local simdjson::ondemand::parser parser;
  RequestBody body;
  body.text = std::move(text);
  simdjson::padded_string padded(body.text);
  simdjson::ondemand::document document;
  if (parser.iterate(padded).get(document)) return Invalid("body is not valid JSON");
  simdjson::ondemand::object object;
  if (document.get_object().get(object)) return Invalid("body must be a JSON object");
  bool has_model = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Invalid("body is not valid JSON");
    simdjson::ondemand::value value;
    if (field.value().get(value)) return Invalid("body is not valid JSON");
    if (key == "model") {
      std::string_view raw = value.raw_json_token();
      std::string_view model;
      if (value.get_string().get(model)) {
        return Invalid("model must be a string \"provider/model\"");
      }
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' ||
                              raw.back() == '\r')) {
        raw.remove_suffix(1);
      }
      body.model = std::string(model);
      body.model_offset = static_cast<size_t>(raw.data() - padded.data());
      body.model_length = raw.size();
      has_model = true;
    } else if (key == "stream") {
      bool stream = false;
      simdjson::ondemand::json_type type;
      if (value.type().get(type)) return Invalid("body is not valid JSON");
      if (type == simdjson::ondemand::json_type::null) continue;
      if (value.get_bool().get(stream)) return Invalid("stream must be a boolean");
      body.stream = stream;
    } else if (key == "fallbacks") {
      body.has_fallbacks = true;
      simdjson::ondemand::array array;
      if (value.get_array().get(array)) {
        return Invalid("fallbacks must be an array of \"provider/model\" strings");
      }
      for (auto element : array) {
        std::string_view fallback;
        if (element.get_string().get(fallback)) {
          return Invalid("fallbacks must be an array of \"provider/model\" strings");
        }
        body.fallbacks.emplace_back(fallback);
      }
    } else if (key == "extra_params") {
      body.has_extra_params = true;
    }
  }
  if (!has_model || body.model.empty()) {
    return Invalid("model is required, as \"provider/model\"");
  }
  return body;
}

std::string UpstreamBody(const RequestBody& body, std::string_view bare_model,
                         bool merge_extra_params) {
  if (!body.has_fallbacks && !(merge_extra_params && body.has_extra_params)) {
    std::string out;
    out.reserve(body.text.size());
    out.append(body.text, 0, body.model_offset);
    out.append(JsonString(bare_model));
    out.append(body.text, body.model_offset + body.model_length);
    return out;
  }
  nlohmann::json json = nlohmann::json::parse(body.text);
  json["model"] = std::string(bare_model);
  json.erase("fallbacks");
  if (merge_extra_params && json.contains("extra_params")) {
    const nlohmann::json extra = json["extra_params"];
    json.erase("extra_params");
    if (extra.is_object()) Merge(json, extra);
  }
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace switchyard::dp
