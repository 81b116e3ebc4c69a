// What every family's embeddings translation shares: the texts of an OpenAI embeddings
// request, and OpenAI's embedding list built from a provider's vectors (floats, or base64 of
// little-endian float32 when the client asked for encoding_format "base64", which OpenAI's SDK
// does by default). Pure functions; any thread.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_EMBEDDINGS_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_EMBEDDINGS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::dp {

// The input strings of an OpenAI embeddings request (a string or an array of strings);
// InvalidArgument for token arrays, which `family` cannot embed.
absl::StatusOr<std::vector<std::string>> EmbeddingInputs(const nlohmann::ordered_json& request,
                                                         std::string_view family);

// OpenAI's list from `vectors` (each a JSON array of numbers), in order.
absl::StatusOr<std::string> OpenAiEmbeddingList(const std::vector<const nlohmann::ordered_json*>& vectors,
                                                std::string_view openai_body,
                                                std::string_view model, int64_t prompt_tokens);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_EMBEDDINGS_H_
