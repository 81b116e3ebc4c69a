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

ApiError ApiErrorFromStatus(const absl::Status& status) {
  ApiError error;
  error.message = std::string(status.message());
  error.param = FieldOf(status);
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      error = {400, "invalid_request_error", "invalid_request", error.message, error.param};
      break;
    case absl::StatusCode::kUnauthenticated:
      error = {401, "authentication_error", "unauthorized", error.message, ""};
      break;
    case absl::StatusCode::kPermissionDenied:
      error = {403, "permission_error", "forbidden", error.message, ""};
      break;
    case absl::StatusCode::kNotFound:
      error = {404, "not_found_error", "not_found", error.message, ""};
      break;
    case absl::StatusCode::kAlreadyExists:
      error = {409, "conflict_error", "already_exists", error.message, ""};
      break;
    case absl::StatusCode::kFailedPrecondition:
      error = {412, "precondition_failed_error", "config_hash_mismatch", error.message, ""};
      break;
    case absl::StatusCode::kResourceExhausted:
      error = {429, "rate_limit_error", "resource_exhausted", error.message, ""};
      break;
    case absl::StatusCode::kUnimplemented:
      error = {501, "not_implemented_error", "not_implemented", error.message, ""};
      break;
    case absl::StatusCode::kUnavailable:
      error = {503, "service_unavailable_error", "unavailable", error.message, ""};
      break;
    case absl::StatusCode::kDeadlineExceeded:
      error = {504, "timeout_error", "timeout", error.message, ""};
      break;
    default:
      error = {500, "internal_error", "internal", error.message, ""};
  }
  return error;
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
                          {"is_bifrost_error", true},
                          {"status_code", error.http_status},
                          {"error", inner}};
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
