#include "common/bearer_tokens.h"

#include <gtest/gtest.h>

namespace switchyard::common {
namespace {

TEST(BearerTokensTest, AcceptsOnlyListedTokensWithTheBearerScheme) {
  const BearerTokens tokens = BearerTokens::Parse(" alpha , beta\ngamma\n\n");
  EXPECT_TRUE(tokens.Accepts("Bearer alpha"));
  EXPECT_TRUE(tokens.Accepts("bearer beta"));
  EXPECT_TRUE(tokens.Accepts("Bearer gamma"));
  EXPECT_FALSE(tokens.Accepts("Bearer alph"));
  EXPECT_FALSE(tokens.Accepts("Bearer alphaa"));
  EXPECT_FALSE(tokens.Accepts("alpha"));
  EXPECT_FALSE(tokens.Accepts("Basic alpha"));
  EXPECT_FALSE(tokens.Accepts("Bearer "));
  EXPECT_FALSE(tokens.Accepts(""));
}

TEST(BearerTokensTest, EmptyListAcceptsNothing) {
  const BearerTokens tokens = BearerTokens::Parse(" , \n");
  EXPECT_TRUE(tokens.empty());
  EXPECT_FALSE(tokens.Accepts("Bearer "));
  EXPECT_FALSE(tokens.Accepts("Bearer x"));
}

}  // namespace
}  // namespace switchyard::common
