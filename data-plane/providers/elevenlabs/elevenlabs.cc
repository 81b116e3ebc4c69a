#include "data-plane/providers/elevenlabs/elevenlabs.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "common/url.h"
#include "data-plane/providers/family_neutral.h"
#include "data-plane/providers/json_util.h"
#include "data-plane/providers/multipart.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
using json = nlohmann::ordered_json;

// OpenAI's response_format -> ElevenLabs' output_format.
absl::StatusOr<std::string> OutputFormat(std::string_view format) {
  if (format.empty() || format == "mp3") return std::string("mp3_44100_128");
  if (format == "opus") return std::string("opus_48000_128");
  if (format == "pcm") return std::string("pcm_24000");
  return absl::InvalidArgumentError(StrCat("response_format \"", format,
                                           "\" has no ElevenLabs equivalent (mp3, opus, pcm)"));
}


std::string SpeechEvent(const json& event) { return StrCat("data: ", event.dump(), "\n\n"); }

// ElevenLabs' streamed audio (raw bytes) as OpenAI's speech events: a delta per piece that
// arrives (base64 of whole 3-byte groups; the rest waits for the next piece), then done.
class SpeechEvents : public StreamTranslator {
 public:
  absl::Status Feed(std::string_view upstream, std::string* client) override {
    pending_.append(upstream);
    const size_t whole = pending_.size() - pending_.size() % 3;
    if (whole == 0) return absl::OkStatus();
    client->append(SpeechEvent(
        {{"type", "speech.audio.delta"}, {"audio", Base64(std::string_view(pending_).substr(0, whole))}}));
    pending_.erase(0, whole);
    return absl::OkStatus();
  }
  absl::Status Finish(std::string* client) override {
    if (!pending_.empty()) {
      client->append(SpeechEvent({{"type", "speech.audio.delta"}, {"audio", Base64(pending_)}}));
      pending_.clear();
    }
    client->append(SpeechEvent({{"type", "speech.audio.done"},
                                {"usage", {{"input_tokens", 0}, {"output_tokens", 0},
                                           {"total_tokens", 0}}}}));
    return absl::OkStatus();
  }

 private:
  std::string pending_;
};

}  // namespace

absl::StatusOr<std::string> OpenAiToElevenLabsSpeech(std::string_view body, std::string_view model,
                                                     std::string* voice, std::string* format) {
  const json in = json::parse(body, nullptr, false);
  if (!in.is_object()) return absl::InvalidArgumentError("the body is not a JSON object");
  const std::string input = StringMember(in, "input");
  if (input.empty()) return absl::InvalidArgumentError("input is required");
  *voice = StringMember(in, "voice");
  if (voice->empty()) {
    return absl::InvalidArgumentError("voice is required (an ElevenLabs voice id)");
  }
  absl::StatusOr<std::string> output = OutputFormat(StringMember(in, "response_format"));
  if (!output.ok()) return output.status();
  *format = *std::move(output);
  json out = {{"text", input}, {"model_id", model}};
  if (const json* speed = FindMember(in, "speed"); speed != nullptr && speed->is_number()) {
    out["voice_settings"] = {{"speed", *speed}};
  }
  return out.dump();
}

absl::StatusOr<std::vector<BodyPiece>> OpenAiToElevenLabsTranscription(const UploadForm& form,
                                                                       std::string_view model) {
  const FormPart* file = form.Find("file");
  if (file == nullptr) return absl::InvalidArgumentError("the upload has no \"file\" part");
  const std::string_view boundary = form.boundary;
  std::vector<BodyPiece> out;
  // The file part as the client sent it: its headers and bytes.
  out.push_back({StrCat("--", boundary, "\r\n")});
  out.push_back(UploadRange(file->part_offset,
                            file->value_offset + file->value_length - file->part_offset));
  std::string fields = "\r\n";
  auto field = [&](std::string_view name, std::string_view value) {
    fields += StrCat("--", boundary, "\r\nContent-Disposition: form-data; name=\"", name,
                     "\"\r\n\r\n", value, "\r\n");
  };
  if (const FormPart* language = form.Find("language")) field("language_code", language->value);
  field("model_id", model);
  fields += StrCat("--", boundary, "--\r\n");
  out.push_back({std::move(fields)});
  return out;
}

absl::StatusOr<std::string> ElevenLabsToOpenAiTranscription(std::string_view body) {
  const json in = json::parse(body, nullptr, false);
  if (!in.is_object()) return absl::InvalidArgumentError("ElevenLabs answered no JSON object");
  json out = {{"text", StringMember(in, "text")}};
  if (const std::string language = StringMember(in, "language_code"); !language.empty()) {
    out["language"] = language;
  }
  return out.dump();
}

absl::Status ElevenLabsAdapter::Compile(const v1::ProviderConfig& config,
                                        ProviderEntry* entry) const {
  if (absl::Status endpoint = CompileEndpoint(config, kDefaultBaseUrl, entry); !endpoint.ok()) {
    return endpoint;
  }
  CompileKeyHeader("xi-api-key", "", entry);
  return absl::OkStatus();
}

absl::Status ElevenLabsAdapter::BuildRequest(const InferenceRequest& request,
                                             const AttemptTarget& target,
                                             UpstreamRequest* out) const {
  const ProviderEntry& entry = *target.entry;
  std::string_view base = entry.endpoint.base_path;
  if (base.ends_with("/v1")) base.remove_suffix(3);
  const std::string_view type = request.request_type;
  if (type == "speech" || type == "speech_stream") {
    std::string voice, format;
    absl::StatusOr<std::string> body =
        OpenAiToElevenLabsSpeech(request.body.text, target.model, &voice, &format);
    if (!body.ok()) return body.status();
    out->target = StrCat(base, "/v1/text-to-speech/", PercentEncode(voice),
                         type == "speech_stream" ? "/stream" : "", "?output_format=", format);
    ComposeUpstreamHeaders(request, target, out);
    out->body = *std::move(body);
    return absl::OkStatus();
  }
  if (type == "transcription" && request.resource_path.starts_with("/audio/transcriptions")) {
    if (request.form == nullptr) return absl::InvalidArgumentError("the upload is not multipart");
    absl::StatusOr<std::vector<BodyPiece>> body =
        OpenAiToElevenLabsTranscription(*request.form, target.model);
    if (!body.ok()) return body.status();
    out->target = StrCat(base, "/v1/speech-to-text");
    ComposeUpstreamHeaders(request, target, out);
    out->pieces = *std::move(body);
    return absl::OkStatus();
  }
  return absl::UnimplementedError(StrCat(
      type, request.resource_path.starts_with("/audio/translations") ? " (translations)" : "",
      " is not served by elevenlabs providers"));
}

absl::StatusOr<std::string> ElevenLabsAdapter::TranslateResponse(const InferenceRequest& request,
                                                                 const AttemptTarget&,
                                                                 std::string upstream_body) const {
  if (request.request_type == "transcription") {
    return ElevenLabsToOpenAiTranscription(upstream_body);
  }
  return upstream_body;  // audio
}

std::unique_ptr<StreamTranslator> ElevenLabsAdapter::NewStreamTranslator(
    const InferenceRequest& request, const AttemptTarget&) const {
  if (request.request_type == "speech_stream") return std::make_unique<SpeechEvents>();
  return nullptr;
}

UpstreamFailure ElevenLabsAdapter::ClassifyError(int status, std::string_view retry_after,
                                                 std::string_view body) const {
  UpstreamFailure failure = UpstreamFailureFor(status, retry_after);
  // ElevenLabs' errors: {"detail": {"status": ..., "message": ...}} or {"detail": "..."}.
  const json parsed = json::parse(body, nullptr, false);
  if (const json* detail = FindMember(parsed, "detail"); detail != nullptr) {
    failure.error.message =
        detail->is_string() ? detail->get<std::string>() : StringMember(*detail, "message");
  }
  FillMissingMessage(status, body, &failure.error);
  return failure;
}

std::vector<std::string> ElevenLabsAdapter::ListModels(const ProviderEntry& entry) const {
  return ConfiguredModels(entry);
}

}  // namespace switchyard::dp
