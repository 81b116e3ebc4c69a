// Image generation by providers whose jobs finish later, asked about again by the router
// (ProviderAdapter::NextPoll), each adapter pure:
//
// replicate (`Authorization: Bearer`): POST /v1/images/generations {model, prompt, n}
//   -> POST /v1/models/{owner}/{name}/predictions {"input": {"prompt", "num_outputs"}} with
//      `Prefer: wait` (model "owner/name"; "owner/name:version" -> POST /v1/predictions with
//      that version); while the prediction is starting or processing, GET
//      /v1/predictions/{id} every 500 ms; succeeded -> {"created", "data": [{"url"}]} (its
//      output URLs); failed or canceled -> 502 with the prediction's error.
// runway (`Authorization: Bearer`, `X-Runway-Version: 2024-11-06`): POST
//   /v1/images/generations {model, prompt, size} -> POST /v1/text_to_image {"model",
//   "promptText", "ratio"} (size "1920x1080" -> ratio "1920:1080"); the task
//   GET /v1/tasks/{id} every 500 ms while PENDING, THROTTLED or RUNNING; SUCCEEDED -> its
//   output URLs; FAILED or CANCELLED -> 502 with its failure.
// Everything else (speech, chat, files, ...) is a 501 naming the family. Images come back as
// URLs (response_format b64_json: 400, these providers hand out URLs).
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_JOBS_IMAGE_JOBS_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_JOBS_IMAGE_JOBS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

class ImageJobAdapter : public ProviderAdapter {
 public:
  enum class Kind { kReplicate, kRunway };
  explicit ImageJobAdapter(Kind kind) : kind_(kind) {}

  std::string_view family() const override {
    return kind_ == Kind::kReplicate ? "replicate" : "runway";
  }
  absl::Status Compile(const switchyard::v1::ProviderConfig& config,
                       ProviderEntry* entry) const override;
  absl::Status BuildRequest(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out) const override;
  absl::StatusOr<PollStep> NextPoll(const InferenceRequest& request, const AttemptTarget& target,
                                    std::string_view upstream_body) const override;
  absl::StatusOr<std::string> TranslateResponse(const InferenceRequest& request,
                                                const AttemptTarget& target,
                                                std::string upstream_body) const override;
  std::unique_ptr<StreamTranslator> NewStreamTranslator(
      const InferenceRequest& request, const AttemptTarget& target) const override;
  UpstreamFailure ClassifyError(int status, std::string_view retry_after,
                                std::string_view body) const override;
  std::vector<std::string> ListModels(const ProviderEntry& entry) const override;

 private:
  const Kind kind_;
};

// Pure translations, for tests.
absl::StatusOr<std::string> OpenAiToReplicate(std::string_view body, std::string_view model,
                                              std::string* path);
absl::StatusOr<std::string> OpenAiToRunway(std::string_view body, std::string_view model);
// The job's state: PollStep{done} with the answer's output in `urls`, or a poll of its id.
absl::StatusOr<PollStep> JobState(ImageJobAdapter::Kind kind, std::string_view body,
                                  std::string_view base_path, std::vector<std::string>* urls);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_JOBS_IMAGE_JOBS_H_
