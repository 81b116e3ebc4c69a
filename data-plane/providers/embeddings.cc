#include "data-plane/providers/embeddings.h"

#include <openssl/evp.h>

#include <cstring>

#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"

namespace switchyard::dp {
namespace {

using json = nlohmann::ordered_json;

// Little-endian float32 values, base64 (OpenAI's encoding_format "base64").
std::string Base64Floats(const json& values) {
  std::string bytes;
  bytes.reserve(values.size() * 4);
  for (const json& value : values) {
    const float number = value.is_number() ? value.get<float>() : 0.0f;
    uint32_t bits;
    std::memcpy(&bits, &number, 4);
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<char>(bits >> shift));
  }
  return Base64(bytes);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> EmbeddingInputs(const json& in, std::string_view family) {
  const json* input = FindMember(in, "input");
  if (input == nullptr) return absl::InvalidArgumentError("input is required");
  if (input->is_string()) return std::vector<std::string>{input->get<std::string>()};
  if (!input->is_array() || input->empty()) {
    return absl::InvalidArgumentError("input must be a string or a non-empty array of strings");
  }
  std::vector<std::string> texts;
  for (const json& item : *input) {
    if (!item.is_string()) {
      return absl::InvalidArgumentError(common::StrCat(
          family, " providers embed text only: input must be strings, not token arrays"));
    }
    texts.push_back(item.get<std::string>());
  }
  return texts;
}

absl::StatusOr<std::string> OpenAiEmbeddingList(const std::vector<const json*>& vectors,
                                                std::string_view openai_body,
                                                std::string_view model, int64_t prompt_tokens) {
  const json request = json::parse(openai_body, nullptr, false);
  const bool base64 = StringMember(request, "encoding_format") == "base64";
  json data = json::array();
  for (size_t i = 0; i < vectors.size(); ++i) {
    const json* values = vectors[i];
    if (values == nullptr || !values->is_array()) {
      return absl::InvalidArgumentError("an embedding has no values");
    }
    data.push_back({{"object", "embedding"},
                    {"index", i},
                    {"embedding", base64 ? json(Base64Floats(*values)) : *values}});
  }
  return DumpJson({{"object", "list"},
                   {"data", std::move(data)},
                   {"model", std::string(model)},
                   {"usage", {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}}});
}

}  // namespace switchyard::dp
