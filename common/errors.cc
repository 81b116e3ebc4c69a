#include "common/errors.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "absl/strings/cord.h"
#include "common/strings.h"

namespace switchyard::common {
namespace {

constexpr char kFieldPayload[] = "type.switchyard.dev/field";

}  // namespace

absl::Status InvalidField(std::string_view path, std::string_view problem) {
  absl::Status status = absl::InvalidArgumentError(StrCat(path, " ", problem));
  status.SetPayload(kFieldPayload, absl::Cord(absl::string_view(path.data(), path.size())));
  return status;
}

std::string FieldOf(const absl::Status& status) {
  auto payload = status.GetPayload(kFieldPayload);
  return payload ? std::string(*payload) : std::string();
}

ApiError MakeApiError(int http_status, std::string type, std::string code, std::string message,
                      std::string param) {
  ApiError error;
  error.http_status = http_status;
  error.type = std::move(type);
  error.code = std::move(code);
  error.message = std::move(message);
  error.param = std::move(param);
  return error;
}

ApiError ApiErrorFromStatus(const absl::Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return MakeApiError(400, "invalid_request_error", "invalid_request", message,
                          FieldOf(status));
    case absl::StatusCode::kUnauthenticated:
      return MakeApiError(401, "authentication_error", "unauthorized", message);
    case absl::StatusCode::kPermissionDenied:
      return MakeApiError(403, "permission_error", "forbidden", message);
    case absl::StatusCode::kNotFound:
      return MakeApiError(404, "not_found_error", "not_found", message);
    case absl::StatusCode::kAlreadyExists:
      return MakeApiError(409, "conflict_error", "already_exists", message);
    case absl::StatusCode::kAborted:
      return MakeApiError(409, "conflict_error", "in_use", message);
    case absl::StatusCode::kFailedPrecondition:
      return MakeApiError(412, "precondition_failed_error", "config_hash_mismatch", message);
    case absl::StatusCode::kResourceExhausted:
      return MakeApiError(429, "rate_limit_error", "resource_exhausted", message);
    case absl::StatusCode::kUnimplemented:
      return MakeApiError(501, "not_implemented_error", "not_implemented", message);
    case absl::StatusCode::kUnavailable:
      return MakeApiError(503, "service_unavailable_error", "unavailable", message);
    case absl::StatusCode::kDeadlineExceeded:
      return MakeApiError(504, "timeout_error", "timeout", message);
    default:
      return MakeApiError(500, "internal_error", "internal", message);
  }
}

std::string ErrorEnvelopeJson(const ApiError& error) {
  const std::string event_id = RandomUuid();
  nlohmann::json inner{{"type", error.type},
                       {"code", error.code},
                       {"message", error.message},
                       {"event_id", event_id}};
  inner["param"] = error.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param);
  nlohmann::json envelope{{"event_id", event_id},
                          {"type", error.type},
                          {"is_bifrost_error", error.is_bifrost_error},
                          {"status_code", error.http_status},
                          {"error", inner}};
  if (!error.provider.empty()) {
    envelope["extra_fields"] = {{"provider", error.provider},
                                {"model_requested", error.model_requested},
                                {"request_type", error.request_type}};
  }
  // Replace invalid UTF-8 instead of throwing: messages may quote user-chosen names.
  return envelope.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string RandomUuid() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    for (unsigned char& b : bytes) b = 0;
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string uuid;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) uuid.push_back('-');
    uuid.push_back(kHex[bytes[i] >> 4]);
    uuid.push_back(kHex[bytes[i] & 0xf]);
  }
  return uuid;
}

}  // namespace switchyard::common
