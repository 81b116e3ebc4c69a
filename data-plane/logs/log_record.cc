#include "data-plane/logs/log_record.h"

#include <cstring>

namespace switchyard::dp {
namespace {

// Protobuf's wire format (https://protobuf.dev/programming-guides/encoding/): a key
// (field << 3 | wire type), then a varint, 8 little-endian bytes, or a length and bytes.
enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };

// Writes `value` as a varint at `out`; returns the bytes written (at most 10).
inline size_t PutVarint(char* out, uint64_t value) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<char>(value);
  return n;
}

inline uint64_t KeyOf(int field, WireType type) { return static_cast<uint64_t>(field) << 3 | type; }

size_t VarintSize(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// A key and a length (or value) in one append: the common pieces of every field.
void Head(std::string* out, int field, WireType type, uint64_t value) {
  char buffer[20];
  size_t n = PutVarint(buffer, KeyOf(field, type));
  n += PutVarint(buffer + n, value);
  out->append(buffer, n);
}

void TextField(std::string* out, int field, std::string_view value) {
  Head(out, field, kLengthDelimited, value.size());
  out->append(value);
}

void IntField(std::string* out, int field, int64_t value) {
  // int32/int64: two's complement, 10 bytes when negative.
  Head(out, field, kVarint, static_cast<uint64_t>(value));
}

size_t TextSize(int field, std::string_view value) {
  return VarintSize(KeyOf(field, kLengthDelimited)) + VarintSize(value.size()) + value.size();
}

size_t IntSize(int field, int64_t value) {
  return VarintSize(KeyOf(field, kVarint)) + VarintSize(static_cast<uint64_t>(value));
}

}  // namespace

void LogRecord::Text(Field field, std::string_view value) { TextField(&wire_, field, value); }

void LogRecord::Int(Field field, int64_t value) { IntField(&wire_, field, value); }

void LogRecord::Double(Field field, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  char bytes[18];
  size_t n = PutVarint(bytes, KeyOf(field, kFixed64));
  for (int i = 0; i < 8; ++i) bytes[n++] = static_cast<char>(bits >> (8 * i));
  wire_.append(bytes, n);
}

void LogRecord::AppendError(std::string* wire, std::string_view type, std::string_view message) {
  // LogError {type = 1, message = 2}
  Head(wire, kErrorDetails, kLengthDelimited, TextSize(1, type) + TextSize(2, message));
  TextField(wire, 1, type);
  TextField(wire, 2, message);
}

void LogRecord::Error(std::string_view type, std::string_view message) {
  AppendError(&wire_, type, message);
}

void LogRecord::Tokens(int64_t prompt, int64_t completion, int64_t cached) {
  // TokenUsage {prompt_tokens = 1, completion_tokens = 2, total_tokens = 3, cached_tokens = 4}
  const int64_t total = prompt + completion;
  Head(&wire_, kTokenUsage, kLengthDelimited,
       IntSize(1, prompt) + IntSize(2, completion) + IntSize(3, total) + IntSize(4, cached));
  IntField(&wire_, 1, prompt);
  IntField(&wire_, 2, completion);
  IntField(&wire_, 3, total);
  IntField(&wire_, 4, cached);
}

}  // namespace switchyard::dp
