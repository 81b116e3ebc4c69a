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
  const FormPart& file = (*parts)[0];
  EXPECT_EQ(kBody.substr(file.value_offset, file.value_length), "RIFF\r\n--not-the-boundary");
  EXPECT_EQ(FormValue(*parts, "file"), "");  // a file's bytes are not held
  EXPECT_EQ(FormValue(*parts, "model"), "openai/whisper-1");
  EXPECT_EQ(FormValue(*parts, "stream"), "true");
  EXPECT_EQ(FormValue(*parts, "missing"), "");
}

TEST(Multipart, TheModelIsRewrittenAndNothingElse) {
  UploadForm form;
  form.parts = *ParseMultipart(kBody, "XyZ");
  form.size = kBody.size();
  const std::string rewritten =
      Concatenate(WithFieldReplaced(form, "model", "whisper-1"), kBody);
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

// The checker finds the same parts as ParseMultipart however the body is cut into pieces.
TEST(Multipart, TheCheckerIndexesPartsAcrossPieces) {
  const std::vector<FormPart> whole = *ParseMultipart(kBody, "XyZ");
  for (size_t piece = 1; piece <= kBody.size(); ++piece) {
    MultipartChecker checker("XyZ", /*index=*/true);
    for (size_t at = 0; at < kBody.size(); at += piece) {
      ASSERT_TRUE(checker.Feed(kBody.substr(at, piece)).ok()) << piece;
    }
    ASSERT_TRUE(checker.Finish().ok()) << piece;
    const std::vector<FormPart>& found = checker.parts();
    ASSERT_EQ(found.size(), whole.size()) << piece;
    for (size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(found[i].name, whole[i].name) << piece;
      EXPECT_EQ(found[i].filename, whole[i].filename) << piece;
      EXPECT_EQ(found[i].part_offset, whole[i].part_offset) << piece;
      EXPECT_EQ(found[i].value_offset, whole[i].value_offset) << piece;
      EXPECT_EQ(found[i].value_length, whole[i].value_length) << piece;
      EXPECT_EQ(found[i].value, whole[i].value) << piece;
    }
  }
}

TEST(Multipart, TheIndexRefusesNamelessAndTooManyParts) {
  MultipartChecker nameless("XyZ", true);
  EXPECT_FALSE(nameless.Feed("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n").ok());
  std::string many;
  for (size_t i = 0; i <= MultipartChecker::kMaxIndexedParts; ++i) {
    many += "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n";
  }
  many += "--XyZ--\r\n";
  MultipartChecker counted("XyZ", true);
  EXPECT_FALSE(counted.Feed(many).ok());
  MultipartChecker unindexed("XyZ");  // (file uploads: only the framing)
  EXPECT_TRUE(unindexed.Feed(many).ok());
  EXPECT_TRUE(unindexed.Finish().ok());
  // A long field is indexed, its value not held.
  const std::string long_field = "--XyZ\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\n" +
                                 std::string(kMaxHeldValue + 1, 'p') + "\r\n--XyZ--\r\n";
  MultipartChecker held("XyZ", true);
  ASSERT_TRUE(held.Feed(long_field).ok());
  ASSERT_EQ(held.parts().size(), 1u);
  EXPECT_EQ(held.parts()[0].value_length, kMaxHeldValue + 1);
  EXPECT_EQ(held.parts()[0].value, "");
}

}  // namespace
}  // namespace switchyard::dp
