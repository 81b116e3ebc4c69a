#include "data-plane/providers/text_chat.h"

#include <simdjson.h>

#include <algorithm>

#include "data-plane/providers/json_util.h"

namespace switchyard::dp {

std::optional<TextChat> ReadTextChat(std::string_view body) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object in;
  if (parser.parse(body.data(), body.size()).get(in)) return std::nullopt;
  TextChat chat;
  bool has_messages = false;
  for (auto [key, value] : in) {
    if (key == "messages") {
      simdjson::dom::array messages;
      if (value.get(messages)) return std::nullopt;
      has_messages = true;
      for (simdjson::dom::element message : messages) {
        simdjson::dom::object fields;
        std::string_view role;
        std::string_view text;
        if (message.get(fields) || fields.size() != 2 || fields["role"].get(role) ||
            fields["content"].get(text)) {
          return std::nullopt;
        }
        const bool system = role == "system" || role == "developer";
        if (!system && role != "user" && role != "assistant") return std::nullopt;
        if (!text.empty()) chat.turns.push_back({system, role, text});
      }
    } else if (key == "max_tokens" || key == "max_completion_tokens" || key == "temperature" ||
               key == "top_p") {
      if (!value.is_number() && !value.is_null()) return std::nullopt;
    } else if (key != "model" && key != "stream" && key != "stream_options") {
      return std::nullopt;
    }
  }
  if (!has_messages) return std::nullopt;
  for (std::string_view key : {"max_completion_tokens", "max_tokens"}) {
    int64_t value = 0;
    if (!in[key].get(value)) {
      chat.max_tokens = value;
      break;
    }
  }
  for (auto [key, out] : {std::pair{"temperature", &chat.temperature}, {"top_p", &chat.top_p}}) {
    simdjson::dom::element value;
    if (!in[key].get(value) && !value.is_null()) *out = simdjson::to_string(value);
  }
  return chat;
}

bool TextChat::has_system() const {
  return std::any_of(turns.begin(), turns.end(), [](const Turn& turn) { return turn.system; });
}

void AppendSystemParts(const TextChat& chat, std::string_view part_head, std::string* out) {
  bool first = true;
  for (const TextChat::Turn& turn : chat.turns) {
    if (!turn.system) continue;
    if (!first) out->append(",");
    out->append(part_head);
    AppendJsonString(out, turn.text);
    out->append("}");
    first = false;
  }
}

void AppendTurns(const TextChat& chat, std::string_view parts_key, std::string_view part_head,
                 std::string_view (*role_of)(std::string_view role), std::string* out) {
  out->append("[");
  std::string_view previous;
  for (const TextChat::Turn& turn : chat.turns) {
    if (turn.system) continue;
    const std::string_view role = role_of(turn.role);
    if (role == previous) {
      out->resize(out->size() - 2);  // "]}" of the previous entry: its parts go on
      out->append(",");
    } else {
      if (!previous.empty()) out->append(",");
      out->append("{\"role\":\"").append(role).append("\",\"").append(parts_key).append("\":[");
    }
    out->append(part_head);
    AppendJsonString(out, turn.text);
    out->append("}]}");
    previous = role;
  }
  out->append("]");
}

}  // namespace switchyard::dp
