// GET /api/logs, /api/logs/stats and /api/logs/{id} (RestApi::Logs).
//
// Query parameters (Bifrost's names; a list is comma-separated or repeated): providers,
// models, status, virtual_key_ids, virtual_key_names, selected_key_names, request_types
// (also Bifrost's "objects"), node_ids, trace_id, start_time, end_time (RFC 3339),
// min_latency, max_latency (ms), min_tokens, max_tokens, min_cost, max_cost, content_search,
// limit (1-1000, default 50), offset, cursor (the next_cursor of the previous page). The
// order is newest first: sort_by=timestamp and order=desc are accepted, others refused.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/errors.h"
#include "common/strings.h"
#include "common/url.h"
#include "control-plane/api/rest/rest_api.h"

namespace switchyard::cp {

using rest::Error;
using rest::MethodNotAllowed;

namespace {

using common::HttpRequest;
using common::HttpResponse;
using common::StrCat;
using google::protobuf::FieldDescriptor;

constexpr std::string_view kLogs = "/api/logs";

// A message as JSON, field names as in the proto, numbers as numbers (int64 too), every
// field without presence printed, fields with presence only when set.
nlohmann::json ToJson(const google::protobuf::Message& message) {
  nlohmann::json out = nlohmann::json::object();
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  const google::protobuf::Reflection* reflection = message.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    auto value = [&](int index) -> nlohmann::json {
      const bool repeated = field->is_repeated();
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          return repeated ? reflection->GetRepeatedString(message, field, index)
                          : reflection->GetString(message, field);
        case FieldDescriptor::CPPTYPE_BOOL:
          return repeated ? reflection->GetRepeatedBool(message, field, index)
                          : reflection->GetBool(message, field);
        case FieldDescriptor::CPPTYPE_INT32:
          return repeated ? reflection->GetRepeatedInt32(message, field, index)
                          : reflection->GetInt32(message, field);
        case FieldDescriptor::CPPTYPE_INT64:
          return repeated ? reflection->GetRepeatedInt64(message, field, index)
                          : reflection->GetInt64(message, field);
        case FieldDescriptor::CPPTYPE_DOUBLE:
          return repeated ? reflection->GetRepeatedDouble(message, field, index)
                          : reflection->GetDouble(message, field);
        case FieldDescriptor::CPPTYPE_MESSAGE:
          return ToJson(repeated ? reflection->GetRepeatedMessage(message, field, index)
                                 : reflection->GetMessage(message, field));
        default:
          return nullptr;
      }
    };
    if (field->is_repeated()) {
      nlohmann::json list = nlohmann::json::array();
      for (int j = 0; j < reflection->FieldSize(message, field); ++j) list.push_back(value(j));
      out[field->name()] = std::move(list);
    } else if (!field->has_presence() || field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ||
               reflection->HasField(message, field)) {
      out[field->name()] = value(0);
    }
  }
  return out;
}

HttpResponse JsonBody(const nlohmann::json& body) {
  return HttpResponse::Json(200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

absl::Status InvalidParameter(std::string_view name, std::string_view why) {
  return absl::InvalidArgumentError(StrCat(name, ": ", why));
}

// The query string as a search request.
absl::StatusOr<v1::SearchLogsRequest> ParseQuery(std::string_view query) {
  v1::SearchLogsRequest request;
  v1::LogFilter& filter = *request.mutable_filter();
  for (absl::string_view piece : absl::StrSplit(common::ToAbsl(query), '&', absl::SkipEmpty())) {
    const std::string_view pair(piece.data(), piece.size());
    const size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    std::string raw(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    for (char& c : raw) {
      if (c == '+') c = ' ';
    }
    absl::StatusOr<std::string> decoded = common::PercentDecode(raw);
    if (!decoded.ok()) return InvalidParameter(name, "is not percent-encoded correctly");
    const std::string& value = *decoded;
    auto list = [&](google::protobuf::RepeatedPtrField<std::string>* out) {
      for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        out->Add(std::string(item.data(), item.size()));
      }
    };
    auto number = [&](auto set) -> absl::Status {
      double n = 0;
      if (!absl::SimpleAtod(value, &n)) return InvalidParameter(name, "must be a number");
      set(n);
      return absl::OkStatus();
    };
    auto integer = [&](auto set) -> absl::Status {
      int64_t n = 0;
      if (!absl::SimpleAtoi(value, &n)) return InvalidParameter(name, "must be an integer");
      set(n);
      return absl::OkStatus();
    };
    absl::Status parsed;
    if (name == "providers") {
      list(filter.mutable_providers());
    } else if (name == "models") {
      list(filter.mutable_models());
    } else if (name == "status") {
      list(filter.mutable_status());
    } else if (name == "virtual_key_ids") {
      list(filter.mutable_virtual_key_ids());
    } else if (name == "virtual_key_names") {
      list(filter.mutable_virtual_key_names());
    } else if (name == "selected_key_names") {
      list(filter.mutable_selected_key_names());
    } else if (name == "request_types" || name == "objects") {
      list(filter.mutable_request_types());
    } else if (name == "node_ids") {
      list(filter.mutable_node_ids());
    } else if (name == "trace_id") {
      filter.set_trace_id(value);
    } else if (name == "start_time") {
      filter.set_start_time(value);
    } else if (name == "end_time") {
      filter.set_end_time(value);
    } else if (name == "content_search") {
      filter.set_content_search(value);
    } else if (name == "min_latency") {
      parsed = number([&](double n) { filter.set_min_latency(n); });
    } else if (name == "max_latency") {
      parsed = number([&](double n) { filter.set_max_latency(n); });
    } else if (name == "min_cost") {
      parsed = number([&](double n) { filter.set_min_cost(n); });
    } else if (name == "max_cost") {
      parsed = number([&](double n) { filter.set_max_cost(n); });
    } else if (name == "min_tokens") {
      parsed = integer([&](int64_t n) { filter.set_min_tokens(n); });
    } else if (name == "max_tokens") {
      parsed = integer([&](int64_t n) { filter.set_max_tokens(n); });
    } else if (name == "limit") {
      parsed = integer([&](int64_t n) {
        request.set_limit(static_cast<int32_t>(std::clamp<int64_t>(n, -1, 1 << 30)));
      });
      if (parsed.ok() && request.limit() == 0)
        parsed = InvalidParameter(name, "must be between 1 and 1000");
    } else if (name == "offset") {
      parsed = integer([&](int64_t n) {
        request.set_offset(static_cast<int32_t>(std::clamp<int64_t>(n, -1, 1 << 30)));
      });
    } else if (name == "cursor") {
      request.set_cursor(value);
    } else if (name == "sort_by") {
      if (value != "timestamp") parsed = InvalidParameter(name, "only timestamp is supported");
    } else if (name == "order") {
      if (value != "desc") parsed = InvalidParameter(name, "only desc (newest first) is supported");
    } else {
      parsed = InvalidParameter(name, "is not a filter of /api/logs");
    }
    if (!parsed.ok()) return parsed;
  }
  return request;
}

}  // namespace

HttpResponse RestApi::Logs(const HttpRequest& request, const common::AdminCaller& caller) {
  if (request.method != "GET") return MethodNotAllowed(request.method, "GET");
  const std::string_view path = request.path;
  const bool may_read_raw = caller.can_write;
  if (path == kLogs || path == StrCat(kLogs, "/")) {
    absl::StatusOr<v1::SearchLogsRequest> search = ParseQuery(request.query);
    if (!search.ok()) return Error(search.status());
    absl::StatusOr<v1::SearchLogsResponse> found = logs_->Search(*search, may_read_raw);
    if (!found.ok()) return Error(found.status());
    nlohmann::json logs = nlohmann::json::array();
    for (const v1::RequestLog& log : found->logs()) logs.push_back(ToJson(log));
    const int limit = search->limit() == 0 ? kDefaultLogPage : search->limit();
    return JsonBody({{"logs", std::move(logs)},
                     {"pagination",
                      {{"limit", limit},
                       {"offset", search->offset()},
                       {"sort_by", "timestamp"},
                       {"order", "desc"},
                       {"total_count", found->total_count()}}},
                     {"next_cursor", found->next_cursor()},
                     {"stats", ToJson(found->stats())},
                     {"has_logs", found->total_count() > 0}});
  }
  if (path == StrCat(kLogs, "/stats")) {
    absl::StatusOr<v1::SearchLogsRequest> search = ParseQuery(request.query);
    if (!search.ok()) return Error(search.status());
    v1::LogStatsRequest stats_request;
    *stats_request.mutable_filter() = search->filter();
    absl::StatusOr<v1::LogStatsResponse> stats = logs_->Stats(stats_request);
    if (!stats.ok()) return Error(stats.status());
    return JsonBody(ToJson(*stats));
  }
  const std::string_view id = path.substr(kLogs.size() + 1);
  if (id.find('/') != std::string_view::npos) {
    return Error(absl::NotFoundError(StrCat("no route for ", request.method, " ", path)));
  }
  absl::StatusOr<v1::RequestLog> log = logs_->Get(id, may_read_raw);
  if (!log.ok()) return Error(log.status());
  return JsonBody(ToJson(*log));
}

}  // namespace switchyard::cp
