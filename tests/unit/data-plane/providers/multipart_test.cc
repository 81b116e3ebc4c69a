// multipart/form-data framing and field rewriting (data-plane/providers/multipart.h).
#include "data-plane/providers/multipart.h"

#include <gtest/gtest.h>

namespace switchyard::dp {
namespace {

const std::string kBody =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
    "Content-Type: audio/wav\r\n\r\n"
    "RIFF\r\n--not-the-boundary\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"model\"\r\n\r\n"
    "openai/whisper-1\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"stream\"\r\n\r\n"
    "true\r\n"
    "--XyZ--\r\n";

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=XyZ"), "XyZ");
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"a b\"; charset=x"), "a b");
  EXPECT_EQ(MultipartBoundary("application/json"), "");
}

TEST(Multipart, PartsAreFoundInPlace) {
  absl::StatusOr<std::vector<FormPart>> parts = ParseMultipart(kBody, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "file");
  EXPECT_EQ((*parts)[0].filename, "a.wav");
  EXPECT_EQ(FormValue(kBody, *parts, "file"), "RIFF\r\n--not-the-boundary");
  EXPECT_EQ(FormValue(kBody, *parts, "model"), "openai/whisper-1");
  EXPECT_EQ(FormValue(kBody, *parts, "stream"), "true");
  EXPECT_EQ(FormValue(kBody, *parts, "missing"), "");
}

TEST(Multipart, TheModelIsRewrittenAndNothingElse) {
  const auto parts = ParseMultipart(kBody, "XyZ");
  const std::string rewritten = ReplaceFormValue(kBody, *parts, "model", "whisper-1");
  std::string expected = kBody;
  expected.replace(expected.find("openai/whisper-1"), 16, "whisper-1");
  EXPECT_EQ(rewritten, expected);
  EXPECT_TRUE(ParseMultipart(rewritten, "XyZ").ok());
}

TEST(Multipart, BadFramingIsRefused) {
  // No closing boundary; a part header that never ends; no boundary at all; no name.
  for (const std::string& bad :
       {kBody.substr(0, kBody.size() - 9), std::string("--XyZ\r\nContent-Disposition: form-data"),
        std::string("just bytes"),
        std::string("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n")}) {
    EXPECT_FALSE(ParseMultipart(bad, "XyZ").ok()) << bad;
  }
  EXPECT_FALSE(ParseMultipart(kBody, "").ok());
}

}  // namespace
}  // namespace switchyard::dp
