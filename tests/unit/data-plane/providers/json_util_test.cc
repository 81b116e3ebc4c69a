// CopyableJsonStringEnd: the scan that decides whether a JSON string token is copied into a
// translation as it is, eight bytes at a time, against the byte-by-byte rule it implements.
#include "data-plane/providers/json_util.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace switchyard::dp {
namespace {

// The rule, one byte at a time: the closing quote's index, npos for a control character, an
// escape other than \" \\ \n \r \t \b \f, or no closing quote; and whether every byte is ASCII.
size_t ByteByByte(std::string_view data, size_t open, bool* ascii) {
  bool all_ascii = true;
  for (size_t at = open + 1; at < data.size(); ++at) {
    const unsigned char c = static_cast<unsigned char>(data[at]);
    if (c >= 0x80) all_ascii = false;
    if (c == '"') {
      *ascii = all_ascii;
      return at;
    }
    if (c < 0x20) return std::string_view::npos;
    if (c == '\\') {
      if (++at >= data.size()) return std::string_view::npos;
      if (std::string_view("nrt\"\\bf").find(data[at]) == std::string_view::npos) {
        return std::string_view::npos;
      }
    }
  }
  return std::string_view::npos;
}

TEST(CopyableJsonStringEndTest, AgreesWithTheByteByByteRuleWhereverTheStopsFall) {
  // Bytes that stop the eight-byte scan, or sit next to what does (0x1f/0x20, 0x7f/0x80, the
  // letters after a backslash), at every position of strings of 0 to 40 bytes.
  const std::string alphabet = std::string("\"\\\x1f\x20\x7f\x80\xc3\xa9\xff\x01nrtbfu/a", 17);
  std::mt19937 random(18);
  int copied = 0, refused = 0, non_ascii = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string data = "\"";
    const size_t length = random() % 41;
    for (size_t i = 0; i < length; ++i) {
      data += random() % 3 == 0 ? alphabet[random() % alphabet.size()] : 'a' + random() % 26;
    }
    if (random() % 2 == 0) data += "\"}";
    bool expected_ascii = false, ascii = false;
    const size_t expected = ByteByByte(data, 0, &expected_ascii);
    ASSERT_EQ(CopyableJsonStringEnd(data, 0, &ascii), expected) << data;
    if (expected != std::string_view::npos) {
      ASSERT_EQ(ascii, expected_ascii) << data;
      ++copied;
      if (!ascii) ++non_ascii;
    } else {
      ++refused;
    }
  }
  // (The mix reached every outcome.)
  EXPECT_GT(copied, 1000);
  EXPECT_GT(refused, 1000);
  EXPECT_GT(non_ascii, 100);
}

TEST(CopyableJsonStringEndTest, TheTokenEndsAtItsOwnQuote) {
  bool ascii = false;
  const std::string_view data = R"({"text":"a long enough text \"quoted\" and more","x":"é"})";
  EXPECT_EQ(CopyableJsonStringEnd(data, 8, &ascii), data.find(R"(","x")"));
  EXPECT_TRUE(ascii);  // the é after the token is not the token's
  EXPECT_EQ(CopyableJsonStringEnd(R"("twelve bytes \u00e9")", 0, &ascii), std::string_view::npos);
  EXPECT_EQ(CopyableJsonStringEnd(R"("no closing quote at all)", 0, &ascii), std::string_view::npos);
}

}  // namespace
}  // namespace switchyard::dp
