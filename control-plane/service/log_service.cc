#include "control-plane/service/log_service.h"

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace switchyard::cp {
namespace {

using common::StrCat;

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(StrCat(field, ": ", why));
}

absl::StatusOr<std::optional<int64_t>> Micros(std::string_view field, const std::string& text) {
  if (text.empty()) return std::nullopt;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return Invalid(field, StrCat("must be an RFC 3339 time such as 2026-12-07T14:02:00Z (",
                                 error, ")"));
  }
  return absl::ToUnixMicros(time);
}

absl::StatusOr<LogQuery> Validate(const v1::LogFilter& filter) {
  LogQuery query;
  query.filter = filter;
  ASSIGN_OR_RETURN(query.start_us, Micros("start_time", filter.start_time()));
  ASSIGN_OR_RETURN(query.end_us, Micros("end_time", filter.end_time()));
  if (query.start_us && query.end_us && *query.start_us >= *query.end_us) {
    return Invalid("end_time", "must be after start_time");
  }
  for (const std::string& status : filter.status()) {
    if (status != "success" && status != "error") {
      return Invalid("status", StrCat("\"", status, "\" is not one of success, error"));
    }
  }
  if (filter.has_min_latency() && filter.has_max_latency() &&
      filter.min_latency() > filter.max_latency()) {
    return Invalid("max_latency", "must not be below min_latency");
  }
  if (filter.has_min_tokens() && filter.has_max_tokens() &&
      filter.min_tokens() > filter.max_tokens()) {
    return Invalid("max_tokens", "must not be below min_tokens");
  }
  if (filter.content_search().size() > 1024) {
    return Invalid("content_search", "must be at most 1024 bytes");
  }
  return query;
}

}  // namespace

absl::StatusOr<v1::SearchLogsResponse> LogService::Search(const v1::SearchLogsRequest& request,
                                                          bool may_read_raw) {
  ASSIGN_OR_RETURN(LogQuery query, Validate(request.filter()));
  query.limit = request.limit() == 0 ? kDefaultLogPage : request.limit();
  if (query.limit < 1 || query.limit > kMaxLogPage) {
    return Invalid("limit", StrCat("must be between 1 and ", kMaxLogPage));
  }
  if (request.offset() < 0) return Invalid("offset", "must not be negative");
  query.offset = request.offset();
  if (!request.cursor().empty()) {
    const size_t colon = request.cursor().find(':');
    int64_t micros = 0;
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(absl::string_view(request.cursor()).substr(0, colon), &micros) ||
        colon + 1 == request.cursor().size()) {
      return Invalid("cursor", "is not a next_cursor this API returned");
    }
    query.after.emplace(micros, request.cursor().substr(colon + 1));
  }
  query.with_raw = may_read_raw;
  return store_->SearchLogs(query);
}

absl::StatusOr<v1::RequestLog> LogService::Get(std::string_view id, bool may_read_raw) {
  if (id.empty() || id.size() > 128) return Invalid("id", "must be 1-128 characters");
  ASSIGN_OR_RETURN(std::optional<v1::RequestLog> log, store_->GetLog(id, may_read_raw));
  if (!log) return absl::NotFoundError(StrCat("no request log with id \"", id, "\""));
  return *std::move(log);
}

absl::StatusOr<v1::LogStatsResponse> LogService::Stats(const v1::LogStatsRequest& request) {
  ASSIGN_OR_RETURN(LogQuery query, Validate(request.filter()));
  return store_->LogStats(query);
}

}  // namespace switchyard::cp
