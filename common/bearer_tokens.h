// A set of accepted bearer tokens (admin tokens, the data-plane token), checked in constant
// time. Immutable after construction; any thread.
//
//   auto tokens = BearerTokens::Parse(getenv("SWITCHYARD_ADMIN_TOKEN"));
//   if (!tokens.Accepts(request.Header("authorization"))) return Unauthenticated(...);
#ifndef SWITCHYARD_COMMON_BEARER_TOKENS_H_
#define SWITCHYARD_COMMON_BEARER_TOKENS_H_

#include <string>
#include <string_view>
#include <vector>

namespace switchyard::common {

class BearerTokens {
 public:
  BearerTokens() = default;

  // Tokens separated by commas or newlines; blanks around each are trimmed, empty ones
  // dropped.
  static BearerTokens Parse(std::string_view text);

  bool empty() const { return tokens_.empty(); }

  // True when `authorization` is "Bearer <token>" for one of the tokens. Compares against
  // every token, each in constant time.
  bool Accepts(std::string_view authorization) const;
  // The index of the token `authorization` carries; -1 for none.
  int Find(std::string_view authorization) const;

 private:
  std::vector<std::string> tokens_;
};

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_BEARER_TOKENS_H_
