// SigV4 (issue 11 point 1) against AWS's published test suite (aws-sig-v4-test-suite:
// get-vanilla, get-vanilla-query-order-key-case, post-vanilla, post-x-www-form-urlencoded),
// plus what Bedrock adds: session tokens and the canonical URI's second encoding.
#include "data-plane/providers/bedrock/sigv4.h"

#include <gtest/gtest.h>

namespace switchyard::dp {
namespace {

const AwsCredentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
// 20150830T123600Z, the suite's time.
const std::chrono::system_clock::time_point kSuiteTime =
    std::chrono::system_clock::from_time_t(1440938160);

std::string Authorization(SigV4Request request, const AwsCredentials& credentials = kSuite) {
  request.host = "example.amazonaws.com";
  request.region = "us-east-1";
  request.service = "service";
  request.now = kSuiteTime;
  for (const auto& [name, value] : SignV4(request, credentials)) {
    if (name == "authorization") return value;
  }
  return "";
}

constexpr char kScope[] =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

TEST(SigV4Test, MatchesAwsPublishedTestSuite) {
  EXPECT_EQ(Authorization({.method = "GET", .path = "/"}),
            std::string(kScope) + "SignedHeaders=host;x-amz-date, Signature="
                                  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(Authorization({.method = "GET", .path = "/", .query = "Param2=value2&Param1=value1"}),
            std::string(kScope) + "SignedHeaders=host;x-amz-date, Signature="
                                  "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  EXPECT_EQ(Authorization({.method = "POST", .path = "/"}),
            std::string(kScope) + "SignedHeaders=host;x-amz-date, Signature="
                                  "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  EXPECT_EQ(Authorization({.method = "POST",
                           .path = "/",
                           .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                           .body = "Param1=value1"}),
            std::string(kScope) + "SignedHeaders=content-type;host;x-amz-date, Signature="
                                  "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4Test, SessionTokensAreSignedAndSent) {
  SigV4Request request{.method = "POST", .host = "h", .path = "/", .region = "r", .service = "s",
                       .now = kSuiteTime};
  const auto headers = SignV4(request, {"AKID", "secret", "session-token"});
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"x-amz-date", "20150830T123600Z"}));
  EXPECT_EQ(headers[1].second, "session-token");
  EXPECT_NE(headers[2].second.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
            std::string::npos)
      << headers[2].second;
}

// ADAPTERS.md §9 item 10: a model id with ':' is sent as %3A and signed as %253A. Signing the
// once-encoded form gives another signature, which AWS refuses.
TEST(SigV4Test, TheCanonicalUriEncodesThePathAsSentAgain) {
  const std::string sent = Authorization({.method = "POST", .path = "/model/a%3Ab/converse"});
  const std::string once = Authorization({.method = "POST", .path = "/model/a:b/converse"});
  EXPECT_NE(sent, once);
  EXPECT_EQ(AwsUriEncode("a%3Ab"), "a%253Ab");
  EXPECT_EQ(AwsUriEncode("us.anthropic.claude-3-5:0"), "us.anthropic.claude-3-5%3A0");
}

}  // namespace
}  // namespace switchyard::dp
