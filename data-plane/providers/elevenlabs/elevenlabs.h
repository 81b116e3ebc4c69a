// ElevenLabs (provider type "elevenlabs"): OpenAI's speech and transcription requests
// translated to ElevenLabs' API, authenticated with `xi-api-key`.
//
//   POST /v1/audio/speech {model, input, voice, response_format}
//     -> POST /v1/text-to-speech/{voice}?output_format=… {text, model_id}; the audio bytes
//        relayed as they come (mp3 -> mp3_44100_128, opus -> opus_48000_128, pcm -> pcm_24000;
//        wav, aac, flac: 400, ElevenLabs has no such format)
//   … "stream_format": "sse" -> POST /v1/text-to-speech/{voice}/stream, the audio chunks
//        turned into OpenAI's speech.audio.delta events (base64) and a speech.audio.done
//   POST /v1/audio/transcriptions (multipart {file, model, language})
//     -> POST /v1/speech-to-text (multipart {file, model_id, language_code}); the answer's
//        text as OpenAI's {"text"} (with its language)
// Everything else (transcription streams: ElevenLabs streams speech-to-text over WebSockets
// only; translations, images, files, batches, chat) is a 501 naming the family.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_ELEVENLABS_ELEVENLABS_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_ELEVENLABS_ELEVENLABS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data-plane/providers/provider_adapter.h"
#include "data-plane/providers/multipart.h"

namespace switchyard::dp {

class ElevenLabsAdapter : public ProviderAdapter {
 public:
  static constexpr std::string_view kDefaultBaseUrl = "https://api.elevenlabs.io";

  std::string_view family() const override { return "elevenlabs"; }
  absl::Status Compile(const switchyard::v1::ProviderConfig& config,
                       ProviderEntry* entry) const override;
  absl::Status BuildRequest(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out) const override;
  absl::StatusOr<std::string> TranslateResponse(const InferenceRequest& request,
                                                const AttemptTarget& target,
                                                std::string upstream_body) const override;
  std::unique_ptr<StreamTranslator> NewStreamTranslator(
      const InferenceRequest& request, const AttemptTarget& target) const override;
  UpstreamFailure ClassifyError(int status, std::string_view retry_after,
                                std::string_view body) const override;
  std::vector<std::string> ListModels(const ProviderEntry& entry) const override;
};

// Pure translations, for tests.
absl::StatusOr<std::string> OpenAiToElevenLabsSpeech(std::string_view body, std::string_view model,
                                                     std::string* voice, std::string* format);
// `form` is OpenAI's multipart upload; the answer ElevenLabs' multipart (the same boundary,
// the file part's bytes taken from the upload as they are).
absl::StatusOr<std::vector<BodyPiece>> OpenAiToElevenLabsTranscription(const UploadForm& form,
                                                                       std::string_view model);
absl::StatusOr<std::string> ElevenLabsToOpenAiTranscription(std::string_view body);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_ELEVENLABS_ELEVENLABS_H_
