// Small nlohmann::ordered_json helpers the adapters share, and readers and writers of the internal
// (OpenAI-shaped) form. Include only from adapter .cc files (it pulls in nlohmann/json.hpp).
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_JSON_UTIL_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_JSON_UTIL_H_

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "data-plane/providers/inference_request.h"

namespace switchyard::dp {

// Compact JSON; invalid UTF-8 is replaced, never thrown on.
inline std::string DumpJson(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// `text` appended as a JSON string: quoted as it is when nothing in it needs escaping (the
// common case), else escaped (invalid UTF-8 replaced).
inline void AppendJsonString(std::string* out, std::string_view text) {
  if (std::none_of(text.begin(), text.end(), [](char c) {
        return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
      })) {
    out->push_back('"');
    out->append(text);
    out->push_back('"');
    return;
  }
  out->append(DumpJson(nlohmann::ordered_json(std::string(text))));
}

// The end of a JSON string token of valid JSON that starts at `open` (its opening quote): the
// index of its closing quote, when the token can be copied into output as it is, byte for byte
// what DumpJson() writes for its value: no control characters and only the escapes dump writes
// back the same way (\" \\ \n \r \t \b \f). npos for any other token (a \u or \/ escape,
// a raw control character, no closing quote), which the caller then unescapes and writes again.
// UTF-8 is not checked here: `*ascii` says whether the token is all ASCII (so valid without a
// closer look; simdjson::validate_utf8 costs ten times more on a short text, its dispatch and
// set-up).
inline size_t CopyableJsonStringEnd(std::string_view data, size_t open, bool* ascii) {
  // Eight bytes at a time while none is a quote, a backslash or a control character (SWAR
  // tests: the lowest byte each flags is exactly the first such byte), then that byte alone.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const auto zero_bytes = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t seen = 0;  // the string's bytes or'ed: a high bit set says one is not ASCII
  size_t at = open + 1;
  while (at < data.size()) {
    if (data.size() - at >= 8) {
      uint64_t word;
      std::memcpy(&word, data.data() + at, 8);
      const uint64_t stops = zero_bytes(word ^ (kOnes * '"')) | zero_bytes(word ^ (kOnes * '\\')) |
                             ((word - kOnes * 0x20) & ~word & kHigh);
      if (stops == 0) {
        seen |= word;
        at += 8;
        continue;
      }
      const int plain = std::countr_zero(stops) / 8;  // bytes before the first stop
      seen |= word & ((uint64_t{1} << (8 * plain)) - 1);
      at += static_cast<size_t>(plain);
    }
    const unsigned char c = static_cast<unsigned char>(data[at]);
    seen |= c;
    if (c == '"') {
      *ascii = (seen & kHigh) == 0;
      return at;
    }
    if (c < 0x20) return std::string_view::npos;
    if (c == '\\') {
      if (++at >= data.size()) return std::string_view::npos;
      const char escaped = data[at];
      if (escaped != 'n' && escaped != 'r' && escaped != 't' && escaped != '"' && escaped != '\\' &&
          escaped != 'b' && escaped != 'f') {
        return std::string_view::npos;
      }
    }
    ++at;
  }
  return std::string_view::npos;
}

// The end of an OpenAI chunk (SSE framing included) of one choice whose delta's last member was
// just written: the delta closed, no finish_reason yet.
inline constexpr std::string_view kOpenTextChunkTail = "},\"finish_reason\":null}]}\n\n";

// The member `key` of an object, or null when `object` is not an object or the member is
// missing or null. (find(), not operator[]: on a const json a missing key is undefined.)
inline const nlohmann::ordered_json* FindMember(const nlohmann::ordered_json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

// An integer member, or `fallback`.
inline int64_t IntMember(const nlohmann::ordered_json& object, const char* key, int64_t fallback = 0) {
  const nlohmann::ordered_json* value = FindMember(object, key);
  return value != nullptr && value->is_number_integer() ? value->get<int64_t>() : fallback;
}

// A string member, or "".
inline std::string StringMember(const nlohmann::ordered_json& object, const char* key) {
  const nlohmann::ordered_json* value = FindMember(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

// One tool call of an OpenAI assistant message, its arguments parsed ("" counts as {}).
struct ParsedToolCall {
  std::string id;
  std::string name;
  nlohmann::ordered_json arguments;    // any JSON value: each family decides what it accepts
  const nlohmann::ordered_json* call;  // the whole call object (extra_content and the like)
};

// The tool_calls of an OpenAI assistant message (none when absent). InvalidArgument when they
// are not an array of calls with a function whose arguments are JSON.
inline absl::StatusOr<std::vector<ParsedToolCall>> AssistantToolCalls(
    const nlohmann::ordered_json& message) {
  std::vector<ParsedToolCall> out;
  const nlohmann::ordered_json* calls = FindMember(message, "tool_calls");
  if (calls == nullptr) return out;
  if (!calls->is_array()) return absl::InvalidArgumentError("tool_calls must be an array");
  for (const nlohmann::ordered_json& call : *calls) {
    const nlohmann::ordered_json* function = FindMember(call, "function");
    if (function == nullptr) return absl::InvalidArgumentError("tool_calls need a function");
    const std::string arguments = StringMember(*function, "arguments");
    nlohmann::ordered_json parsed =
        nlohmann::ordered_json::parse(arguments.empty() ? "{}" : arguments, nullptr, false);
    if (parsed.is_discarded()) {
      return absl::InvalidArgumentError("tool call arguments must be a JSON string");
    }
    out.push_back({StringMember(call, "id"), StringMember(*function, "name"), std::move(parsed),
                   &call});
  }
  return out;
}

// A native route's request in the internal form: `body` (an OpenAI chat request without its
// model) with `model` written first, its position recorded so adapters rewrite it like a
// client's. A stream asks for usage (stream_options.include_usage): every native surface
// reports it at the end.
inline RequestBody InternalRequestBody(nlohmann::ordered_json body, std::string_view model, bool stream) {
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  RequestBody out;
  out.model = std::string(model);
  out.stream = stream;
  out.include_usage = stream;
  const std::string model_token = DumpJson(nlohmann::ordered_json(out.model));
  const std::string rest = DumpJson(body);  // "{...}"
  out.text = "{\"model\":" + model_token + (rest.size() > 2 ? "," : "") + rest.substr(1);
  out.model_offset = 9;  // after {"model":
  out.model_length = model_token.size();
  return out;
}

// What the bridges' stream translators (the internal form -> a native surface) read from one
// OpenAI chunk: its usage, when it carries one, and its first choice's delta and
// finish_reason ("" while the choice goes on).
struct OpenAiChunk {
  const nlohmann::ordered_json* usage = nullptr;
  const nlohmann::ordered_json* delta = nullptr;
  std::string finish_reason;
};
inline OpenAiChunk ReadOpenAiChunk(const nlohmann::ordered_json& chunk) {
  OpenAiChunk out;
  if (const nlohmann::ordered_json* usage = FindMember(chunk, "usage"); usage && usage->is_object()) {
    out.usage = usage;
  }
  const nlohmann::ordered_json* choices = FindMember(chunk, "choices");
  if (choices != nullptr && choices->is_array() && !choices->empty()) {
    out.delta = FindMember(choices->front(), "delta");
    out.finish_reason = StringMember(choices->front(), "finish_reason");
  }
  return out;
}

// InvalidArgument with `message` (what a translation refuses: a 400 for the client).
inline absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_JSON_UTIL_H_
