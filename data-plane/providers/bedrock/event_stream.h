// AWS's binary event-stream framing (application/vnd.amazon.eventstream, ADAPTERS.md §4):
// total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload | message_crc u32, big
// endian, both CRCs CRC32-IEEE (zlib). Decoded incrementally from bytes in any split, and
// encoded (the /bedrock route answers AWS SDKs in it). Pure; any thread.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_EVENT_STREAM_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_EVENT_STREAM_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::dp {

struct EventMessage {
  std::vector<std::pair<std::string, std::string>> headers;  // string-typed headers only
  std::string payload;
  std::string_view Header(std::string_view name) const;
};

class EventStreamDecoder {
 public:
  void Append(std::string_view bytes) { pending_.append(bytes); }
  // The next whole message into `out`: true, false when more bytes are needed, InvalidArgument
  // for a frame whose CRCs or lengths do not hold.
  absl::StatusOr<bool> Next(EventMessage* out);
  bool has_partial() const { return start_ < pending_.size(); }

 private:
  std::string pending_;
  size_t start_ = 0;
};

// One frame with string headers (type 7).
std::string EncodeEventMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_BEDROCK_EVENT_STREAM_H_
