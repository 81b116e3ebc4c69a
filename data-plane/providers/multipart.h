// multipart/form-data bodies (OpenAI's audio and image uploads, file uploads): framing checked
// and parts found in place, so that the gateway can read and rewrite the `model` field and
// forward everything else byte for byte. Pure functions; any thread.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_MULTIPART_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_MULTIPART_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::dp {

// The boundary parameter of a multipart Content-Type (quotes removed), or "".
std::string_view MultipartBoundary(std::string_view content_type);

struct FormPart {
  size_t part_offset = 0;  // where the part's header starts (after its boundary line)
  std::string name;
  std::string filename;  // "" for a text field
  size_t value_offset = 0;  // the part's content in the body
  size_t value_length = 0;
};

// Every part, in order. InvalidArgument when the body is not well framed: no first boundary,
// a part whose header never ends, a part without a form-data name, no closing boundary.
absl::StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view body,
                                                     std::string_view boundary);

// The text of the first part named `name`, or "".
std::string_view FormValue(std::string_view body, const std::vector<FormPart>& parts,
                           std::string_view name);

// `body` with the content of the first part named `name` replaced by `value`.
std::string ReplaceFormValue(std::string_view body, const std::vector<FormPart>& parts,
                             std::string_view name, std::string_view value);

// Checks the framing of a multipart body as it streams past, a piece at a time, holding at
// most a boundary's length of it: a body that does not start with its boundary line, a part
// header longer than 16 KiB or a body without its closing boundary is refused.
class MultipartChecker {
 public:
  explicit MultipartChecker(std::string_view boundary);
  absl::Status Feed(std::string_view piece);
  // After the last piece: OK only when the closing boundary came.
  absl::Status Finish() const;

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeader, kBody, kDone };
  std::string delimiter_;  // "\r\n--" boundary
  State state_ = State::kPreamble;
  std::string carry_;      // the end of the last piece, where a pattern may start
  std::string text_;       // carry_ and the piece being scanned (its capacity is reused)
  size_t header_bytes_ = 0;
  size_t preamble_bytes_ = 0;
};

struct InferenceRequest;
struct AttemptTarget;

// The body of an upload, file or batch request as sent upstream: an upload's "model" field
// names the target's model; anything else goes as the client sent it.
absl::StatusOr<std::string> ResourceBody(const InferenceRequest& request,
                                         const AttemptTarget& target);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_MULTIPART_H_
