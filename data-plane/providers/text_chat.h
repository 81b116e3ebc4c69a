// TextChat: the common OpenAI chat request (text messages and sampling settings only), read
// with simdjson's DOM without building a JSON tree, for the translators' fast paths (issue 18
// point 4: most requests are this shape, and a scan of the few fields they carry is much
// cheaper than a DOM of every value). Anything else is not a TextChat: the caller's general
// path handles it.
//
//   if (std::optional<TextChat> chat = ReadTextChat(body)) { ... write the family's body ... }
//
// The views point into a thread-local parser's document: use them before this thread reads
// another TextChat.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_TEXT_CHAT_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_TEXT_CHAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::dp {

struct TextChat {
  struct Turn {
    bool system;            // system or developer
    std::string_view role;  // as sent
    std::string_view text;  // never empty (empty messages are left out)
  };
  std::vector<Turn> turns;
  std::optional<int64_t> max_tokens;  // max_completion_tokens, else max_tokens (integers only)
  std::string temperature;            // JSON number text; "" when absent or null
  std::string top_p;

  bool has_system() const;
};

// nullopt unless the body is an object of model, messages (each exactly role and string
// content, roles system, developer, user, assistant), max_tokens, max_completion_tokens,
// temperature, top_p (numbers or null), stream and stream_options.
std::optional<TextChat> ReadTextChat(std::string_view body);

// Writers the fast paths share. A part is `part_head` (e.g. `{"text":`), the text as a JSON
// string, then `}`.
//
// The system (and developer) texts as parts separated by commas; nothing when there are none.
void AppendSystemParts(const TextChat& chat, std::string_view part_head, std::string* out);
// The other turns as a JSON array of {"role":…,"<parts_key>":[parts]}, `role_of` naming each
// turn's role in the family's terms; consecutive turns of one role form one entry (Anthropic
// and Gemini want roles to alternate).
void AppendTurns(const TextChat& chat, std::string_view parts_key, std::string_view part_head,
                 std::string_view (*role_of)(std::string_view role), std::string* out);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_TEXT_CHAT_H_
