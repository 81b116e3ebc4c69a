#include "data-plane/providers/bedrock/event_stream.h"

#include <zlib.h>

#include <cstdint>

namespace switchyard::dp {
namespace {

constexpr size_t kPrelude = 12;
constexpr size_t kMaxMessage = 16 * 1024 * 1024;

uint32_t ReadU32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

void PutU32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

uint32_t Crc(std::string_view bytes) {
  return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()),
                                     static_cast<uInt>(bytes.size())));
}

// Header value sizes by type (ADAPTERS.md §4); 0 for the variable-length ones (6, 7).
int FixedSize(uint8_t type) {
  switch (type) {
    case 0: case 1: return 0;
    case 2: return 1;
    case 3: return 2;
    case 4: return 4;
    case 5: case 8: return 8;
    case 9: return 16;
    default: return -1;
  }
}

absl::Status Malformed(const char* message) { return absl::InvalidArgumentError(message); }

}  // namespace

std::string_view EventMessage::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

absl::StatusOr<bool> EventStreamDecoder::Next(EventMessage* out) {
  const std::string_view data = std::string_view(pending_).substr(start_);
  if (data.size() < kPrelude) return false;
  const uint32_t total = ReadU32(data.data());
  const uint32_t headers_length = ReadU32(data.data() + 4);
  if (Crc(data.substr(0, 8)) != ReadU32(data.data() + 8)) {
    return Malformed("an event-stream frame's prelude CRC does not match");
  }
  if (total < kPrelude + 4 || total > kMaxMessage || headers_length > total - kPrelude - 4) {
    return Malformed("an event-stream frame's lengths do not hold");
  }
  if (data.size() < total) return false;
  const std::string_view frame = data.substr(0, total);
  if (Crc(frame.substr(0, total - 4)) != ReadU32(frame.data() + total - 4)) {
    return Malformed("an event-stream frame's message CRC does not match");
  }
  out->headers.clear();
  std::string_view headers = frame.substr(kPrelude, headers_length);
  while (!headers.empty()) {
    const size_t name_length = static_cast<unsigned char>(headers[0]);
    if (headers.size() < 2 + name_length) return Malformed("an event-stream header is cut");
    std::string name(headers.substr(1, name_length));
    const uint8_t type = static_cast<uint8_t>(headers[1 + name_length]);
    headers.remove_prefix(2 + name_length);
    if (type == 6 || type == 7) {
      if (headers.size() < 2) return Malformed("an event-stream header is cut");
      const size_t length = (size_t{static_cast<unsigned char>(headers[0])} << 8) |
                            static_cast<unsigned char>(headers[1]);
      if (headers.size() < 2 + length) return Malformed("an event-stream header is cut");
      if (type == 7) out->headers.emplace_back(std::move(name), std::string(headers.substr(2, length)));
      headers.remove_prefix(2 + length);
    } else {
      const int size = FixedSize(type);
      if (size < 0 || headers.size() < static_cast<size_t>(size)) {
        return Malformed("an event-stream header has an unknown type");
      }
      headers.remove_prefix(static_cast<size_t>(size));
    }
  }
  out->payload = std::string(frame.substr(kPrelude + headers_length,
                                          total - kPrelude - headers_length - 4));
  start_ += total;
  if (start_ > 64 * 1024 && start_ * 2 > pending_.size()) {  // keep the buffer short
    pending_.erase(0, start_);
    start_ = 0;
  }
  return true;
}

std::string EncodeEventMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload) {
  std::string encoded_headers;
  for (const auto& [name, value] : headers) {
    encoded_headers.push_back(static_cast<char>(name.size()));
    encoded_headers += name;
    encoded_headers.push_back(7);
    encoded_headers.push_back(static_cast<char>(value.size() >> 8));
    encoded_headers.push_back(static_cast<char>(value.size() & 0xff));
    encoded_headers += value;
  }
  const uint32_t total = static_cast<uint32_t>(kPrelude + encoded_headers.size() + payload.size() + 4);
  std::string out;
  out.reserve(total);
  PutU32(&out, total);
  PutU32(&out, static_cast<uint32_t>(encoded_headers.size()));
  PutU32(&out, Crc(out));
  out += encoded_headers;
  out.append(payload);
  PutU32(&out, Crc(out));
  return out;
}

}  // namespace switchyard::dp
