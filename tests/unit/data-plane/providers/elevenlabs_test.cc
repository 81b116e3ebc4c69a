// ElevenLabs' translations (data-plane/providers/elevenlabs/elevenlabs.h).
#include "data-plane/providers/elevenlabs/elevenlabs.h"

#include <gtest/gtest.h>

namespace switchyard::dp {
namespace {

TEST(ElevenLabs, SpeechBecomesTextToSpeech) {
  std::string voice, format;
  absl::StatusOr<std::string> body = OpenAiToElevenLabsSpeech(
      R"({"model":"elevenlabs/m","input":"Hi there","voice":"v-1","response_format":"opus","speed":1.2})",
      "eleven_multilingual_v2", &voice, &format);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body,
            R"({"text":"Hi there","model_id":"eleven_multilingual_v2","voice_settings":{"speed":1.2}})");
  EXPECT_EQ(voice, "v-1");
  EXPECT_EQ(format, "opus_48000_128");
  EXPECT_FALSE(OpenAiToElevenLabsSpeech(R"({"input":"x","voice":"v","response_format":"wav"})",
                                        "m", &voice, &format)
                   .ok());
  EXPECT_FALSE(OpenAiToElevenLabsSpeech(R"({"input":"x"})", "m", &voice, &format).ok());
}

TEST(ElevenLabs, TranscriptionUploadIsRebuilt) {
  const std::string upload =
      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\n"
      "Content-Type: audio/mpeg\r\n\r\nID3\x01\x02\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nelevenlabs/scribe_v1\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nfr\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"temperature\"\r\n\r\n0\r\n--b--\r\n";
  UploadForm form;
  form.boundary = "b";
  form.parts = *ParseMultipart(upload, "b");
  form.size = upload.size();
  absl::StatusOr<std::vector<BodyPiece>> pieces = OpenAiToElevenLabsTranscription(form, "scribe_v1");
  ASSERT_TRUE(pieces.ok()) << pieces.status();
  EXPECT_EQ(Concatenate(*pieces, upload),
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\n"
            "Content-Type: audio/mpeg\r\n\r\nID3\x01\x02\r\n"
            "--b\r\nContent-Disposition: form-data; name=\"language_code\"\r\n\r\nfr\r\n"
            "--b\r\nContent-Disposition: form-data; name=\"model_id\"\r\n\r\nscribe_v1\r\n"
            "--b--\r\n");
  EXPECT_EQ(*ElevenLabsToOpenAiTranscription(
                R"({"language_code":"fr","language_probability":0.9,"text":"bonjour","words":[]})"),
            R"({"text":"bonjour","language":"fr"})");
}

}  // namespace
}  // namespace switchyard::dp
