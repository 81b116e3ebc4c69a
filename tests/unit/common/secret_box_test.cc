// SecretBox (issue 12): AES-256-GCM with a fresh nonce per seal, key ids for rotation, and
// refusal of anything tampered or sealed under a key not given.
#include "common/secret_box.h"

#include <gtest/gtest.h>

namespace switchyard::common {
namespace {

constexpr char kFirst[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";   // "0123...cdef" x2
constexpr char kSecond[] = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";  // "fedc...3210" x2

TEST(SecretBoxTest, SealsWithAFreshNonceAndOpens) {
  auto box = SecretBox::FromKeys(kFirst);
  ASSERT_TRUE(box.ok()) << box.status();
  const std::string a = box->Seal("sk-secret-value");
  const std::string b = box->Seal("sk-secret-value");
  EXPECT_NE(a, b);  // a fresh nonce each time
  EXPECT_TRUE(SecretBox::IsSealed(a));
  EXPECT_EQ(a.find("sk-secret"), std::string::npos);
  EXPECT_EQ(*box->Open(a), "sk-secret-value");
  EXPECT_EQ(*box->Open(box->Seal("")), "");
}

TEST(SecretBoxTest, RefusesTamperingAndUnknownKeys) {
  auto box = SecretBox::FromKeys(kFirst);
  std::string sealed = box->Seal("sk-secret-value");
  const size_t body = sealed.rfind(':') + 2;  // a ciphertext byte, not the base64 padding
  sealed[body] = sealed[body] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(absl::IsDataLoss(box->Open(sealed).status()));
  auto other = SecretBox::FromKeys(kSecond);
  EXPECT_TRUE(absl::IsFailedPrecondition(other->Open(box->Seal("x")).status()));
  EXPECT_FALSE(box->Open("plain text").ok());
  EXPECT_FALSE(SecretBox::FromKeys("not base64!").ok());
  EXPECT_FALSE(SecretBox::FromKeys("# only a comment\n").ok());
}

TEST(SecretBoxTest, RotationSealsWithTheFirstKeyAndOpensWithAny) {
  auto old_box = SecretBox::FromKeys(kFirst);
  const std::string old_sealed = old_box->Seal("sk-old");
  auto rotated = SecretBox::FromKeys(std::string(kSecond) + "\n" + kFirst + "\n");
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(*rotated->Open(old_sealed), "sk-old");
  const std::string resealed = rotated->Seal("sk-old");
  EXPECT_TRUE(resealed.starts_with("sy1:" + rotated->sealing_key_id() + ":"));
  EXPECT_NE(rotated->sealing_key_id(), old_box->sealing_key_id());
}

}  // namespace
}  // namespace switchyard::common
