#include "common/bearer_tokens.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/sha256.h"

namespace switchyard::common {

BearerTokens BearerTokens::Parse(std::string_view text) {
  BearerTokens tokens;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(text.data(), text.size()), absl::ByAnyChar(",\n"))) {
    absl::string_view token = absl::StripAsciiWhitespace(part);
    if (!token.empty()) tokens.tokens_.emplace_back(token);
  }
  return tokens;
}

bool BearerTokens::Accepts(std::string_view authorization) const {
  return Find(authorization) >= 0;
}

int BearerTokens::Find(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(authorization.data(), kScheme.size()),
                              absl::string_view(kScheme.data(), kScheme.size()))) {
    return -1;
  }
  std::string_view presented = authorization.substr(kScheme.size());
  int found = -1;
  for (size_t i = 0; i < tokens_.size(); ++i) {  // every token compared: constant time
    if (ConstantTimeEquals(presented, tokens_[i])) found = static_cast<int>(i);
  }
  return found;
}

}  // namespace switchyard::common
