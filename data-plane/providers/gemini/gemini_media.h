// OpenAI's speech and image generation translated to Gemini's generateContent with audio or
// image output (pure functions):
//   POST /v1/audio/speech {model, input, voice, response_format}
//     -> :generateContent {contents, generationConfig {responseModalities ["AUDIO"],
//        speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName}}; Gemini's 24 kHz 16-bit mono
//        PCM comes back as the bytes of a WAV file (default, "wav") or raw ("pcm"); mp3, opus,
//        aac and flac are a 400 (the gateway does not transcode)
//   POST /v1/images/generations {model, prompt}
//     -> :generateContent {contents, generationConfig {responseModalities ["TEXT", "IMAGE"]}};
//        the inline images as {"created", "data": [{"b64_json"}]} (response_format url: 400)
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_GEMINI_MEDIA_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_GEMINI_MEDIA_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchyard::dp {

struct InferenceRequest;

// For gemini and vertex (its Google publisher): whether `request` is one of these, its
// generateContent body, the client's answer from the upstream's, whether that answer can be
// relayed as bytes (no: it is translated whole) and its Content-Type ("" for the provider's).
bool IsGeminiMedia(const InferenceRequest& request);
absl::StatusOr<std::string> GeminiMediaRequest(const InferenceRequest& request);
absl::StatusOr<std::string> GeminiMediaAnswer(const InferenceRequest& request,
                                              std::string_view upstream_body);
std::string GeminiMediaContentType(const InferenceRequest& request);

// `format` is set to "wav" or "pcm".
absl::StatusOr<std::string> OpenAiToGeminiSpeech(std::string_view body, std::string* format);
absl::StatusOr<std::string> GeminiToOpenAiSpeech(std::string_view body, std::string_view format);
absl::StatusOr<std::string> OpenAiToGeminiImage(std::string_view body);
absl::StatusOr<std::string> GeminiToOpenAiImage(std::string_view body);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_GEMINI_GEMINI_MEDIA_H_
