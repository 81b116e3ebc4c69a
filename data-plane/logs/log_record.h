// LogRecord: one request's log record, written straight into its protobuf wire form
// (switchyard.v1.RequestLog, logs.proto) while the request is served: one buffer, no message
// object, no copy at the end. Fields are appended as they become known; writing a field again
// appends it again, and a parser keeps the last occurrence (embedded messages merge), so the
// router may note the candidate that answered after the ones that did not.
//
// Owned by the request's RequestContext; only its worker touches it.
#ifndef SWITCHYARD_DATA_PLANE_LOGS_LOG_RECORD_H_
#define SWITCHYARD_DATA_PLANE_LOGS_LOG_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::dp {

class LogRecord {
 public:
  // Field numbers of switchyard.v1.RequestLog (logs.proto).
  enum Field : int {
    kId = 1,
    kNodeId = 3,
    kRoute = 4,
    kSurface = 5,
    kRequestType = 6,
    kRequestedProvider = 7,
    kRequestedModel = 8,
    kProvider = 9,
    kModel = 10,
    kFallbackIndex = 11,
    kSelectedKeyName = 12,
    kVirtualKeyId = 13,
    kVirtualKeyName = 14,
    kStatus = 15,
    kStatusCode = 16,
    kErrorDetails = 17,
    kAttempts = 18,
    kRetries = 19,
    kLatency = 20,
    kTimeToFirstByte = 21,
    kTokenUsage = 22,
    kCost = 23,
    kStream = 24,
    kClientAddress = 25,
    kTraceparent = 26,
    kTracestate = 28,
    kRawRequest = 29,
    kRawResponse = 30,
    kRawTruncated = 31,
    kTimestampUnixUs = 32,
  };

  LogRecord() { wire_.reserve(512); }

  void Text(Field field, std::string_view value);
  void Int(Field field, int64_t value);
  void Double(Field field, double value);
  void Bool(Field field, bool value) { Int(field, value ? 1 : 0); }
  // error_details {type, message}.
  void Error(std::string_view type, std::string_view message);
  // token_usage {prompt, completion, total, cached}.
  void Tokens(int64_t prompt, int64_t completion, int64_t cached);

  // Counted by the router as attempts go; written by RequestContext::Finish().
  int attempts = 0;
  int retries = 0;
  bool error_noted = false;  // an error after the head (a stream that failed midway)

  std::string& wire() { return wire_; }
  // Empty again (the buffer's capacity kept).
  void Reset() {
    wire_.clear();
    attempts = retries = 0;
    error_noted = false;
  }

  // The same encoding into any buffer (the shipper adds error_details to a finished record).
  static void AppendError(std::string* wire, std::string_view type, std::string_view message);

 private:
  std::string wire_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_LOGS_LOG_RECORD_H_
