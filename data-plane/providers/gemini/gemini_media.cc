#include "data-plane/providers/gemini/gemini_media.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/providers/json_util.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;


// The inline data parts of the first candidate whose MIME type starts with `prefix`.
absl::StatusOr<std::vector<std::string>> InlineData(std::string_view body, std::string_view prefix) {
  const json answer = json::parse(body, nullptr, false);
  const json* candidates = FindMember(answer, "candidates");
  if (candidates == nullptr || !candidates->is_array() || candidates->empty()) {
    return absl::InvalidArgumentError("gemini answered no candidate");
  }
  std::vector<std::string> out;
  const json* content = FindMember((*candidates)[0], "content");
  const json* parts = content == nullptr ? nullptr : FindMember(*content, "parts");
  if (parts != nullptr && parts->is_array()) {
    for (const json& part : *parts) {
      const json* data = FindMember(part, "inlineData");
      if (data != nullptr && StringMember(*data, "mimeType").starts_with(prefix)) {
        out.push_back(StringMember(*data, "data"));
      }
    }
  }
  if (out.empty()) return absl::InvalidArgumentError(StrCat("gemini answered no ", prefix, " data"));
  return out;
}

void PutLe(std::string* out, uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// A WAV file around 24 kHz, 16-bit, mono PCM.
std::string Wav(std::string_view pcm) {
  std::string out = "RIFF";
  PutLe(&out, static_cast<uint32_t>(36 + pcm.size()), 4);
  out += "WAVEfmt ";
  PutLe(&out, 16, 4);
  PutLe(&out, 1, 2);          // PCM
  PutLe(&out, 1, 2);          // mono
  PutLe(&out, 24000, 4);      // sample rate
  PutLe(&out, 24000 * 2, 4);  // byte rate
  PutLe(&out, 2, 2);          // block align
  PutLe(&out, 16, 2);         // bits per sample
  out += "data";
  PutLe(&out, static_cast<uint32_t>(pcm.size()), 4);
  out.append(pcm);
  return out;
}

json TextContents(const std::string& text) {
  return json::array({{{"role", "user"}, {"parts", json::array({{{"text", text}}})}}});
}

}  // namespace

absl::StatusOr<std::string> OpenAiToGeminiSpeech(std::string_view body, std::string* format) {
  const json in = json::parse(body, nullptr, false);
  if (!in.is_object()) return absl::InvalidArgumentError("the body is not a JSON object");
  const std::string input = StringMember(in, "input");
  if (input.empty()) return absl::InvalidArgumentError("input is required");
  const std::string requested = StringMember(in, "response_format");
  if (!requested.empty() && requested != "wav" && requested != "pcm") {
    return absl::InvalidArgumentError(StrCat("response_format \"", requested,
                                             "\": gemini speaks PCM, answered as wav or pcm"));
  }
  *format = requested.empty() ? "wav" : requested;
  json config = {{"responseModalities", {"AUDIO"}}};
  if (const std::string voice = StringMember(in, "voice"); !voice.empty()) {
    config["speechConfig"] = {{"voiceConfig", {{"prebuiltVoiceConfig", {{"voiceName", voice}}}}}};
  }
  std::string text = input;
  if (const std::string style = StringMember(in, "instructions"); !style.empty()) {
    text = StrCat(style, ": ", input);
  }
  return json{{"contents", TextContents(text)}, {"generationConfig", config}}.dump();
}

absl::StatusOr<std::string> GeminiToOpenAiSpeech(std::string_view body, std::string_view format) {
  absl::StatusOr<std::vector<std::string>> audio = InlineData(body, "audio/");
  if (!audio.ok()) return audio.status();
  std::string pcm;
  for (const std::string& piece : *audio) pcm += Base64Decode(piece);
  return format == "pcm" ? pcm : Wav(pcm);
}

absl::StatusOr<std::string> OpenAiToGeminiImage(std::string_view body) {
  const json in = json::parse(body, nullptr, false);
  if (!in.is_object()) return absl::InvalidArgumentError("the body is not a JSON object");
  const std::string prompt = StringMember(in, "prompt");
  if (prompt.empty()) return absl::InvalidArgumentError("prompt is required");
  if (StringMember(in, "response_format") == "url") {
    return absl::InvalidArgumentError("response_format url: gemini answers images inline (b64_json)");
  }
  return json{{"contents", TextContents(prompt)},
              {"generationConfig", {{"responseModalities", {"TEXT", "IMAGE"}}}}}
      .dump();
}

absl::StatusOr<std::string> GeminiToOpenAiImage(std::string_view body) {
  absl::StatusOr<std::vector<std::string>> images = InlineData(body, "image/");
  if (!images.ok()) return images.status();
  json data = json::array();
  for (const std::string& image : *images) data.push_back({{"b64_json", image}});
  return json{{"created", static_cast<int64_t>(std::time(nullptr))}, {"data", data}}.dump();
}

namespace {

// The format a speech request's answer takes ("wav" or "pcm"), as its translation decided.
std::string SpeechFormat(const InferenceRequest& request) {
  std::string format;
  if (!OpenAiToGeminiSpeech(request.body.text, &format).ok()) format = "wav";
  return format;
}

}  // namespace

bool IsGeminiMedia(const InferenceRequest& request) {
  return request.surface == ApiSurface::kOpenAi &&
         (request.request_type == "speech" || request.request_type == "image_generation");
}

absl::StatusOr<std::string> GeminiMediaRequest(const InferenceRequest& request) {
  std::string format;
  return request.request_type == "speech" ? OpenAiToGeminiSpeech(request.body.text, &format)
                                          : OpenAiToGeminiImage(request.body.text);
}

absl::StatusOr<std::string> GeminiMediaAnswer(const InferenceRequest& request,
                                              std::string_view upstream_body) {
  if (request.request_type == "image_generation") return GeminiToOpenAiImage(upstream_body);
  return GeminiToOpenAiSpeech(upstream_body, SpeechFormat(request));
}

std::string GeminiMediaContentType(const InferenceRequest& request) {
  if (!IsGeminiMedia(request) || request.request_type != "speech") return "";
  return SpeechFormat(request) == "pcm" ? "audio/pcm" : "audio/wav";
}

}  // namespace switchyard::dp
