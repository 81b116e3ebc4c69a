// Field-naming errors and the mapping from absl::Status to what an API client sees.
//
// An InvalidArgument made by InvalidField() carries the offending field's path as a payload;
// the REST error envelope reports it as error.param. Messages never contain a field's value.
#ifndef SWITCHYARD_COMMON_ERRORS_H_
#define SWITCHYARD_COMMON_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace switchyard::common {

// InvalidArgument "<path> <problem>" with `path` attached as the field.
absl::Status InvalidField(std::string_view path, std::string_view problem);

// The field attached by InvalidField(), or "".
std::string FieldOf(const absl::Status& status);

// What an HTTP client sees for an error: the status and Bifrost's envelope.
struct ApiError {
  int http_status = 500;
  std::string type;  // e.g. "invalid_request_error"
  std::string code;  // e.g. "invalid_request"
  std::string message;
  std::string param;
  // Inference errors: false when the error came from the provider, not the gateway.
  bool is_bifrost_error = true;
  // extra_fields of the envelope; omitted when provider is empty.
  std::string provider;
  std::string model_requested;
  std::string request_type;
  // Rate limits: seconds until the window resets (sent as Retry-After); 0 = none.
  int64_t retry_after_s = 0;
};

ApiError MakeApiError(int http_status, std::string type, std::string code, std::string message,
                      std::string param = "");

// InvalidArgument 400, Unauthenticated 401, PermissionDenied 403, NotFound 404,
// AlreadyExists 409, FailedPrecondition 412, ResourceExhausted 429, Unimplemented 501,
// Unavailable 503, DeadlineExceeded 504, anything else 500.
ApiError ApiErrorFromStatus(const absl::Status& status);

// Bifrost's error envelope (seed 000):
// {"event_id","type","is_bifrost_error","status_code","error":{type,code,message,param,
//  event_id}[,"extra_fields":{provider,model_requested,request_type}]}. event_id is a fresh
// random UUID.
std::string ErrorEnvelopeJson(const ApiError& error);

// A random RFC 4122 version-4 UUID.
std::string RandomUuid();

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_ERRORS_H_
