// multipart/form-data bodies (OpenAI's audio and image uploads, file uploads): framing checked
// and parts found in place, so that the gateway can read and rewrite the `model` field and
// forward everything else byte for byte. Pure functions; any thread.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_MULTIPART_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_MULTIPART_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

// The boundary parameter of a multipart Content-Type (quotes removed), or "".
std::string_view MultipartBoundary(std::string_view content_type);

struct FormPart {
  uint64_t part_offset = 0;  // where the part's header starts (after its boundary line)
  std::string name;
  std::string filename;  // "" for a text field
  uint64_t value_offset = 0;  // the part's content in the body
  uint64_t value_length = 0;
  // A text field's content (a part without a filename) when at most kMaxHeldValue bytes.
  std::string value;
};
inline constexpr size_t kMaxHeldValue = 64 * 1024;

// Every part, in order. InvalidArgument when the body is not well framed: no first boundary,
// a part whose header never ends, a part without a form-data name, no closing boundary.
absl::StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view body,
                                                     std::string_view boundary);

// The text of the first field named `name` (FormPart::value), or "".
std::string_view FormValue(const std::vector<FormPart>& parts, std::string_view name);

// A multipart upload (OpenAI's audio and image uploads) as the adapters see it: its parts,
// and its bytes, held in memory or spooled to a file. Adapters compose their request body
// from it as BodyPieces (ranges of the upload and text of their own), which the router turns
// into the body sent: concatenated from `memory`, or read from the spool as it is sent.
class UploadSpool;  // data-plane/upstream/upload_spool.h
struct UploadForm {
  std::string boundary;
  std::vector<FormPart> parts;
  uint64_t size = 0;
  std::string_view memory;             // the whole upload, when it is held in memory
  const UploadSpool* spool = nullptr;  // otherwise

  const FormPart* Find(std::string_view name) const;
};

// The upload's bytes [offset, offset + length) as a piece of a composed body.
BodyPiece UploadRange(uint64_t offset, uint64_t length);

// The upload with the content of its first part named `name` replaced by `value`.
std::vector<BodyPiece> WithFieldReplaced(const UploadForm& form, std::string_view name,
                                         std::string_view value);

// The composed body, its ranges taken from `upload` (held in memory).
std::string Concatenate(const std::vector<BodyPiece>& pieces, std::string_view upload);

// Checks the framing of a multipart body as it streams past, a piece at a time, holding at
// most a boundary's length of it: a body that does not start with its boundary line, a part
// header longer than 16 KiB or a body without its closing boundary is refused.
// With `index`, it also finds the parts as ParseMultipart does (offsets in the whole body,
// text fields' values held up to kMaxHeldValue), refusing a part without a form-data name
// and more than kMaxIndexedParts parts.
class MultipartChecker {
 public:
  static constexpr size_t kMaxIndexedParts = 256;
  explicit MultipartChecker(std::string_view boundary, bool index = false);
  absl::Status Feed(std::string_view piece);
  // After the last piece: OK only when the closing boundary came.
  absl::Status Finish() const;
  // The parts found (with `index`).
  std::vector<FormPart>& parts() { return parts_; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeader, kBody, kDone };
  std::string delimiter_;  // "\r\n--" boundary
  State state_ = State::kPreamble;
  std::string carry_;      // the end of the last piece, where a pattern may start
  std::string text_;       // carry_ and the piece being scanned (its capacity is reused)
  size_t header_bytes_ = 0;
  size_t preamble_bytes_ = 0;
  // Indexing: bytes fed so far, the parts, and the header of the part being read.
  const bool index_;
  uint64_t fed_ = 0;
  std::vector<FormPart> parts_;
  std::string header_;
};

struct InferenceRequest;
struct AttemptTarget;

// The body of an upload, file or batch request as sent upstream (into `out`): an upload's
// "model" field names the target's model; anything else goes as the client sent it.
void ResourceBody(const InferenceRequest& request, const AttemptTarget& target,
                  UpstreamRequest* out);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_MULTIPART_H_
